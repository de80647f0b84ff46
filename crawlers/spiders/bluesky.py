"""Bluesky post search through the AT Protocol API (app.bsky.feed.searchPosts), after logging in."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from crawlers.config import BlueskySource
from crawlers.incremental import Watermark
from crawlers.pagination import may_follow
from crawlers.spiders.base import MentionSpider, json_body
from crawlers.target import CrawlTarget
from pipeline.items import plain_text_body
from pipeline.normalize import to_utc

MAX_PAGES = 5
_POST_URI = re.compile(r"at://(did:[a-z]+:[A-Za-z0-9._:%-]+)/app\.bsky\.feed\.post/([A-Za-z0-9._:~-]{1,512})")
PAGE_SIZE = 100  # the API's maximum


def search_url(source: BlueskySource) -> str:
    if source.url:
        return source.url
    return f"{source.service.rstrip('/')}/xrpc/app.bsky.feed.searchPosts?sort=latest&limit={PAGE_SIZE}"


def post_url(uri: str) -> str | None:
    """at://did:plc:abc/app.bsky.feed.post/3kxyz -> https://bsky.app/profile/did:plc:abc/post/3kxyz.

    The DID, not the handle: a handle can change, and the mention's address must not.
    """
    match = _POST_URI.fullmatch(uri)
    if match is None:  # only well-formed ids make a link: the text comes from the network
        return None
    parts = [match.group(1), "app.bsky.feed.post", match.group(2)]
    return f"https://bsky.app/profile/{parts[0]}/post/{parts[2]}"


class BlueskySpider(MentionSpider):
    """Posts matching `query:`, newest first. Search needs a session: the spider logs in once per
    `service:` (com.atproto.server.createSession) with `bluesky_handle` and `bluesky_app_password`
    (an app password, never the account's own), for all the run's Bluesky sources.

    After the first run it asks only for posts since the newest seen (`since=`), paging with the
    API's cursor until it has them all.
    """

    name = "bluesky"
    source_type = "bluesky"
    obeys_robots_txt = False

    def start_requests_for(self, targets: list[CrawlTarget]) -> Iterable[Request]:
        handle = self.credentials.bluesky_handle
        password = self.credentials.bluesky_app_password
        if not (handle and password):
            for target in targets:
                target.fail("Bluesky search needs a login: set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD "
                            "(an app password; or credentials.bluesky_* in config.yaml)")
            return
        by_service: dict[str, list[CrawlTarget]] = defaultdict(list)
        for target in targets:
            by_service[target.source.service.rstrip("/")].append(target)  # type: ignore[attr-defined]
        for service, group in by_service.items():
            yield self.request(
                group[0], f"{service}/xrpc/com.atproto.server.createSession", self.parse_session,
                conditional=False, step="bluesky login", shared_by=group, method="POST",
                body=json.dumps({"identifier": handle, "password": password.get_secret_value()}),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                cb_kwargs={"group": group},
            )

    def parse_session(self, response: Response, target: CrawlTarget, group: list[CrawlTarget]) -> Iterable[Request]:
        session = json_body(response)
        token = session.get("accessJwt") if isinstance(session, dict) else None
        if not token:
            raise ValueError("no accessJwt in the session answer")
        for each in group:
            source: BlueskySource = each.source  # type: ignore[assignment]
            url = add_or_replace_parameter(search_url(source), "q", source.query)
            since = Watermark(each, "sort_at").since
            if since is not None:
                stamp = datetime.fromtimestamp(since, UTC).isoformat().replace("+00:00", "Z")
                url = add_or_replace_parameter(url, "since", stamp)
            yield self.page_request(each, url, token, 1)

    def page_request(self, target: CrawlTarget, url: str, token: str, page: int) -> Request:
        return self.request(target, url, self.parse_posts, conditional=False,
                            headers={"Accept": "application/json"}, credentials={"Authorization": f"Bearer {token}"},
                            cb_kwargs={"token": token, "page": page})

    def parse_posts(self, response: Response, target: CrawlTarget, token: str, page: int) -> Iterable[Any]:
        answer = json_body(response)
        if not isinstance(answer, dict) or not isinstance(answer.get("posts"), list):
            raise ValueError("not a searchPosts answer (no posts)")
        watermark = Watermark(target, "sort_at")
        reached_known = False
        for post in answer["posts"]:
            if not isinstance(post, dict):
                continue
            url = post_url(str(post.get("uri", "")))
            record = post.get("record") if isinstance(post.get("record"), dict) else {}
            if url is None:
                continue
            created = to_utc(record.get("createdAt"))
            indexed = to_utc(post.get("indexedAt"))
            # The API sorts and filters (since=) on the earlier of the two.
            moments = [m.timestamp() for m in (created, indexed) if m is not None]
            sort_at = min(moments) if moments else 0.0
            if not watermark.is_new(sort_at, post.get("uri", "")):
                reached_known = True
                continue
            watermark.see(sort_at, post.get("uri", ""))
            author = post.get("author") if isinstance(post.get("author"), dict) else {}
            yield self.item(target, url=url, text=plain_text_body(str(record.get("text") or "")),
                            author=f"@{author['handle']}" if author.get("handle") else None,
                            published_at=created or indexed)
        cursor = answer.get("cursor")
        if (cursor and not reached_known and not watermark.first_run
                and may_follow(target, "search", page=page, max_pages=MAX_PAGES, token=str(cursor))):
            next_url = add_or_replace_parameter(response.request.url, "cursor", str(cursor))  # type: ignore[union-attr]
            yield self.page_request(target, next_url, token, page + 1)
