"""Any page, read with the CSS or XPath selectors given in config.yaml."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from parsel import Selector
from scrapy.http import TextResponse

from crawlers.config import HtmlSource
from crawlers.schemaorg import normalize_rating
from crawlers.spiders.pages import PagedSpider, select
from crawlers.target import CrawlTarget
from pipeline.normalize import to_utc

_FRACTION = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:/|out of|of|von|sur|de|su)\s*(\d+(?:[.,]\d+)?)", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")


class HtmlSpider(PagedSpider):
    """One mention per element matched by `item:`; within it `text:` (required) and the optional
    `title:`, `author:`, `date:`, `rating:`, `link:`. Pagination by `next:` or rel=next.

    Selectors are CSS ("div.review", "a::attr(href)") unless they start like XPath ("//", "./").
    """

    name = "html"
    source_type = "html"

    def parse_items(self, response: TextResponse, target: CrawlTarget, page: int) -> Iterable[Any]:
        source: HtmlSource = target.source  # type: ignore[assignment]
        items = select(response, source.item)
        if not items and page == 1:
            # Selectors that match nothing mean the page changed (or is built by scripts):
            # a failure to look at, not a quiet empty result.
            raise ValueError(f"the item selector {source.item!r} matched nothing on the page")
        for node in items:
            text = "\n".join(part.strip() for part in select(node, source.text).getall() if part.strip())
            if not text:
                continue
            author = _plain(node, source.author)
            date_text = _date_text(node, source.date)
            link = _plain(node, source.link, attribute="href")
            yield self.item(
                target,
                url=self.own_or_item_url(target, response, link, author, date_text,
                                         *(() if author and date_text else (text[:500],))),
                title=_plain(node, source.title),
                text=text,
                author=author,
                published_at=to_utc(date_text, zone=target.timezone) if date_text else None,
                rating=parse_rating(_plain(node, source.rating, attribute="content")),
            )


def _plain(node: Selector, selector: str | None, attribute: str | None = None) -> str | None:
    """The first match as plain text: an attribute or text node as is; an element by its
    `attribute` when it has one (a link's href, a meta's content), else its text."""
    if not selector:
        return None
    found = select(node, selector)
    if not found:
        return None
    first = found[0]
    if isinstance(first.root, str):
        value = first.root
    elif attribute and first.attrib.get(attribute):
        value = first.attrib[attribute]
    else:
        value = first.xpath("normalize-space(string())").get("")
    return " ".join(value.split()) or None


def _date_text(node: Selector, selector: str | None) -> str | None:
    # <time datetime="2026-11-20T10:00:00Z">last Friday</time>: the machine-readable form wins.
    if not selector:
        return None
    found = select(node, selector)
    if found and not isinstance(found[0].root, str):
        machine = found[0].attrib.get("datetime") or found[0].attrib.get("content")
        if machine:
            return machine
    return _plain(node, selector)


def parse_rating(text: str | None) -> float | None:
    """Stars on 1..5 from what pages show: "4 out of 5", "8/10", "★★★☆☆", "80%", "4.5"."""
    if not text:
        return None
    stars = text.count("★")
    if stars:
        total = stars + text.count("☆")
        return normalize_rating({"ratingValue": stars, "bestRating": max(total, 5), "worstRating": 0 if total > 5 else 1})
    fraction = _FRACTION.search(text)
    if fraction:
        value, best = (float(g.replace(",", ".")) for g in fraction.groups())
        return normalize_rating({"ratingValue": value, "bestRating": best, "worstRating": 0 if value == 0 else 1})
    percent = _PERCENT.search(text)
    if percent:
        return normalize_rating({"ratingValue": float(percent.group(1).replace(",", ".")), "bestRating": 100,
                                 "worstRating": 0})
    number = _NUMBER.search(text)
    if number:
        return normalize_rating({"ratingValue": float(number.group().replace(",", "."))})
    return None
