"""Spiders are imported by name when a run needs them: each name leads to its source type's spider."""

from __future__ import annotations

from crawlers.process import SPIDERS, spider_class


def test_each_source_type_names_its_own_spider():
    assert {source_type: spider_class(source_type).source_type for source_type in SPIDERS} == \
        {source_type: source_type for source_type in SPIDERS}
