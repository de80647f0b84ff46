"""What the page-reading spiders (reviews, html) share: pagination, revalidated page by page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urldefrag

from scrapy import Request
from scrapy.http import Response, TextResponse

from crawlers.incremental import known_next_page, remember_next_page
from crawlers.links import item_key, item_url
from crawlers.pagination import may_follow, same_origin
from crawlers.spiders.base import MentionSpider
from crawlers.target import CrawlTarget


def is_xpath(selector: str) -> bool:
    """Selectors from config.yaml are CSS unless they look like XPath ("//div", "./p", "(//a)[1]")."""
    return selector.lstrip().startswith(("/", "./", "(", "..")) or selector.strip() in (".", "text()")


def select(node: Any, selector: str) -> Any:
    return node.xpath(selector) if is_xpath(selector) else node.css(selector)


def page_text(response: Response) -> TextResponse:
    """The response as an HTML page, or a parse error naming what it was instead."""
    if not isinstance(response, TextResponse):
        kind = response.headers.get(b"Content-Type", b"no Content-Type").decode("latin-1")
        raise ValueError(f"not an HTML page ({kind})")
    return response


class PagedSpider(MentionSpider):
    """Reads a page, then the pages after it (rel=next, or the source's `next:` selector), up to
    the source's `max_pages`.

    Pages are revalidated one by one: an unchanged page (304) leads on to the page that followed
    it last time, so a change deep in the list is still found and nothing unchanged is parsed.
    """

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        yield self.page_request(target, target.source.url, page=1, visited=())  # type: ignore[arg-type]

    def page_request(self, target: CrawlTarget, url: str, page: int, visited: tuple[str, ...]) -> Request:
        return self.request(target, url, self.parse_page, cb_kwargs={"page": page, "visited": (*visited, url)})

    def parse_page(self, response: Response, target: CrawlTarget, page: int, visited: tuple[str, ...]) -> Iterable[Any]:
        html = page_text(response)
        yield from self.parse_items(html, target, page)
        next_url = self.next_page_url(html, target)
        remember_next_page(target, _request_url(response), next_url)
        yield from self._follow(target, next_url, page, visited)

    def not_modified(self, response: Response, target: CrawlTarget, page: int = 1,
                     visited: tuple[str, ...] = (), **kwargs: Any) -> Iterable[Any]:
        self.page_not_modified(target, page)
        yield from self._follow(target, known_next_page(target, _request_url(response)), page, visited)

    def _follow(self, target: CrawlTarget, next_url: str | None, page: int, visited: tuple[str, ...]) -> Iterable[Request]:
        if not next_url or (visited and next_url == visited[-1]):
            return  # the last page's "next" naming itself is common and harmless
        if next_url in visited:
            # A chain that leads back is a site's mistake, not a reason to fail what was read.
            target.warn(f"pages: page {page} links back to a page already read ({next_url[:100]}): stopped there")
            return
        # The owner's `max_pages` is a window read every run: reaching it is no gap to report.
        if may_follow(target, "pages", page=page, max_pages=target.source.max_pages,  # type: ignore[attr-defined]
                      token=next_url, gap_at_cap=False):
            yield self.page_request(target, next_url, page + 1, visited)

    def parse_items(self, response: TextResponse, target: CrawlTarget, page: int) -> Iterable[Any]:
        raise NotImplementedError

    def page_not_modified(self, target: CrawlTarget, page: int) -> None:
        """Hook for what an unchanged page still means (the reviews spider's rating trend)."""

    def next_page_url(self, response: TextResponse, target: CrawlTarget) -> str | None:
        """The next page: the source's `next:` selector, else a rel=next link."""
        configured = target.source.next  # type: ignore[attr-defined]
        if configured:
            found = select(response, configured)
            if not found:
                return None
            node = found[0]
            href = node.attrib.get("href") if hasattr(node.root, "tag") else node.get()
        else:
            href = response.css('link[rel~="next"]::attr(href), a[rel~="next"]::attr(href)').get()
        if not href or not href.strip():
            return None
        url = urldefrag(response.urljoin(href.strip()))[0]
        # The page is untrusted: a "next" link elsewhere (another site, another port or scheme of
        # this one, an address inside the network this runs in) is not followed. Pagination
        # stays on the page's own origin: scheme, host and port.
        if not same_origin(url, response.url):
            return None
        return url

    def own_or_item_url(self, target: CrawlTarget, response: TextResponse, own: str | None, *identity: object) -> str:
        """The item's own address when it has one; else the source's page with the item's key.

        The key rests on what identifies the item (its id or anchor, else author and date), not on
        the page it happens to be on today, so an item that moves to page 2 is the same mention.
        """
        if own:
            absolute = response.urljoin(own.strip())
            without_fragment, fragment = urldefrag(absolute)
            is_page = without_fragment in (urldefrag(response.url)[0], urldefrag(target.source.url)[0])  # type: ignore[attr-defined]
            if absolute.startswith(("http://", "https://")) and not fragment and not is_page:
                return absolute
            if fragment:
                return item_url(target.source.url, item_key(fragment))  # type: ignore[attr-defined]
        return item_url(target.source.url, item_key(*identity))  # type: ignore[attr-defined]


def _request_url(response: Response) -> str:
    return response.request.url if response.request else response.url

