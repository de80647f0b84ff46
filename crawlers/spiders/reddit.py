"""Reddit search through its JSON listings: posts, and comments where a listing gives them."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from scrapy import Request
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from crawlers.config import RedditSource
from crawlers.incremental import Watermark
from crawlers.pagination import may_follow
from crawlers.spiders.base import MentionSpider, api_date, json_body
from crawlers.target import CrawlTarget
from pipeline.items import MalformedItem, plain_text_body

WEB = "https://www.reddit.com"
OAUTH_API = "https://oauth.reddit.com"
# Reddit allows about 10 requests a minute without OAuth, 100 with it; stay under both.
UNAUTHENTICATED_PER_MINUTE = 9.0
AUTHENTICATED_PER_MINUTE = 60.0
MAX_PAGES = 3
PAGE_SIZE = 100


def listing_urls(source: RedditSource, api: str) -> dict[str, str]:
    """The listings to read, by cursor key: the search, and a subreddit's newest comments."""
    if source.url:
        return {"search": source.url}
    suffix = json_suffix(api)
    query = quote(source.query)
    if source.subreddit:
        sub = quote(source.subreddit.removeprefix("r/"))
        urls = {"search": f"{api}/r/{sub}/search{suffix}?q={query}&restrict_sr=on&sort=new&limit={PAGE_SIZE}&raw_json=1"}
        if source.comments:
            # Search does not find comments; a subreddit's comment listing does, and the
            # pipeline keeps the ones that name the business.
            urls["comments"] = f"{api}/r/{sub}/comments{suffix}?limit={PAGE_SIZE}&raw_json=1"
        return urls
    return {"search": f"{api}/search{suffix}?q={query}&sort=new&limit={PAGE_SIZE}&raw_json=1"}


def json_suffix(api: str) -> str:
    """".json" for Reddit's public pages; oauth.reddit.com answers JSON without it."""
    return "" if urlsplit(api).hostname == "oauth.reddit.com" else ".json"


def token_url(api_url: str) -> str:
    """Reddit hands out tokens on www.reddit.com; a self-hosted stand-in on its own origin."""
    parts = urlsplit(api_url)
    host = "www.reddit.com" if parts.hostname == "oauth.reddit.com" else parts.netloc
    return f"{parts.scheme}://{host}/api/v1/access_token"


class RedditSpider(MentionSpider):
    """Posts (and comments) matching `query:`, optionally in one `subreddit:`, newest first.

    Without OAuth credentials it reads www.reddit.com's public JSON at under ten requests a
    minute; with `reddit_client_id` / `reddit_client_secret` it logs in with the client
    credentials grant and reads oauth.reddit.com. Each run reads only what is newer than the
    newest item of the last run, paging back (`after`) until it reaches it.
    """

    name = "reddit"
    source_type = "reddit"
    obeys_robots_txt = False
    api_url: str | None = None
    """`streams: reddit: api_url:`, replacing Reddit's address (set by the runner)."""

    def start_requests_for(self, targets: list[CrawlTarget]) -> Iterable[Request]:
        client_id = self.credentials.reddit_client_id
        secret = self.credentials.reddit_client_secret
        if not (client_id and secret):
            for target in targets:
                yield from self.search_requests(target, self.api_url or WEB, token=None)
            return
        # One token for every reddit source of the run, from the token endpoint of the first.
        first = targets[0]
        api = _api_base(first.source) or self.api_url or OAUTH_API  # type: ignore[arg-type]
        basic = base64.b64encode(f"{client_id.get_secret_value()}:{secret.get_secret_value()}".encode()).decode()
        yield self.request(
            first, token_url(api), self.parse_token, conditional=False, step="reddit login", shared_by=targets,
            method="POST", body="grant_type=client_credentials",
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
            cb_kwargs={"targets": targets},
        )

    def parse_token(self, response: Response, target: CrawlTarget, targets: list[CrawlTarget]) -> Iterable[Request]:
        answer = json_body(response)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise ValueError(f"no access_token in the answer ({str(answer.get('error', 'no error given'))[:80]})"
                             if isinstance(answer, dict) else "no access_token in the answer")
        for each in targets:
            yield from self.search_requests(each, _api_base(each.source) or self.api_url or OAUTH_API, token=token)  # type: ignore[arg-type]

    def search_requests(self, target: CrawlTarget, api: str, token: str | None) -> Iterable[Request]:
        source: RedditSource = target.source  # type: ignore[assignment]
        for key, url in listing_urls(source, api).items():
            yield self.listing_request(target, url, key, token, page=1)

    def listing_request(self, target: CrawlTarget, url: str, key: str, token: str | None, page: int) -> Request:
        source: RedditSource = target.source  # type: ignore[assignment]
        per_minute = source.requests_per_minute or (AUTHENTICATED_PER_MINUTE if token else UNAUTHENTICATED_PER_MINUTE)
        return self.request(
            target, url, self.parse_listing, headers={"Accept": "application/json"},
            credentials={"Authorization": f"bearer {token}"} if token else None,
            # All reddit requests of the run share one pace, whichever host they go to.
            meta={"pace_key": "reddit", "min_interval": 60.0 / per_minute},
            cb_kwargs={"key": key, "token": token, "page": page},
        )

    def parse_listing(self, response: Response, target: CrawlTarget, key: str, token: str | None,
                      page: int) -> Iterable[Any]:
        listing = json_body(response)
        if not isinstance(listing, dict) or listing.get("kind") != "Listing":
            raise ValueError("not a Reddit listing")
        data = listing.get("data") or {}
        watermark = Watermark(target, key)
        reached_known = False
        for child in data.get("children") or ():
            kind = child.get("kind") if isinstance(child, dict) else None
            if kind not in ("t1", "t3"):
                if kind is None:
                    self.drop(target, response, f"not a listing child: {str(child)[:60]}")
                continue  # other kinds (more, t5, ...) are not mentions
            item = self.entry(target, response, self._new_child, target, kind, child.get("data"), watermark)
            if item is False:
                reached_known = True
            elif item is not None:
                yield item
        after = data.get("after")
        if (isinstance(after, str) and after and not reached_known and not watermark.first_run
                and may_follow(target, key, page=page, max_pages=MAX_PAGES, token=after)):
            next_url = add_or_replace_parameter(response.request.url, "after", after)  # type: ignore[union-attr]
            yield self.listing_request(target, next_url, key, token, page + 1)

    def _new_child(self, target: CrawlTarget, kind: str, post: Any, watermark: Watermark) -> Any:
        """The post's or comment's mention; False when it was seen before (the listing reached
        what is known), None when it is not wanted; MalformedItem when it cannot be one."""
        if not isinstance(post, dict):
            raise MalformedItem(f"{kind} without data: {str(post)[:60]}")
        created = post.get("created_utc")
        if not isinstance(created, (int, float)):
            raise MalformedItem(f"no created_utc: {str(created)[:60]}")
        published = api_date(created)  # before the watermark moves: an impossible date hides nothing
        name = post.get("name") or f"{kind}_{post.get('id')}"
        if not watermark.is_new(created, name):
            return False
        watermark.see(created, name)
        source: RedditSource = target.source  # type: ignore[assignment]
        if kind == "t1" and not source.comments:
            return None
        return self.item(target, **child_fields(kind, post, published))


def child_fields(kind: str, post: dict[str, Any], published: Any) -> dict[str, Any]:
    """A listing child's (t3 post, t1 comment) mention fields, links on www.reddit.com."""
    author = post.get("author")
    author = None if author in (None, "[deleted]") else f"u/{author}"
    permalink = post.get("permalink")
    if not (isinstance(permalink, str) and permalink.startswith("/")):
        # Only a path on reddit.com: "@elsewhere.example/..." would make a link to another host.
        permalink = None
    permalink = permalink or (
        f"/comments/{post.get('id')}" if kind == "t3"
        else f"/comments/{str(post.get('link_id', '')).removeprefix('t3_')}/_/{post.get('id')}"
    )
    if kind == "t3":
        # The HTML rendering when the listing has it; the Markdown source is plain text.
        text = post.get("selftext_html") or plain_text_body(post.get("selftext"))
        if not text and post.get("url") and not post.get("is_self"):
            text = plain_text_body(post["url"])  # a link post: what it links to is all there is
        return dict(url=WEB + permalink, title=post.get("title"), text=text, author=author,
                    published_at=published)
    title = post.get("link_title")
    return dict(url=WEB + permalink, title=f"Re: {title}" if title else None,
                text=post.get("body_html") or plain_text_body(post.get("body")),
                author=author, published_at=published)


def _api_base(source: RedditSource) -> str | None:
    if not source.url:
        return None
    parts = urlsplit(source.url)
    return f"{parts.scheme}://{parts.netloc}"

