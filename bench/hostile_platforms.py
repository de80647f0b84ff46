"""The hostile-platform campaign of bench/faults.py (`--campaign hostile`): platforms whose answers
try to keep `mentionwatch run` going for ever, fill the store, or collect its credentials.

Scenarios, each a real `mentionwatch run` (the installed CLI) against local servers:

* Google Business Profile hands back the same `nextPageToken` for ever;
* Google Business Profile invents a new page of new reviews on every call;
* Trustpilot's `next-page` link names another origin; its business unit redirects to another origin;
* App Store Connect's `links.next` names another origin.

Figures per scenario: requests the platform received, pages read, seconds, what the run said,
and credentials the other origin received. Goals: every run ends by itself, pages stay within
the cap, 0 credentials leaked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mentionwatch.sandbox.google import LocalGoogleServer
from mentionwatch.sandbox.web import LocalHTTPServer

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")
LOCATION = "accounts/111/locations/222"
CREDENTIAL_HEADERS = {"authorization", "apikey", "cookie", "proxy-authorization"}
DEADLINE = 300.0


def _run(folder: Path, sources: list[dict], env: dict[str, str]) -> tuple[float, str, bool]:
    (folder / "config.yaml").write_text(yaml.safe_dump({
        "database": "sqlite:///mentionwatch.db", "alerts": {"max_age_days": 36500}, "crawler": {"retries": 0},
        "businesses": [{"name": "Joe's Donuts", "keywords": ["Joe's Donuts"], "sources": sources}]}), encoding="utf-8")
    started = time.monotonic()
    try:
        result = subprocess.run([str(MENTIONWATCH), "run", "--config", str(folder / "config.yaml")], cwd=folder,
                                capture_output=True, text=True, timeout=DEADLINE, env={"PATH": "/usr/bin:/bin", **env})
    except subprocess.TimeoutExpired:
        return time.monotonic() - started, f"still running after {DEADLINE:g} s (killed)", False
    said = [line for line in (result.stdout + result.stderr).splitlines()
            if line.startswith(("failed:", "warning:")) or " ok, " in line]
    return time.monotonic() - started, " | ".join(said)[:300], result.returncode == 0


def _leaked(server: LocalHTTPServer) -> int:
    return sum(1 for r in server.requests for name in r.headers if name.lower() in CREDENTIAL_HEADERS)


def _google(trouble: str, max_pages: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, LocalGoogleServer() as google:
        google.add_location("111", "222", "Joe's Donuts")
        from datetime import UTC, datetime

        for n in range(3):
            google.add_review(LOCATION, f"r{n}", 4, f"Nice {n}", f"Ann {n}", datetime(2026, 11, 20 + n, tzinfo=UTC))
        google.misbehave(trouble)
        env = {"GOOGLE_CLIENT_ID": google.client_id, "GOOGLE_CLIENT_SECRET": google.client_secret,
               "GOOGLE_REFRESH_TOKEN": google.grant()}
        seconds, said, ended = _run(Path(tmp), [{"type": "google_business", "location": LOCATION, "url": google.api_url,
                                                 "token_url": google.token_url, "max_pages": max_pages}], env)
        pages = len(google.calls("GET", f"/v4/{LOCATION}/reviews"))
        return {"requests": len(google.requests), "pages": pages, "seconds": seconds, "said": said,
                "leaked": 0, "ok": ended and pages <= max_pages}


def _trustpilot(redirect: bool) -> dict:
    unit = "4bdc3b0e00006400050a2c5e"
    with tempfile.TemporaryDirectory() as tmp, LocalHTTPServer() as web, LocalHTTPServer() as foreign:
        foreign.add("/", json.dumps({"reviews": [], "links": []}), content_type="application/json")
        base = f"/v1/business-units/{unit}"
        if redirect:
            web.add(base, "", status=302, headers={"Location": f"{foreign.url}/"})
        else:
            web.add(base, json.dumps({"id": unit, "score": {"stars": 4.0}}), content_type="application/json")
        web.add(f"{base}/reviews", json.dumps({
            "reviews": [{"id": "5f1a0001", "stars": 2, "text": "Stale.", "createdAt": "2026-11-22T10:00:00Z"}],
            "links": [{"rel": "next-page", "href": f"{foreign.url}{base}/reviews?page=2"}]}),
            content_type="application/json")
        seconds, said, ended = _run(Path(tmp), [{"type": "trustpilot", "domain": "joesdonuts.com",
                                                 "business_unit_id": unit, "api_url": f"{web.url}/v1/"}],
                                    {"TRUSTPILOT_API_KEY": "tp-key-abcdef"})
        return {"requests": len(web.requests) + len(foreign.requests), "pages": len(web.requests_for(f"{base}/reviews")),
                "seconds": seconds, "said": said, "leaked": _leaked(foreign), "ok": ended and _leaked(foreign) == 0}


def _appstore_connect() -> dict:
    app = "1234567890"
    with tempfile.TemporaryDirectory() as tmp, LocalHTTPServer() as web, LocalHTTPServer() as foreign:
        key = ec.generate_private_key(ec.SECP256R1())
        (Path(tmp) / "AuthKey.p8").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        web.add(f"/v1/apps/{app}/customerReviews", json.dumps({
            "data": [{"type": "customerReviews", "id": "r1", "attributes": {
                "rating": 1, "body": "Crashes.", "createdDate": "2026-11-22T14:45:31-08:00"}}],
            "links": {"next": f"{foreign.url}/v1/apps/{app}/customerReviews?cursor=1"}}), content_type="application/json")
        env = {"APPSTORE_CONNECT_KEY_ID": "2X9R4HXF34", "APPSTORE_CONNECT_ISSUER_ID": "57246542",
               "APPSTORE_CONNECT_PRIVATE_KEY_FILE": str(Path(tmp) / "AuthKey.p8")}
        seconds, said, ended = _run(Path(tmp), [{"type": "appstore_connect", "app_id": app, "url": f"{web.url}/"}], env)
        return {"requests": len(web.requests) + len(foreign.requests), "pages": len(web.requests),
                "seconds": seconds, "said": said, "leaked": _leaked(foreign), "ok": ended and _leaked(foreign) == 0}


def campaign(max_pages: int) -> int:
    """Run every scenario and print its figures against the goals; 0 when all are met."""
    scenarios = {
        "google: the same nextPageToken for ever": lambda: _google("same_token", max_pages),
        f"google: new pages for ever (cap {max_pages})": lambda: _google("endless", max_pages),
        "trustpilot: next-page on another origin": lambda: _trustpilot(redirect=False),
        "trustpilot: redirect to another origin": lambda: _trustpilot(redirect=True),
        "app store connect: links.next elsewhere": _appstore_connect,
    }
    print(f"{'scenario':<44} {'requests':>8} {'pages':>5} {'seconds':>7} {'leaked':>6}  goal")
    met = True
    for name, scenario in scenarios.items():
        figures = scenario()
        met &= figures["ok"]
        print(f"{name:<44} {figures['requests']:>8} {figures['pages']:>5} {figures['seconds']:>7.1f} "
              f"{figures['leaked']:>6}  {'met' if figures['ok'] else 'NOT met'}")
        print(f"    {figures['said']}")
    print("goal (every run ends by itself, pages within the cap, 0 credentials leaked):", "met" if met else "NOT met")
    return 0 if met else 1
