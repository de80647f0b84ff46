"""`mentionwatch connect google`: Google's installed-app OAuth flow, and listing what it grants.

The flow is google-auth-oauthlib's `InstalledAppFlow` (PKCE, a loopback redirect on
127.0.0.1); the refresh token it yields is stored encrypted by crawlers.platforms.vault.
"""

from __future__ import annotations

import os
import webbrowser
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.orm import Session

from crawlers.platforms.google import SCOPE, GoogleClient, GoogleError
from crawlers.platforms.vault import (
    GOOGLE_REFRESH_TOKEN,
    fernet,
    store_secret,
    with_stored_credentials,
)
from mentionwatch.config import Settings

PASTE_REDIRECT = "http://127.0.0.1/"
"""Where the consent page sends the browser in --no-browser mode: nothing answers there, and the
owner copies the address (which carries the code) from the browser's address bar."""


def _flow(settings: Settings, auth_uri: str, token_uri: str):  # type: ignore[no-untyped-def]
    from google_auth_oauthlib.flow import InstalledAppFlow

    credentials = settings.credentials
    if not credentials.google_client_id or not credentials.google_client_secret:
        raise GoogleError("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set: create an OAuth client of type "
                          "\"Desktop app\" in the Google Cloud console (APIs & Services > Credentials)")
    if urlsplit(token_uri).scheme == "http" and urlsplit(token_uri).hostname in ("127.0.0.1", "localhost", "::1"):
        # oauthlib refuses plain-HTTP token endpoints; a loopback one (a local test server)
        # never leaves the machine.
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    config = {"installed": {
        "client_id": credentials.google_client_id,
        "client_secret": credentials.google_client_secret.get_secret_value(),
        "auth_uri": auth_uri, "token_uri": token_uri, "redirect_uris": ["http://127.0.0.1"],
    }}
    return InstalledAppFlow.from_client_config(config, scopes=[SCOPE])


def grant_google_access(session: Session, settings: Settings, auth_uri: str, token_uri: str, no_browser: bool,
                        say: Callable[[str], None], ask: Callable[[], str]) -> None:
    """Run the consent flow and store the refresh token; `ask` reads the pasted answer (--no-browser)."""
    fernet()  # a missing or malformed key is reported before the owner clicks through consent
    flow = _flow(settings, auth_uri, token_uri)
    # offline + consent: Google hands out a refresh token only when asked, and again only on consent.
    extra = {"access_type": "offline", "prompt": "consent"}
    try:
        if no_browser:
            flow.redirect_uri = PASTE_REDIRECT
            url, _ = flow.authorization_url(**extra)
            say(f"Open this URL in a browser, allow access, then copy the address the browser ends on:\n{url}")
            answer = ask().strip()
            code = parse_qs(urlsplit(answer).query).get("code", [None])[0] if "://" in answer else answer
            if not code:
                raise GoogleError("no code in what was pasted: paste the whole address the browser ended on")
            flow.fetch_token(code=code)
            granted = flow.credentials
        else:
            granted = flow.run_local_server(
                host="127.0.0.1", port=0, open_browser=_browser_available(),
                authorization_prompt_message="Open this URL in your browser to allow access (waiting for the "
                "answer on 127.0.0.1):\n{url}",
                success_message="mentionwatch is connected to Google. You can close this window.",
                timeout_seconds=600, **extra)
    except GoogleError:
        raise
    except Exception as exc:  # oauthlib's and the token endpoint's refusals, a timeout
        raise GoogleError(f"Google did not grant access: {type(exc).__name__}: {exc}"[:300]) from None
    if not granted.refresh_token:
        raise GoogleError("Google granted no refresh token: remove mentionwatch's access at "
                          "https://myaccount.google.com/permissions and connect again")
    store_secret(session, GOOGLE_REFRESH_TOKEN, granted.refresh_token)
    session.commit()
    say("Connected. The refresh token is stored encrypted in the database.\n"
        "Next: `mentionwatch connect google --list` prints the locations to add to config.yaml.")


def _browser_available() -> bool:
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def list_google_locations(session: Session, settings: Settings, token_uri: str, accounts_url: str,
                          locations_url: str, say: Callable[[str], None]) -> None:
    """Print every account and location the grant sees, with the config.yaml lines for each."""
    client = GoogleClient(with_stored_credentials(session, settings.credentials), token_uri,
                          settings.crawler.download_timeout)
    try:
        accounts = client.accounts(accounts_url)
        if not accounts:
            say("The connected Google account manages no Business Profile accounts.")
        for account in accounts:
            say(f"# {account.get('accountName') or account['name']} ({account['name']})")
            locations = client.locations(account["name"], locations_url)
            if not locations:
                say("#   (no locations)")
            for location in locations:
                name = f"{account['name']}/{location['name']}"
                say(f"  - type: google_business\n    location: {name}   # {location.get('title', '')}")
    finally:
        client.close()
