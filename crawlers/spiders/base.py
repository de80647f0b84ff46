"""What every mentionwatch spider shares: targets, conditional requests, per-source failures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, ClassVar

from pydantic import TypeAdapter, ValidationError
from scrapy import Request, Spider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.failures import bot_wall, describe_failure
from crawlers.target import CrawlTarget
from mentionwatch.config import Source, SourceBase

_SOURCE = TypeAdapter(Source)


class MentionSpider(Spider):
    """Base of the source spiders. Subclasses implement `first_requests` and their callbacks.

    Run by `mentionwatch run` it gets `targets` (every source of its type); run by hand
    (`scrapy crawl feed -a url=...`) it builds one target from the `-a` arguments.
    """

    source_type: ClassVar[str]

    def __init__(self, targets: list[CrawlTarget] | None = None, business: str = "(scrapy crawl)", **kwargs: Any):
        if targets is None:
            targets = [self._target_from_arguments(business, kwargs)]
            kwargs = {}
        super().__init__(**kwargs)
        self.targets = targets

    def _target_from_arguments(self, business: str, arguments: dict[str, Any]) -> CrawlTarget:
        arguments = {k: v for k, v in arguments.items() if k not in ("name", "_job")}
        try:
            source = _SOURCE.validate_python({"type": self.source_type, **arguments})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"spider {self.name}: bad -a arguments: {problems}") from None
        return CrawlTarget(business=business, source=source)

    async def start(self) -> AsyncIterator[Request]:
        for target in self.targets:
            for request in self.first_requests(target):
                yield request

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        raise NotImplementedError

    def request(
        self,
        target: CrawlTarget,
        url: str,
        callback: Callable[..., Any],
        *,
        conditional: bool = True,
        **kwargs: Any,
    ) -> Request:
        """A request for `target` that revalidates with the validators of the last fetch."""
        headers = dict(kwargs.pop("headers", {}) or {})
        known = target.validators.get(url, {}) if conditional else {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        meta = dict(kwargs.pop("meta", {}) or {})
        meta["handle_httpstatus_list"] = [304]
        return Request(
            url,
            callback=self._guarded(callback),
            errback=self._on_error,
            headers=headers,
            meta=meta,
            cb_kwargs={"target": target, **kwargs.pop("cb_kwargs", {})},
            # The same URL may be asked for by two businesses: each is its own request.
            dont_filter=True,
            **kwargs,
        )

    def _guarded(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a parse callback: 304s are skipped, parse errors fail only their source."""

        def guarded(response: Response, target: CrawlTarget, **kwargs: Any) -> Iterable[Any]:
            target.responses += 1
            if response.status == 304:
                target.not_modified += 1
                return
            wall = bot_wall(response)
            if wall:
                target.fail(wall)
                return
            try:
                for result in callback(response, target, **kwargs) or ():
                    if not isinstance(result, Request):
                        target.fetched += 1
                    yield result
            except Exception as exc:  # one broken page must not stop the other sources
                self.logger.warning("%s: cannot parse %s: %r", target.label, response.url, exc)
                target.fail(f"cannot parse {response.url}: {type(exc).__name__}: {exc}"[:300])
                return
            self.remember_validators(target, response)

        guarded.__name__ = getattr(callback, "__name__", "parse")
        return guarded

    @staticmethod
    def remember_validators(target: CrawlTarget, response: Response) -> None:
        """Keep this response's ETag / Last-Modified, saved only if the run completes."""
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        if etag or modified:
            url = response.request.url if response.request else response.url
            target.new_validators[url] = {
                k: v.decode("latin-1") for k, v in (("etag", etag), ("last_modified", modified)) if v
            }

    def _on_error(self, failure: Failure) -> None:
        target: CrawlTarget = failure.request.cb_kwargs["target"]  # type: ignore[attr-defined]
        reason = describe_failure(failure)
        self.logger.warning("%s: %s (%s)", target.label, reason, failure.request.url)  # type: ignore[attr-defined]
        target.fail(reason)
