"""What the owner's own website offers to watch: the feeds it links to and its schema.org reviews.

Used by `mentionwatch init`. One polite look: the home page (robots.txt permitting) and at most
`MAX_REVIEW_PAGES` of its own pages whose links mention reviews, each bounded in time and size.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import unicodedata
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from crawlers.redirects import is_public, public_test_hosts, refused_redirect
from crawlers.settings import USER_AGENT

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
MAX_BYTES = 5 * 1024 * 1024
MAX_REVIEW_PAGES = 3
# Words in a link's address or text that suggest a page of reviews (English, French, German, Spanish).
REVIEW_WORDS = ("review", "testimonial", "avis", "bewertung", "opiniones", "reseña")


@dataclass
class FoundFeed:
    url: str
    title: str | None


@dataclass
class SiteFindings:
    """What one look at the site found; `error` says why the home page could not be read."""

    url: str
    feeds: list[FoundFeed] = field(default_factory=list)
    review_pages: list[tuple[str, int]] = field(default_factory=list)
    """Pages carrying schema.org reviews, with how many reviews each holds."""
    error: str | None = None
    notes: list[str] = field(default_factory=list)


class FetchError(Exception):
    """A page could not be read; the message is the reason in plain words."""


def _resolve(host: str) -> tuple[str, bool] | None:
    """A host's address as the connection will use it, and whether it is public (None: no address)."""
    test_hosts = public_test_hosts()
    if host in test_hosts:
        return test_hosts[host], True
    try:
        address = socket.getaddrinfo(host.strip("[]"), None, type=socket.SOCK_STREAM)[0][4][0]
    except (OSError, UnicodeError, IndexError):
        return None
    return str(address), is_public(str(address))


class _ResolvedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address `_resolve` checked (so a second DNS answer cannot differ from it)."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_resolved


class _ResolvedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_resolved


def _connect_resolved(address, *args, **kwargs):  # type: ignore[no-untyped-def]
    host, port = address
    resolved = _resolve(host)
    return socket.create_connection((resolved[0] if resolved else host, port), *args, **kwargs)


class _Handlers(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    def http_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(_ResolvedHTTPConnection, req)

    def https_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(_ResolvedHTTPSConnection, req, context=self._context)


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """The crawler's redirect rules (crawlers/redirects.py): http(s) only, never from a public
    address into a private one, checked before the redirected address is asked anything."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        reason = refused_redirect(req.full_url, newurl, _resolve)
        if reason:
            raise FetchError(reason)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_Handlers(), _SafeRedirects())


def fetch(url: str, timeout: float, agent: str = USER_AGENT) -> tuple[str, bytes, str]:
    """GET `url`: (final URL, body, content type). Raises FetchError with a readable reason."""
    request = urllib.request.Request(url, headers={"User-Agent": agent, "Accept": "text/html,*/*;q=0.5"})
    try:
        with _opener().open(request, timeout=timeout) as response:  # http(s) only, redirects checked
            body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise FetchError(f"the page is larger than {MAX_BYTES // 1024 // 1024} MB")
            return response.geturl(), body, response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ConnectionRefusedError):
            raise FetchError("connection refused (is the site down?)") from None
        if isinstance(reason, TimeoutError):
            raise FetchError(f"timed out after {timeout:g}s") from None
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise FetchError(f"its https certificate is not valid ({reason.verify_message})") from None
        if isinstance(reason, ssl.SSLError):  # often a site that speaks only http, asked for https
            raise FetchError(f"no https connection could be made ({reason.reason or 'SSL error'}); if the site "
                             "has no https, give its address with http://") from None
        raise FetchError(str(getattr(reason, "strerror", None) or reason)) from None
    except TimeoutError:
        raise FetchError(f"timed out after {timeout:g}s") from None
    except OSError as exc:
        raise FetchError(exc.strerror or type(exc).__name__) from None
    except (ValueError, http.client.HTTPException) as exc:  # a malformed address or answer
        raise FetchError(f"{type(exc).__name__}: {exc}") from None


def _robots(url: str, timeout: float, agent: str) -> urllib.robotparser.RobotFileParser:
    parts = urlsplit(url)
    robots = urllib.robotparser.RobotFileParser()
    try:
        _, body, _ = fetch(f"{parts.scheme}://{parts.netloc}/robots.txt", timeout, agent)
        robots.parse(body.decode("utf-8", "replace").splitlines())
    except FetchError:
        robots.parse([])  # no robots.txt (or none readable): everything allowed, as crawlers read it
    return robots


def discover(url: str, timeout: float = 10, agent: str = USER_AGENT) -> SiteFindings:
    """Look at the site at `url` once, as the crawler would (`agent`: its User-Agent, with the
    config's contact); never raises for the site's own failures."""
    from parsel import Selector

    findings = SiteFindings(url)
    robots = _robots(url, timeout, agent)
    if not robots.can_fetch(agent, url):
        findings.error = "its robots.txt asks crawlers not to read the home page"
        return findings
    try:
        final_url, body, content_type = fetch(url, timeout, agent)
    except FetchError as exc:
        findings.error = str(exc)
        return findings
    if "html" not in content_type:
        findings.error = f"the home page is not HTML ({content_type})"
        return findings
    page = Selector(text=body.decode("utf-8", "replace"), base_url=final_url)
    seen: set[str] = set()
    for link in page.xpath("//link[@href]"):
        rels = (link.attrib.get("rel") or "").lower().split()
        kind = (link.attrib.get("type") or "").lower().split(";")[0].strip()
        feed_url = urljoin(final_url, link.attrib["href"].strip())
        if "alternate" in rels and kind in FEED_TYPES and _is_http(feed_url) and feed_url not in seen:
            seen.add(feed_url)
            findings.feeds.append(FoundFeed(feed_url, plain_title(link.attrib.get("title") or "") or None))

    candidates = [final_url] + _review_links(page, final_url)[:MAX_REVIEW_PAGES]
    for index, candidate in enumerate(candidates):
        if index == 0:
            html = body
        elif not robots.can_fetch(agent, candidate):
            findings.notes.append(f"{candidate}: robots.txt asks crawlers not to read it")
            continue
        else:
            try:
                _, html, _ = fetch(candidate, timeout, agent)
            except FetchError as exc:
                findings.notes.append(f"{candidate}: {exc}")
                continue
        try:
            count = _review_count(html, candidate)
        except Exception as exc:  # noqa: BLE001 - untrusted markup must not stop `init`
            findings.notes.append(f"{candidate}: its structured data could not be read ({type(exc).__name__})")
            continue
        if count:
            findings.review_pages.append((candidate, count))
    return findings


def plain_title(text: str, limit: int = 80) -> str:
    """A title from the web made safe for one line of a YAML comment and a terminal: no line breaks,
    no control or invisible format characters (which could add lines to config.yaml, or
    recolour or reverse what the owner reads)."""
    kept = "".join(" " if unicodedata.category(c).startswith("Z") or c in "\t\r\n" else c
                   for c in text if not unicodedata.category(c).startswith("C") or c in "\t\r\n")
    return " ".join(kept.split())[:limit]


def _is_http(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _review_links(page: object, base: str) -> list[str]:
    """Links on the home page to its own pages about reviews, in page order, once each."""
    origin = urlsplit(base)[:2]
    found: list[str] = []
    for anchor in page.xpath("//a[@href]"):  # type: ignore[attr-defined]
        href = urljoin(base, anchor.attrib["href"].strip()).split("#")[0]
        words = (href + " " + " ".join(anchor.xpath(".//text()").getall())).lower()
        if urlsplit(href)[:2] == origin and href != base and href not in found and any(w in words for w in REVIEW_WORDS):
            found.append(href)
    return found


def _review_count(html: bytes, url: str) -> int:
    """How many schema.org reviews the page carries (JSON-LD, microdata or RDFa), as the reviews spider reads them."""
    from crawlers.schemaorg import extract_nodes, find_reviews

    nodes, _ = extract_nodes(html, url)
    return len(find_reviews(nodes))
