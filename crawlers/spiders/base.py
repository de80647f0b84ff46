"""What every mentionwatch spider shares: targets, conditional requests, per-source failures."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, ClassVar

from pydantic import TypeAdapter, ValidationError
from scrapy import Request, Spider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.budget import API_TYPES, read_budget, response_header
from crawlers.config import Credentials, Source
from crawlers.credential_guard import CREDENTIAL_HEADERS, CREDENTIAL_ORIGIN
from crawlers.failures import body_kind, bot_wall, describe_failure
from crawlers.middlewares import RateLimited
from crawlers.pagination import origin_text, same_origin
from crawlers.target import CrawlTarget
from pipeline.adapters import hands_off_batches
from pipeline.items import MalformedItem, MentionBatch, MentionItem, check_item
from pipeline.normalize import to_utc

_SOURCE = TypeAdapter(Source)
logger = logging.getLogger(__name__)


class MentionSpider(Spider):
    """Base of the source spiders. Subclasses implement `first_requests` and their callbacks.

    Run by `mentionwatch run` it gets `targets` (every source of its type) and the configured
    `credentials`; run by hand (`scrapy crawl feed -a url=...`) it builds one target from the
    `-a` arguments, and credentials from the environment as config.yaml would.
    """

    source_type: ClassVar[str]
    # Spiders of documented APIs (JSON search endpoints, XRPC) are API clients, not crawlers:
    # their access rules are the API's terms and rate limits, which they keep. Spiders that read
    # web pages (feeds, review pages, any page) obey robots.txt.
    obeys_robots_txt: ClassVar[bool] = True

    def __init__(
        self,
        targets: list[CrawlTarget] | None = None,
        business: str = "(scrapy crawl)",
        credentials: Credentials | None = None,
        **kwargs: Any,
    ):
        if targets is None:
            targets = [self._target_from_arguments(business, kwargs)]
            kwargs = {}
        super().__init__(**kwargs)
        self.targets = targets
        self.credentials = credentials if credentials is not None else Credentials()

    def _target_from_arguments(self, business: str, arguments: dict[str, Any]) -> CrawlTarget:
        arguments = {k: v for k, v in arguments.items() if k not in ("name", "_job")}
        try:
            source = _SOURCE.validate_python({"type": self.source_type, **arguments})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"spider {self.name}: bad -a arguments: {problems}") from None
        return CrawlTarget(business=business, source=source)

    async def start(self) -> AsyncIterator[Request]:
        for request in self.start_requests_for(self.targets):
            yield request

    def start_requests_for(self, targets: list[CrawlTarget]) -> Iterable[Request]:
        """The first requests of every target; spiders that share a login override this."""
        for target in targets:
            try:
                yield from self.first_requests(target)
            except ValueError as exc:  # a source that cannot even be asked (no credentials, ...)
                target.fail(str(exc))

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        raise NotImplementedError

    # -- requests

    def request(
        self,
        target: CrawlTarget,
        url: str,
        callback: Callable[..., Any],
        *,
        conditional: bool = True,
        step: str | None = None,
        shared_by: list[CrawlTarget] | None = None,
        credentials: dict[str, str] | None = None,
        credential_origin: str | None = None,
        **kwargs: Any,
    ) -> Request:
        """A request for `target` that revalidates with the validators of the last fetch.

        `step` names what the request is for when that is not obvious ("login"); a failure then
        reads "login: HTTP 401 Unauthorized". `shared_by` lists further targets that fail with
        this request (a login shared by several sources). `credentials`: headers that carry an API
        key or token, sent only to `credential_origin` (default: `url`'s own), redirects included
        (crawlers/credential_guard.py); a request elsewhere goes without them.
        """
        headers = dict(kwargs.pop("headers", {}) or {})
        meta = dict(kwargs.pop("meta", {}) or {})
        if credentials:
            home = credential_origin or url
            meta[CREDENTIAL_ORIGIN] = home
            meta[CREDENTIAL_HEADERS] = sorted(credentials)
            if same_origin(url, home):
                headers.update(credentials)
            else:
                self.logger.info("%s: credentials for %s not sent to %s", target.label,
                                 origin_text(home), origin_text(url))
        known = target.validators.get(url, {}) if conditional else {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        meta["handle_httpstatus_list"] = [304]
        if not self.obeys_robots_txt:
            meta["dont_obey_robotstxt"] = True
        if step:
            meta["step"] = step
        if shared_by:
            meta["shared_by"] = [t for t in shared_by if t is not target]
        # Counted until its answer is handled, so a run stopped by a signal knows which sources
        # were read to the end.
        for t in (target, *meta.get("shared_by", ())):
            t.requests_made += 1
            t.requests_open += 1
        if target.source.type in API_TYPES:  # type: ignore[attr-defined]
            target.api_requests += 1  # once per request, however many sources share it
        return Request(
            url,
            # One callback object for every request: Scrapy checks each callback's source for a
            # `return value` in a generator, and caches the answer per callback object. A fresh
            # closure per request made it re-read the source on every response.
            callback=self._guard,
            errback=self._on_error,
            headers=headers,
            meta=meta,
            cb_kwargs={"target": target, "parse": callback, **kwargs.pop("cb_kwargs", {})},
            # The same URL may be asked for by two businesses: each is its own request.
            dont_filter=True,
            **kwargs,
        )

    def owner(self, item: MentionItem, target: CrawlTarget) -> CrawlTarget:
        """The target an item counts for: the request's own (a shared stream's items differ)."""
        return target

    def item(self, target: CrawlTarget, **fields: Any) -> MentionItem:
        """A MentionItem of this spider's type for `target`."""
        return MentionItem(business=target.business, source_id=target.source_id,
                           source_type=self.source_type, **fields)

    # -- responses

    def not_modified(self, response: Response, target: CrawlTarget, **kwargs: Any) -> Iterable[Any]:
        """Called instead of the callback for a 304; may yield requests (the next known page)."""
        return ()

    @cached_property
    def _hands_off_batches(self) -> bool:
        """Whether this crawl's items go to the run's pipeline, which takes a page's items at once."""
        crawler = getattr(self, "crawler", None)
        return crawler is not None and hands_off_batches(crawler.settings)

    @cached_property
    def _guard(self) -> Callable[..., Iterable[Any]]:
        """The bound `_guarded` method, made once: every request's callback (see `request`)."""
        return self._guarded

    def _guarded(self, response: Response, target: CrawlTarget, parse: Callable[..., Any],
                 **kwargs: Any) -> Iterable[Any]:
        """Around a parse callback: 304s are skipped, parse errors fail only their source."""
        target.responses += 1
        failing = [target, *response.meta.get("shared_by", ())]
        if target.source.type in API_TYPES:  # type: ignore[attr-defined]
            said = read_budget(response_header(response.headers), datetime.now(timezone.utc))
            target.api_budget = said or target.api_budget  # what the API said last (crawlers.budget)
        if response.status == 304:
            target.not_modified += 1
            yield from self.not_modified(response, target, **kwargs)
            _handled(failing)
            return
        wall = bot_wall(response)
        if wall:
            self.fail_all(failing, wall, response.request)
            return
        if not response.body.strip():
            # Nothing usable is never "nothing new": a 304 says that, an empty 200 does not.
            step = response.meta.get("step")
            self.fail_all(failing, f"{step + ': ' if step else ''}empty response: the server sent nothing ({response.url})"[:300],
                          response.request)
            return
        # Under `mentionwatch run` the answer's items go on together, after its parse (see
        # pipeline.items.MentionBatch); requests go on at once, as before.
        batch: list[MentionItem] | None = [] if self._hands_off_batches else None
        try:
            for result in parse(response, target, **kwargs) or ():
                if isinstance(result, MentionItem):
                    try:
                        check_item(result)
                    except MalformedItem as exc:
                        self.drop(target, response, str(exc))
                        continue
                    self.owner(result, target).fetched += 1
                    if batch is not None:
                        batch.append(result)
                        continue
                if result is not None:
                    yield result
        except Exception as exc:  # one broken page must not stop the other sources
            if batch:  # what the page gave before it broke is kept, as it was item by item
                yield MentionBatch(batch)
            # INFO: `run` prints each failed source once, in plain words; -v shows this detail too.
            self.logger.info("%s: cannot parse %s: %r", target.label, response.url, exc)
            step = response.meta.get("step")
            reason = f"{step}: " if step else ""
            # Our own ValueErrors carry a readable reason; anything else is named by its type.
            detail = str(exc) if type(exc) is ValueError and str(exc) else f"{type(exc).__name__}: {exc}"
            reason += f"cannot parse {response.url}: {detail}"
            self.fail_all(failing, reason[:300], response.request)
            return
        if batch:
            yield MentionBatch(batch)
        self.remember_validators(target, response)
        # Not in a `finally`: a generator abandoned by a stopped crawl must stay open.
        _handled(failing)

    def entry(self, target: CrawlTarget, response: Response, make: Callable[..., Any], *args: Any) -> Any:
        """`make(*args)`: one item (or None) from one entry of an answer. An entry that cannot
        make one (a list where text belongs, an impossible date) is dropped with a warning; the
        other entries, the source and the run go on."""
        try:
            return make(*args)
        except MalformedItem as exc:
            self.drop(target, response, str(exc))
        except Exception as exc:  # untrusted data: any way one entry breaks must stay its own
            self.drop(target, response, f"{type(exc).__name__}: {exc}")
        return None

    def drop(self, target: CrawlTarget, response: Response, reason: str) -> None:
        """Leave one malformed entry out, saying so with its source."""
        target.dropped += 1
        self.logger.warning("%s: dropped a malformed item from %s: %s", target.label, response.url, reason[:200])

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

    def fail_all(self, targets: list[CrawlTarget], reason: str, request: Request | None) -> None:
        """The sources of a request that failed, for `reason`; a shared stream says it once."""
        for t in targets:
            t.fail(reason)

    def rate_limited(self, request: Request, exc: RateLimited) -> bool:
        """Whether a request the rate limit kept back is handled without a failure (a stream's
        read ends for this cycle); by default its sources fail and are read again next run."""
        return False

    def _on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        target: CrawlTarget = request.cb_kwargs["target"]
        failing = [target, *request.meta.get("shared_by", ())]
        if failure.check(RateLimited) and self.rate_limited(request, failure.value):
            _handled(failing)
            return
        reason = describe_failure(failure)
        step = request.meta.get("step")
        if step:
            reason = f"{step}: {reason}"
        self.logger.info("%s: %s (%s)", target.label, reason, request.url)  # `run` prints it once
        self.fail_all(failing, reason, request)
        _handled(failing)


def _handled(targets: Iterable[CrawlTarget]) -> None:
    """A request's answer was handled to its end (see `CrawlTarget.requests_open`)."""
    for target in targets:
        target.requests_open -= 1


def api_date(value: object) -> Any:
    """The aware UTC moment of an API's date field (None when it has none); MalformedItem when
    it is no possible moment (which is no moment an API sends: the item is malformed)."""
    if value is None:
        return None
    moment = to_utc(value)
    if moment is None:
        raise MalformedItem(f"impossible date {str(value)[:60]!r}")
    return moment


def json_body(response: Response) -> Any:
    """The response's JSON; a truncated or malformed body is a parse error with a short reason.

    Bytes that are not UTF-8 inside a string (one post of a listing) become U+FFFD: one bad item
    must not fail the whole answer, and for a shared stream every business, run after run."""
    try:
        try:
            return json.loads(response.body)
        except UnicodeDecodeError:
            logger.warning("%s: bytes that are not UTF-8 replaced with U+FFFD", response.url)
            return json.loads(response.body.decode("utf-8", errors="replace"))
    except ValueError as exc:
        kind = body_kind(response)
        if kind in ("an empty body", "an HTML page"):
            raise ValueError(f"not JSON: the server sent {kind}") from None
        raise ValueError(f"not valid JSON (truncated or malformed): {exc}"[:200]) from None
