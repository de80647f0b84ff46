"""The manual's "Sources" page (docs/sources.md) stays true: every type documented, its example valid."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import TypeAdapter

from crawlers.config import SOURCE_TYPES, Source
from crawlers.process import SPIDERS

SOURCES = Path(__file__).parents[2] / "docs" / "sources.md"


def test_every_source_type_has_a_spider_and_a_valid_documented_example():
    text = SOURCES.read_text(encoding="utf-8")
    assert text.startswith("# Sources\n")
    section = text.split("\n## ", 1)[0]  # the page, up to any section of its own
    example = re.search(r"```yaml\n(.*?)\n```", section, re.S)
    assert example, "the Sources page has no yaml example"
    sources = [TypeAdapter(Source).validate_python(s) for s in yaml.safe_load(example.group(1))["sources"]]
    assert sorted({s.type for s in sources}) == sorted(SOURCE_TYPES) == sorted(SPIDERS)
