"""What the stream readers share: one request for all businesses, one match for all of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request

from crawlers.config import Credentials
from crawlers.middlewares import RateLimited
from crawlers.spiders.base import MentionSpider
from crawlers.streams.state import StreamState
from crawlers.target import CrawlTarget
from pipeline.items import MentionItem, check_item
from pipeline.keyword_index import KeywordIndex
from pipeline.record import record_from_item


class StreamSpider(MentionSpider):
    """Reads one network's newest items once and hands each to the businesses it names.

    Its `targets` are every business source of the network's type; a request is made for all of
    them (a failure fails them all, and none of their cursors moves on). Each item of the stream
    is normalized as the pipeline will normalize it and matched once against every business by the
    `KeywordIndex`; it is yielded once per business named (under that business's source), and
    not at all when it names none.
    """

    def __init__(self, targets: list[CrawlTarget], stream: StreamState, index: KeywordIndex,
                 credentials: Credentials | None = None, **kwargs: Any):
        super().__init__(targets=targets, credentials=credentials, **kwargs)
        self.stream = stream
        self.index = index
        # A business with two sources of the network gets each stream item once, under the first.
        self.by_business: dict[str, CrawlTarget] = {}
        for target in targets:
            self.by_business.setdefault(target.business, target)
        self.by_source = {t.source_id: t for t in targets}

    def start_requests_for(self, targets: list[CrawlTarget]) -> Iterable[Request]:
        if targets:
            yield from self.first_stream_requests()

    def first_stream_requests(self) -> Iterable[Request]:
        raise NotImplementedError

    def stream_request(self, url: str, callback: Callable[..., Any], **kwargs: Any) -> Request:
        """A request made once for every business of the stream."""
        return self.request(self.targets[0], url, callback, conditional=False, shared_by=self.targets, **kwargs)

    def fail_all(self, targets: list[CrawlTarget], reason: str, request: Request | None) -> None:
        """A failed request of the stream fails the read (said once, by the stream's name) and
        every source matched against it, each with the stream's name in its reason."""
        where = urlsplit(request.url).path.removesuffix(".json") if request is not None else ""
        self.stream.fail(where, reason)
        label, _ = self.stream.error  # type: ignore[misc]
        super().fail_all(targets, f"{label}: {reason}"[:300], request)

    def rate_limited(self, request: Request, exc: RateLimited) -> bool:
        """The rate limit ends the read for this cycle: what was read is kept, the cursor of a
        listing not read stays, and the next cycle goes on from there."""
        self.stream.rate_limited(exc.wait)
        self.logger.info("%s: %s (%s)", self.stream.name, exc, request.url)
        return True

    def owner(self, item: MentionItem, target: CrawlTarget) -> CrawlTarget:
        return self.by_source.get(item.source_id, target)

    def matched(self, candidate: MentionItem) -> Iterable[MentionItem]:
        """`candidate` (a stream item for no business yet) once per business it names."""
        self.stream.items_read += 1
        record = record_from_item(check_item(candidate), 0)
        for name in self.index.named_in_mention(record.title, record.text):
            target = self.by_business.get(name)
            if target is not None:
                yield replace(candidate, business=target.business, source_id=target.source_id)

    def stream_item(self, **fields: Any) -> MentionItem:
        """An item of the stream, not yet any business's."""
        return MentionItem(business="", source_type=self.source_type, **fields)
