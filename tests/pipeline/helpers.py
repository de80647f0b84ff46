"""Shared steps of the pipeline's end-to-end tests: feeds and review pages to serve, the store read back."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

# The pipeline tests are about what is found and judged, not about the age limit of alerts.
ALERTS = {"max_age_days": 36500}


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def entry(title: str, link: str, body: str = "", published: datetime | None = None) -> dict:
    """One feed entry; `body` may hold HTML (it is escaped into the XML as feeds do)."""
    return {"title": title, "link": link, "body": body, "published": published or days_ago(1)}


def rss(*entries: dict) -> str:
    """An RSS 2.0 feed of `entries`."""
    items = "".join(
        f"<item><title>{escape(e['title'])}</title><link>{escape(e['link'])}</link>"
        f"<pubDate>{format_datetime(e['published'])}</pubDate>"
        f"<description>{escape(e['body'])}</description></item>"
        for e in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>'


def review_page(*reviews: dict) -> str:
    """A review page with schema.org JSON-LD: each review a dict of author, date, rating, body."""
    data = {
        "@context": "https://schema.org",
        "@type": "Bakery",
        "name": "Joe's Donuts",
        "review": [
            {"@type": "Review", "author": r["author"], "datePublished": r["date"], "reviewBody": r["body"],
             "reviewRating": {"@type": "Rating", "ratingValue": r["rating"], "bestRating": 5, "worstRating": 1}}
            for r in reviews
        ],
    }
    return (f'<!DOCTYPE html><html><head><script type="application/ld+json">{json.dumps(data)}</script>'
            "</head><body><h1>Joe's Donuts</h1></body></html>")


def mentions(workspace) -> list[dict]:
    """Every stored mention as a dict of its columns, in the order stored."""
    return rows(workspace, "select * from mentions order by id")


def rows(workspace, query: str, *args: object) -> list[dict]:
    with sqlite3.connect(workspace.database) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(query, args)]


def by_title(found: list[dict]) -> dict[str | None, dict]:
    return {m["title"]: m for m in found}
