"""html_to_text's shortcuts give exactly what the long way gives."""

from __future__ import annotations

import random
import re

import html_text
import lxml.etree
import lxml.html

from pipeline.normalize import _markup_to_text, html_to_text

PIECES = [
    "<p>", "</p>", "<br>", "<b>", "</b>", "<div>", "</div>", "<li>", "<ul>", "</ul>", "<h1>", "</h1>",
    "<table><tr><td>cell</td></tr></table>", "<pre>  a\n  b</pre>", "<title>t</title>", "<span>s</span>",
    "<script>x = 1</script>", "<style>p {}</style>", "<!-- note -->", "<?pi x?>", "<iframe>frame</iframe>",
    "<noframes>nf</noframes>", "<meta name=x>", "<link rel=x>", "<object>obj</object>", "<!DOCTYPE html>",
    "&amp;", "&nbsp;", "&#13;", "&rsquo;", " ", "  ", "\n", "\n\n\n", "\t", "\u00a0", "\u2028", "word",
    "Joe’s Donuts", ".", "!", "(", ")", "<", ">", "&",
]  # fmt: skip


def fragments(count: int, pieces: list[str] = PIECES) -> list[str]:
    rng = random.Random(4)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 25))) for _ in range(count)]


def test_markup_without_anything_to_clean_away_skips_cleaning_with_the_same_result():
    parser = lxml.html.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    for fragment in fragments(3000):
        root = lxml.etree.fromstring(fragment.encode(), parser=parser)
        if root is not None:
            assert _markup_to_text(fragment) == html_text.extract_text(root, guess_layout=True), fragment


def test_spaces_collapse_and_lines_are_trimmed_as_line_by_line_would():
    def line_by_line(text: str) -> str:
        lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

    plain = [p for p in PIECES if "<" not in p and "&" not in p]
    for text in fragments(3000, plain):
        assert html_to_text(text) == line_by_line(text), repr(text)
