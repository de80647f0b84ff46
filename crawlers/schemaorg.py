"""schema.org reviews and ratings from a page's structured data (JSON-LD, microdata, RDFa).

extruct does the extraction; this module only reads its output: it finds `Review` objects
wherever they are nested, the page's `AggregateRating`, and puts ratings on a 1..5 scale.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SYNTAXES = ("json-ld", "microdata", "rdfa")
_PREFIXES = ("http://schema.org/", "https://schema.org/", "http://www.schema.org/", "https://www.schema.org/",
             "schema:")
REVIEW_TYPES = {"Review", "UserReview", "CriticReview", "EmployerReview"}
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


@dataclass
class FoundReview:
    """One review as the page describes it; `rating` is already on the 1..5 scale."""

    body: str
    title: str | None
    author: str | None
    date: str | None
    rating: float | None
    own_url: str | None
    """The review's `url` or `@id`, when the markup gives one."""


def extract_nodes(html: bytes | str, base_url: str) -> tuple[list[Any], list[str]]:
    """Every structured-data object on the page, JSON-LD first, and the syntaxes that were broken.

    Each syntax is extracted on its own, so a malformed JSON-LD block does not hide the
    microdata next to it.
    """
    # Imported here: extruct and its parsers cost a noticeable part of a second at every start,
    # and only review sources need them.
    import extruct
    from extruct.utils import parse_xmldom_html

    tree = parse_xmldom_html(html, encoding="UTF-8")
    nodes: list[Any] = []
    problems: list[str] = []
    for syntax in SYNTAXES:
        try:
            found = extruct.extract(tree, base_url=base_url, syntaxes=[syntax], uniform=True, errors="strict")
        except Exception as exc:  # noqa: BLE001 - untrusted markup; the other syntaxes still count
            problems.append(f"malformed {syntax}: {type(exc).__name__}: {exc}"[:200])
            continue
        items = found.get(syntax, [])
        nodes.extend(_from_rdfa(items) if syntax == "rdfa" else items)
    return nodes, problems


def find_reviews(nodes: list[Any]) -> list[FoundReview]:
    """Every Review on the page, once each (sites often repeat theirs in two syntaxes)."""
    reviews: list[FoundReview] = []
    seen: set[tuple[Any, ...]] = set()
    for node in _walk(nodes):
        if not (_types(node) & REVIEW_TYPES):
            continue
        body = text_of(node.get("reviewBody")) or text_of(node.get("description")) or ""
        review = FoundReview(
            body=body,
            title=text_of(node.get("name")) or text_of(node.get("headline")),
            author=text_of(node.get("author")),
            date=text_of(node.get("datePublished")) or text_of(node.get("dateCreated")),
            rating=normalize_rating(_first(node.get("reviewRating"))),
            own_url=text_of(node.get("url")) or (node.get("@id") if isinstance(node.get("@id"), str) else None),
        )
        if not (review.body or review.title or review.rating is not None):
            continue
        key = (review.author, review.date, " ".join(review.body.split())[:200], review.rating)
        if key not in seen:
            seen.add(key)
            reviews.append(review)
    return reviews


def find_aggregate(nodes: list[Any]) -> tuple[float, int | None] | None:
    """The first AggregateRating on the page (the page's own subject comes first): (1..5, count)."""
    for node in _walk(nodes):
        if "AggregateRating" not in _types(node):
            continue
        value = normalize_rating(node)
        if value is None:
            continue
        count = _number(node.get("ratingCount"))
        if count is None:
            count = _number(node.get("reviewCount"))
        return value, int(count) if count is not None else None
    return None


def normalize_rating(rating: Any) -> float | None:
    """A Rating's ratingValue on the 1..5 scale, from its bestRating (default 5) and worstRating
    (default 1); None when it holds no usable number."""
    if isinstance(rating, (int, float, str)):
        rating = {"ratingValue": rating}
    if not isinstance(rating, dict):
        return None
    value = _number(rating.get("ratingValue"))
    best = _number(rating.get("bestRating"))
    worst = _number(rating.get("worstRating"))
    best = 5.0 if best is None else best
    worst = 1.0 if worst is None else worst
    if value is None or best <= worst or not worst <= value <= best:
        # 0 stars on a default scale is a site that counts from 0: still the bottom of its scale.
        if value == 0 and worst == 1 and rating.get("worstRating") is None:
            return 1.0
        return None
    return round(1 + 4 * (value - worst) / (best - worst), 2)


def text_of(value: Any) -> str | None:
    """A plain string for a property: a Person's or Organization's name, the first of a list."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("text")
        value = _first(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


# --------------------------------------------------------------------------- helpers


def _first(value: Any) -> Any:
    while isinstance(value, list):
        value = value[0] if value else None
    return value


def _short(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {_short(k) for k in kinds if isinstance(k, str)}


def _number(value: Any) -> float | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = _NUMBER.search(value)
        if match:
            return float(match.group().replace(",", "."))
    return None


def _walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every object in the tree, parents before children (markup from the web may nest deeply)."""
    if depth > 50:
        return
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child, depth + 1)


def _from_rdfa(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """extruct's RDFa is flat, expanded JSON-LD (full IRIs, @value lists, blank-node references):
    rebuild the nested, short-named objects the other syntaxes give."""
    by_id = {item.get("@id"): item for item in items if isinstance(item, dict)}
    referenced: set[str] = set()

    def build(item: dict[str, Any], trail: frozenset[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"@type": [_short(t) for t in item.get("@type", [])]}
        if isinstance(item.get("@id"), str) and not item["@id"].startswith("_:"):
            out["@id"] = item["@id"]
        for key, values in item.items():
            if key.startswith("@"):
                continue
            converted = []
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, dict) and "@value" in value:
                    converted.append(value["@value"])
                elif isinstance(value, dict) and value.get("@id") in by_id and value["@id"] not in trail:
                    referenced.add(value["@id"])
                    converted.append(build(by_id[value["@id"]], trail | {value["@id"]}))
                elif isinstance(value, dict) and "@id" in value:
                    converted.append(value["@id"])
            out[_short(key)] = converted[0] if len(converted) == 1 else converted
        return out

    built = [(item.get("@id"), build(item, frozenset({item.get("@id")}))) for item in by_id.values() if item.get("@type")]
    # Objects that are only parts of others (a review's author, its rating) are not top level.
    return [node for node_id, node in built if node_id not in referenced]
