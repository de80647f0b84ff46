"""LocalHTTPServer behaves like a small real website: files, validators, scripted trouble."""

from __future__ import annotations

import http.client
import os
import threading
import time
import urllib.error
import urllib.request

import pytest

from mentionwatch.sandbox.web import LocalHTTPServer, Response

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Acme</title></channel></rss>'


# Every server started in a test must be fully stopped by its end.
pytestmark = pytest.mark.usefixtures("no_leaked_threads")


@pytest.fixture
def site(tmp_path):
    (tmp_path / "feed.xml").write_bytes(RSS)
    (tmp_path / "search.json").write_text('{"results": []}')
    (tmp_path / "page.html").write_text("<html><body>Acme Coffee</body></html>")
    (tmp_path / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    with LocalHTTPServer(root=tmp_path) as server:
        yield server


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """GET with http.client: status, headers and body, without urllib's redirect/error handling."""
    parts = urllib.request.urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_serves_files_with_content_types_and_records(site):
    status, headers, body = get(site.url + "/feed.xml")
    assert (status, body) == (200, RSS)
    assert headers["Content-Type"] == "application/rss+xml"  # an .xml file that is a feed
    assert get(site.url + "/search.json")[1]["Content-Type"] == "application/json"
    assert get(site.url + "/page.html")[1]["Content-Type"].startswith("text/html")
    assert get(site.url + "/robots.txt")[2].startswith(b"User-agent")
    assert get(site.url + "/missing.html")[0] == 404

    assert site.url.startswith("http://127.0.0.1:") and not site.url.endswith("/")
    first = site.requests[0]
    assert (first.method, first.path, first.status, first.bytes_sent) == ("GET", "/feed.xml", 200, len(RSS))
    assert [r.path for r in site.requests_for("/robots")] == ["/robots.txt"]


def test_robots_txt_is_404_when_absent(tmp_path):
    with LocalHTTPServer(root=tmp_path) as server:
        assert get(server.url + "/robots.txt")[0] == 404


def test_query_is_ignored_for_files_but_recorded_and_exact_routes_win(site):
    status, _, body = get(site.url + "/search.json?q=acme+coffee")
    assert (status, body) == (200, b'{"results": []}')
    assert site.requests[-1].path == "/search.json?q=acme+coffee"

    site.add("/search.json?q=acme", '{"results": [1]}')
    assert get(site.url + "/search.json?q=acme")[2] == b'{"results": [1]}'
    assert get(site.url + "/search.json?q=other")[2] == b'{"results": []}'  # the file again


def test_route_overrides_file_and_editing_changes_etag(site):
    site.add("/feed.xml", "<rss>one</rss>")
    _, headers_one, body = get(site.url + "/feed.xml")
    assert body == b"<rss>one</rss>" and headers_one["Content-Type"] == "application/rss+xml"
    site.add("/feed.xml", "<rss>two</rss>")
    _, headers_two, _ = get(site.url + "/feed.xml")
    assert headers_one["ETag"] != headers_two["ETag"]
    assert headers_two["ETag"].startswith('"')  # strong, not W/


def test_revalidation_with_etag(site, tmp_path):
    _, headers, _ = get(site.url + "/feed.xml")
    status, headers_304, body = get(site.url + "/feed.xml", {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")
    assert headers_304["ETag"] == headers["ETag"]
    assert site.requests[-1].status == 304 and site.requests[-1].bytes_sent == 0

    (tmp_path / "feed.xml").write_bytes(RSS.replace(b"Acme", b"Acme Coffee"))
    status, new_headers, _ = get(site.url + "/feed.xml", {"If-None-Match": headers["ETag"]})
    assert status == 200 and new_headers["ETag"] != headers["ETag"]


def test_revalidation_with_last_modified(site, tmp_path):
    feed = tmp_path / "feed.xml"
    os.utime(feed, (1_700_000_000, 1_700_000_000))
    _, headers, _ = get(site.url + "/feed.xml")
    assert headers["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert get(site.url + "/feed.xml", {"If-Modified-Since": headers["Last-Modified"]})[0] == 304

    os.utime(feed, (1_700_000_060, 1_700_000_060))  # edited a minute later
    assert get(site.url + "/feed.xml", {"If-Modified-Since": headers["Last-Modified"]})[0] == 200


def test_scripted_429_with_retry_after_then_the_file(site):
    site.script("/feed.xml", Response(429, "slow down", headers={"Retry-After": "3"}))
    status, headers, _ = get(site.url + "/feed.xml")
    assert status == 429 and headers["Retry-After"] == "3"
    status, _, body = get(site.url + "/feed.xml")
    assert (status, body) == (200, RSS)
    assert [r.status for r in site.requests_for("/feed.xml")] == [429, 200]


def test_truncated_download_is_an_error_for_the_client(site):
    site.script("/feed.xml", Response(200, RSS, truncate_to=10))
    with pytest.raises(http.client.IncompleteRead):
        with urllib.request.urlopen(site.url + "/feed.xml", timeout=10) as response:
            response.read()
    assert site.requests[-1].bytes_sent == 10


def test_directory_traversal_is_blocked(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("private")
    (root / "escape.txt").symlink_to(tmp_path / "secret.txt")
    with LocalHTTPServer(root=root) as server:
        for target in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/escape.txt"):
            status, _, body = get(server.url + target)
            assert status == 404 and b"private" not in body, target


def test_latency_is_honoured(tmp_path):
    with LocalHTTPServer(root=tmp_path, latency=0.3) as server:
        server.add("/", "hello")
        started = time.monotonic()
        assert get(server.url + "/")[2] == b"hello"
        assert time.monotonic() - started >= 0.25


def test_scripted_delay_answers_late(site):
    site.script("/page.html", Response(200, "late", delay=0.2))
    started = time.monotonic()
    assert get(site.url + "/page.html")[2] == b"late"
    assert time.monotonic() - started >= 0.15


def test_two_servers_side_by_side_on_other_loopback_addresses(tmp_path):
    with LocalHTTPServer(host="127.0.0.2") as first:
        # The same port on another address: proves `host` is really bound.
        with LocalHTTPServer(host="127.0.0.3", port=first.port) as second:
            first.add("/", "two")
            second.add("/", "three")
            assert first.url == f"http://127.0.0.2:{first.port}"
            assert get(first.url + "/")[2] == b"two"
            assert get(second.url + "/")[2] == b"three"
            assert len(first.requests) == len(second.requests) == 1


def test_credentials_are_redacted_in_recorded_headers(site):
    get(site.url + "/search.json", {"Authorization": "Bearer s3cr3t", "X-Api-Key": "k3y"})
    recorded = site.requests[-1].headers
    assert recorded["Authorization"] == recorded["X-Api-Key"] == "(redacted)"
    assert "s3cr3t" not in repr(site.requests)


def test_stop_cuts_a_sleeping_answer_short(tmp_path):
    # An answer held back for ten minutes: only stop() can end the client's wait within the test.
    server = LocalHTTPServer(root=tmp_path, latency=600).start()
    result: list[BaseException] = []

    def client():
        try:
            get(server.url + "/")
        except (ConnectionError, http.client.HTTPException) as exc:
            result.append(exc)

    thread = threading.Thread(target=client)
    thread.start()
    time.sleep(0.5)  # let the request arrive and start its wait
    server.stop()
    thread.join(120)
    assert not thread.is_alive() and len(result) == 1
    assert server.requests[0].status == 0  # recorded, though never answered
    server.stop()  # idempotent
