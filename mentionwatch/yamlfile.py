"""Reading config.yaml's YAML: bounded, strict about duplicate keys, and explained in plain words.

PyYAML's own messages ("expected <block end>, but found '<block mapping start>'") describe its
parser, not the owner's file. `read_yaml` turns them into the file, line and column, the line
itself with a caret under the spot, and what is wrong in words a person uses (a tab, an unclosed
quote, a missing colon, bad indentation). It also refuses, before building anything, a document
whose aliases would expand it beyond `MAX_VALUES` values (a "billion laughs" alias bomb), and a
key given twice in one mapping (YAML would silently keep the last one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pipeline.errors import ConfigError

# A real config.yaml has a few hundred values; this leaves room for thousands of sources and
# still refuses an alias bomb before it costs anything.
MAX_VALUES = 100_000
# A config nests a handful of levels; deeper is a mistake or an attack on the parser's recursion.
MAX_DEPTH = 50

# Where each key and list item of the document sits: path (as pydantic's `loc`) -> line (1-based).
Positions = dict[tuple[Any, ...], int]


class _Refused(Exception):
    """The document is well-formed but must not be built (alias bomb, duplicate key)."""

    def __init__(self, message: str, mark: yaml.Mark | None):
        super().__init__(message)
        self.mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that measures the composed document before constructing it."""

    _depth = 0

    def compose_document(self) -> Node:
        node = super().compose_document()
        _count_values(node)
        return node

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"values nested more than {MAX_DEPTH} levels deep; a config needs a few",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, yaml.Mark] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    first = seen[key_node.value].line + 1
                    raise _Refused(f"the key `{key_node.value}` is given twice in one section (first on line "
                                   f"{first}); YAML would silently keep only the last one", key_node.start_mark)
                seen[key_node.value] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _count_values(root: Node) -> None:
    """Refuse a document whose aliases expand it to more than MAX_VALUES values or MAX_DEPTH
    levels, or make it contain itself.

    Sizes and heights are memoized per node, so this costs one visit per distinct node however
    far the aliases would multiply them, and recurses at most MAX_DEPTH deep.
    """
    measured: dict[int, tuple[int, int]] = {}
    in_progress: set[int] = set()

    def measure(node: Node, depth: int) -> tuple[int, int]:
        """(values, height) of the node once expanded."""
        key = id(node)
        if key in in_progress:
            raise _Refused("an alias refers to the value that contains it (an endless structure)", node.start_mark)
        if key not in measured:
            in_progress.add(key)
            if depth > MAX_DEPTH:
                raise _Refused(f"its aliases (*name) nest values more than {MAX_DEPTH} levels deep; a config "
                               "needs a few", node.start_mark)
            children = ([child for pair in node.value for child in pair] if isinstance(node, MappingNode)
                        else node.value if isinstance(node, SequenceNode) else [])
            found = [measure(child, depth + 1) for child in children]
            measured[key] = (1 + sum(size for size, _ in found), 1 + max((height for _, height in found), default=0))
            in_progress.discard(key)
        size, height = measured[key]
        if size > MAX_VALUES:
            raise _Refused(f"its aliases (*name) expand it to more than {MAX_VALUES:,} values; a config needs "
                           "far fewer (is this a YAML \"alias bomb\"?)", node.start_mark)
        if depth + height > MAX_DEPTH + 1:
            raise _Refused(f"its aliases (*name) nest values more than {MAX_DEPTH} levels deep; a config "
                           "needs a few", node.start_mark)
        return size, height

    measure(root, 1)


def _positions(root: Node | None) -> Positions:
    """The line of every key and list item, by path; each node is visited once (aliases are not followed)."""
    found: Positions = {}
    seen: set[int] = set()
    stack: list[tuple[Node, tuple[Any, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode):
                    child = (*path, key_node.value)
                    found.setdefault(child, key_node.start_mark.line + 1)
                    stack.append((value_node, child))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                found.setdefault((*path, index), item.start_mark.line + 1)
                stack.append((item, (*path, index)))
    return found


@dataclass
class Document:
    data: Any
    positions: Positions

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """The line of the deepest part of `loc` the file names (a missing key: its section's line)."""
        for end in range(len(loc), 0, -1):
            line = self.positions.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None


def read_yaml(text: str, name: str) -> Document:
    """Parse `text` (the contents of the file `name`); raise ConfigError in plain words."""
    loader = _BoundedLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
        return Document(data, _positions(root))
    except _Refused as exc:
        raise ConfigError(_located(name, text, exc.mark, str(exc))) from None
    except yaml.MarkedYAMLError as exc:
        mark, words = explain(exc)
        raise ConfigError(_located(name, text, mark, words)) from None
    except yaml.YAMLError as exc:  # unmarked: e.g. a character YAML does not allow anywhere
        raise ConfigError(f"{name}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def explain(exc: yaml.MarkedYAMLError) -> tuple[yaml.Mark | None, str]:
    """Where the mistake is, and what it is in plain words, for PyYAML's common complaints."""
    problem = exc.problem or ""
    context = exc.context or ""
    spot = exc.problem_mark
    text = spot.buffer if spot is not None and spot.buffer else ""
    bad_char = text[spot.pointer] if spot is not None and text and spot.pointer < len(text) else ""
    if "found character '\\t'" in problem or (bad_char == "\t" and "cannot start any token" in problem):
        return spot, "a tab character: YAML indents with spaces only (replace the tab with spaces)"
    if "quoted scalar" in context and "end of stream" in problem:
        return exc.context_mark, "a quote opened here is never closed: add the closing quote at the end of the value"
    unclosed = _unclosed_quote_before(spot)
    if unclosed is not None:
        # A later quote closed it, lines further down, and PyYAML complains about what followed.
        return unclosed, "a quote opened here is not closed on its line: add the closing quote at the end of the value"
    if "found unknown escape character" in problem:
        return spot, ("a backslash in double quotes starts an escape such as \\n; put the value in single "
                      "quotes, or write \\\\ for a backslash")
    if "simple key" in context and "could not find expected ':'" in problem:
        return exc.context_mark, "a key without a colon: write `key: value` (a colon and a space after the key)"
    if "cannot start any token" in problem and bad_char in "@`%":
        return spot, f"a value cannot start with {bad_char}: put the value in quotes"
    if "mapping values are not allowed here" in problem and spot is not None:
        return _misplaced_colon(spot)
    if "found undefined alias" in problem:
        return spot, "an alias (*name) that refers to no anchor (&name) above it"
    if "flow sequence" in context or "expected ',' or ']'" in problem:
        return exc.context_mark or spot, "a [ list ] that is not closed: add the ] (and quote values that contain commas)"
    if "flow mapping" in context or "expected ',' or '}'" in problem:
        return exc.context_mark or spot, "a { mapping } that is not closed: add the }"
    if "expected <block end>" in problem or "block mapping" in context or "block collection" in context:
        found = "a list item (-)" if "'-'" in problem or "block sequence" in problem else "this line"
        return spot, (f"bad indentation: {found} does not line up with the lines above it; the keys of one "
                      "section (and the items of one list) start in the same column, indented with spaces")
    # Anything else: PyYAML's words, still with the line and the caret.
    return spot or exc.context_mark, f"not valid YAML: {problem or context}"


_QUOTED_VALUE = re.compile(r"""^(\s*(?:-\s+)?[^\s#'"][^#'"]*:\s+|\s*-\s+)(["'])""")


def _unclosed_quote_before(spot: yaml.Mark | None) -> yaml.Mark | None:
    """The first value above the error that opens a quote and does not close it on its own line."""
    if spot is None or not spot.buffer:
        return None
    for number, line in enumerate(spot.buffer.splitlines()[: spot.line]):
        found = _QUOTED_VALUE.match(line)
        if found is None:
            continue
        quote, rest = found.group(2), line[found.end():]
        closed = rest.replace("\\" + quote, "").count(quote) if quote == '"' else rest.replace("''", "").count("'")
        if not closed:
            return yaml.Mark(spot.name, 0, number, found.end() - 1, spot.buffer, None)
    return None


def _misplaced_colon(spot: yaml.Mark) -> tuple[yaml.Mark, str]:
    """PyYAML stops at a colon it did not expect; the mistake is often on the line before."""
    lines = spot.buffer.splitlines()
    here = lines[spot.line] if spot.line < len(lines) else ""
    if ": " in here[: spot.column] or here[: spot.column].rstrip().endswith(":"):
        return spot, "a value that contains \": \" must be put in quotes"
    above = next((n for n in range(spot.line - 1, -1, -1)
                  if lines[n].strip() and not lines[n].lstrip().startswith("#")), None)
    # A key's colon is followed by a space or ends the line ("database sqlite:///x.db" has none).
    if above is not None and not re.search(r":(\s|$)", lines[above]):
        start = len(lines[above]) - len(lines[above].lstrip())
        mark = yaml.Mark(spot.name, 0, above, start, spot.buffer, None)
        return mark, "a key without a colon: write `key: value` (a colon and a space after the key)"
    indent = len(here) - len(here.lstrip())
    mark = yaml.Mark(spot.name, 0, spot.line, indent, spot.buffer, None)
    return mark, ("bad indentation: this line is indented further than the keys beside it; the keys of "
                  "one section start in the same column")


def _located(name: str, text: str, mark: yaml.Mark | None, words: str) -> str:
    """`FILE, line L, column C: WORDS` followed by the line and a caret under the spot."""
    if mark is None:
        return f"{name}: {words}"
    lines = text.splitlines() or [""]
    line_no = min(mark.line, len(lines) - 1)
    shown = lines[line_no] if mark.line < len(lines) else ""
    column = mark.column if mark.line < len(lines) else 0
    # A tab is shown as an arrow so the owner can see it; one character keeps the caret aligned.
    shown = shown.replace("\t", "→")
    caret = column
    if len(shown) > 100:  # a long line: the part around the spot
        start = max(0, column - 60)
        shown = ("…" if start else "") + shown[start:column + 40] + ("…" if column + 40 < len(shown) else "")
        caret = column - start + (1 if start else 0)
    gutter = f"{mark.line + 1} | "
    return (f"{name}, line {mark.line + 1}, column {column + 1}: {words}\n"
            f"  {gutter}{shown}\n"
            f"  {' ' * (len(gutter) - 2)}| {' ' * caret}^")
