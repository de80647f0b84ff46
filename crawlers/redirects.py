"""Redirects a feed or page may ask for, and those it may not.

A source's server is untrusted: its redirect must not make the crawler fetch the owner's own
services (a router, an admin page on localhost) or a cloud metadata address (169.254.169.254).
`SafeRedirectMiddleware` is Scrapy's RedirectMiddleware with two rules more:

* only http(s) targets are followed; any other scheme fails the source with a readable reason;
* a redirect into a loopback, private, link-local or otherwise non-public address is refused,
  unless the source itself is on such an address (the owner chose to crawl it, e.g. an intranet
  feed). The target's host is resolved through the crawl's own DNS cache, so the address checked
  is the address then connected to.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.resolver import dnscache
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from w3lib.url import safe_url_string

PUBLIC_TEST_HOSTS_SETTING = "MENTIONWATCH_PUBLIC_TEST_HOSTS"
"""Tests only: {host: address} resolved to that address and counted as public, so a test can
stage "a public site redirects to 127.0.0.1" without leaving the machine."""


def public_test_hosts() -> dict[str, str]:
    """Tests only: MENTIONWATCH_PUBLIC_TEST_HOSTS="name=127.0.0.1,..." makes `name` a public host
    at that address, so the refusal of a redirect from a public site into a private address is
    tested without leaving the machine."""
    import os

    value = os.environ.get("MENTIONWATCH_PUBLIC_TEST_HOSTS", "")
    return dict(p.split("=", 1) for p in value.split(",") if "=" in p)


def refused_redirect(origin_url: str, target_url: str, resolve: Any) -> str | None:
    """Why a redirect from the source at `origin_url` to `target_url` may not be followed, or None.

    The crawler's rules, for callers outside Scrapy (`init`'s look at the website): http(s) only,
    and never from a public address into a loopback, private or link-local one. `resolve(host)`
    gives a host's address (None when it has none) and whether it counts as public.
    """
    from urllib.parse import urlsplit

    scheme = target_url.split(":", 1)[0].lower() if ":" in target_url else ""
    if scheme not in ("http", "https"):
        return (f"redirect to a {scheme or 'non-web'} address refused (only http and https are followed): "
                f"{target_url[:100]}")
    origin_host = urlsplit(origin_url).hostname or ""
    origin = resolve(origin_host)
    if origin is None or not origin[1]:
        return None  # the owner's own site on a private address: so may its redirects be
    host = urlsplit(target_url).hostname or ""
    target = resolve(host)
    if target is not None and not target[1]:
        where = host if host == target[0] else f"{host} ({target[0]})"
        return f"redirect from {origin_host} to a private address refused: {where} is loopback, private or link-local"
    return None


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, link-local, ...)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class SafeRedirectMiddleware(RedirectMiddleware):
    """RedirectMiddleware that fails a redirect to anything but http(s) with a readable reason
    (Scrapy's would hand the 3xx itself on, read as a failed page)."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if (result is response and response.status in (301, 302, 303, 307, 308)
                and b"Location" in response.headers and not request.meta.get("dont_redirect")
                and response.status not in request.meta.get("handle_httpstatus_list", ())):
            target = safe_url_string(response.headers[b"Location"])
            scheme = target.split(":", 1)[0].lower() if ":" in target else ""
            raise IgnoreRequest(f"redirect to a {scheme or 'non-web'} address refused "
                                f"(only http and https are followed): {target[:100]}")
        return result


class PrivateRedirectGuard:
    """Refuses a redirect from a public address into a non-public one, before anything is asked
    of that address (its robots.txt included: this runs before RobotsTxtMiddleware)."""

    def __init__(self, public_test_hosts: dict[str, str]):
        self.public_test_hosts = public_test_hosts
        for host, address in public_test_hosts.items():
            dnscache[host] = address

    @classmethod
    def from_crawler(cls, crawler: Any) -> PrivateRedirectGuard:
        return cls(dict(crawler.settings.getdict(PUBLIC_TEST_HOSTS_SETTING)))

    async def process_request(self, request: Request, spider: Any = None) -> None:
        chain = request.meta.get("redirect_urls")
        if not chain:
            return None  # not a redirect: the source's own address is the owner's choice
        origin_host = urlparse_cached(Request(chain[0])).hostname or ""
        origin = await self._address(origin_host)
        if origin is not None and not self._public(origin_host, origin):
            return None  # the source itself is on a private address: so may its redirects be
        host = urlparse_cached(request).hostname or ""
        address = await self._address(host)
        if address is not None and not self._public(host, address):
            came_from = urlparse_cached(Request(chain[-1])).hostname
            where = host if host == address else f"{host} ({address})"
            raise IgnoreRequest(f"redirect from {came_from} to a private address refused: {where} is "
                                "loopback, private or link-local")
        return None

    def _public(self, host: str, address: str) -> bool:
        return host in self.public_test_hosts or is_public(address)

    async def _address(self, host: str) -> str | None:
        """The host's address as the download will connect to it (a literal IP is itself)."""
        if not host:
            return None
        try:
            ipaddress.ip_address(host.strip("[]"))
            return host.strip("[]")
        except ValueError:
            pass
        from twisted.internet import reactor

        try:
            return str(await maybe_deferred_to_future(reactor.resolve(host)))  # type: ignore[attr-defined]
        except Exception:  # no such host: the download fails with its own, readable reason
            return None
