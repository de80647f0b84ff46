"""The rooms stand on each other: imports (those inside functions too) run one way only.

pipeline <- crawlers <- alerts <- respond <- mentionwatch: a room may import the rooms below it,
never one above; and no two files import each other, directly or around a longer circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ["pipeline", "crawlers", "alerts", "respond", "mentionwatch"]  # bottom to top


def _modules() -> dict[str, Path]:
    modules = {}
    for room in ROOMS:
        for path in (ROOT / room).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imported(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project's modules `module` imports anywhere in its file (functions and TYPE_CHECKING too)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            names = [target] + [f"{target}.{alias.name}" for alias in node.names]
        for name in names:
            # `import a.b.c` imports a and a.b too: the nearest known module is what it reaches.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: _imported(module, path, known) for module, path in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_rooms_import_only_the_rooms_below_them():
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if ROOMS.index(target.split(".")[0]) > ROOMS.index(module.split(".")[0])
    )
    assert not upward, "imports against the floors:\n" + "\n".join(upward)


def test_no_two_files_import_each_other():
    # A package imports its own modules and they import its __init__: `package` and `package.x`
    # are one thing for this purpose, so the edge from a module to its own package is left out.
    graph = {module: {t for t in targets if not module.startswith(t + ".")} for module, targets in _graph().items()}
    cycles = _cycles(graph)
    assert not cycles, "files that import each other:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    # The walk must reach imports nested in functions, the usual way to hide a cycle.
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from alerts.planner import plan\n", encoding="utf-8")
    assert _imported("pipeline.m", module, {"alerts.planner": module}) == {"alerts.planner"}
