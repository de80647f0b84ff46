"""`mentionwatch connect google`: the installed-app OAuth flow end to end against a local Google."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime

from cryptography.fernet import Fernet

from tests.conftest import MENTIONWATCH
from tests.crawlers.helpers import run, summary
from tests.platforms.conftest import LOCATION, google_env, write_google_config

KEY = Fernet.generate_key().decode()


def _connect_args(google, workspace, *extra: str) -> list[str]:
    return [str(MENTIONWATCH), "connect", "google", "--config", str(workspace.config),
            "--auth-uri", google.auth_url, "--token-uri", google.token_url, *extra]


def _env(google, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "MENTIONWATCH_", "BROWSER"))}
    return {**clean, **google_env(google), "MENTIONWATCH_SECRET_KEY": KEY, **extra}


def test_loopback_flow_stores_the_refresh_token_encrypted_and_runs_use_it(google, workspace, tmp_path):
    google.add_review(LOCATION, "a", stars=5, comment="Best crullers in town.", reviewer="Ann",
                      created=datetime(2026, 11, 20, tzinfo=UTC))
    write_google_config(workspace, google)
    # The "browser": returns at once, as xdg-open does, and follows the consent URL, which
    # redirects to mentionwatch's loopback listener.
    browser = tmp_path / "browser.py"
    browser.write_text("import os, sys, urllib.request\n"
                       "if os.fork() == 0:\n    urllib.request.urlopen(sys.argv[1], timeout=30).read()\n")
    env = _env(google, BROWSER=f"{sys.executable} {browser} %s")

    result = subprocess.run(_connect_args(google, workspace), env=env, capture_output=True, text=True, timeout=60,
                            cwd=workspace.folder)

    assert result.returncode == 0, result.stderr
    assert "Connected. The refresh token is stored encrypted in the database." in result.stdout
    (token,) = google.refresh_tokens
    assert token not in result.stdout + result.stderr
    assert token.encode() not in workspace.database.read_bytes()
    assert "code_challenge" in google.calls("GET", "/o/oauth2/auth")[0].path  # PKCE
    # A run finds the stored token with only the client and the key in the environment.
    ran = run(workspace, env={**google_env(google), "MENTIONWATCH_SECRET_KEY": KEY})
    assert summary(ran).startswith("1 source ok, 0 failed; 1 item fetched, 1 new mention")
    fetched = workspace.cli("check", "--fetch", env={**google_env(google), "MENTIONWATCH_SECRET_KEY": KEY})
    assert fetched.returncode == 0, fetched.stdout
    assert f"ok fetch google_business Joe's Donuts / Google reviews of {LOCATION}:" in fetched.stdout
    # Without the key the source fails with what to do; the run itself goes on.
    keyless = run(workspace, env=google_env(google))
    assert "MENTIONWATCH_SECRET_KEY is not set" in keyless.stderr


def test_headless_flow_with_a_pasted_address_then_list_locations(google, workspace):
    google.add_location("111", "333", "Joe's Donuts – Airport")
    write_google_config(workspace, google)
    process = subprocess.Popen(_connect_args(google, workspace, "--no-browser"), env=_env(google), text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=workspace.folder)
    assert process.stdout is not None
    url = ""
    while not url.startswith("http"):
        url = process.stdout.readline().strip()
    # The browser on another machine: consent redirects to 127.0.0.1, where nothing answers;
    # the owner copies the address from the address bar.
    opener = urllib.request.build_opener(_NoRedirect)
    location = opener.open(url).headers["Location"]
    out, err = process.communicate(location + "\n", timeout=60)

    assert process.returncode == 0, err
    assert "Connected." in out

    listed = workspace.cli("connect", "google", "--list", "--token-uri", google.token_url,
                           "--accounts-url", google.accounts_url, "--locations-url", google.locations_url,
                           env={**google_env(google), "MENTIONWATCH_SECRET_KEY": KEY})

    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == (
        "# Joe's Donuts – Main St (accounts/111)\n"
        "  - type: google_business\n    location: accounts/111/locations/222   # Joe's Donuts – Main St\n"
        "  - type: google_business\n    location: accounts/111/locations/333   # Joe's Donuts – Airport\n")


def test_connect_needs_a_valid_secret_key_before_anything_else(google, workspace):
    write_google_config(workspace, google)

    missing = subprocess.run(_connect_args(google, workspace), env={**_env(google), "MENTIONWATCH_SECRET_KEY": ""},
                             capture_output=True, text=True, timeout=60)
    invalid = subprocess.run(_connect_args(google, workspace), env=_env(google, MENTIONWATCH_SECRET_KEY="hunter2"),
                             capture_output=True, text=True, timeout=60)

    assert missing.returncode == 1 and missing.stderr.startswith("Error: MENTIONWATCH_SECRET_KEY is not set")
    assert invalid.returncode == 1 and invalid.stderr.startswith("Error: MENTIONWATCH_SECRET_KEY is not a Fernet key")
    assert "hunter2" not in invalid.stderr
    assert google.calls("GET", "/o/oauth2/auth") == []


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None

    def http_error_302(self, req, fp, code, msg, headers):  # noqa: ANN001
        return fp
