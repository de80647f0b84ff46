"""`check`'s test of each review platform credential: one line per source, saying what is wrong.

Each probe asks the platform's API for the least it can (one review, the business itself) with
the credentials a run would use, and turns a refusal into the same sentence the source's
`last_error` would carry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from rich.console import Console
from rich.markup import escape

from crawlers.config import (
    AppStoreConnectSource,
    Credentials,
    GoogleBusinessSource,
    GooglePlaySource,
    TrustpilotSource,
    YelpSource,
)
from mentionwatch.config import Settings
from pipeline.errors import MentionwatchError

OK, BAD = "[green]ok[/]", "[red]FAILED[/]"


class _Refused(MentionwatchError):
    pass


def _google_business(source: GoogleBusinessSource, credentials: Credentials, timeout: float) -> str:
    from crawlers.platforms.google import GoogleClient

    client = GoogleClient(credentials, source.token_url, timeout)
    try:
        answer = client.call("GET", f"{source.api_base}{source.location}/reviews", params={"pageSize": "1"})
    finally:
        client.close()
    average = answer.get("averageRating")
    return f"{answer.get('totalReviewCount', 0)} reviews" + (f", {average} stars on average" if average is not None else "")


def _google_play(source: GooglePlaySource, credentials: Credentials, timeout: float) -> str | None:
    from crawlers.platforms.google_play import GooglePlayClient

    if not credentials.google_play_service_account_file:
        return None  # the public reviews need no credential

    client = GooglePlayClient(source, credentials, timeout)
    try:
        answer = client.call("GET", "reviews", params={"maxResults": "1"})
    finally:
        client.close()
    return f"{(answer.get('pageInfo') or {}).get('totalResults', len(answer.get('reviews') or []))} reviews this week"


def _appstore_connect(source: AppStoreConnectSource, credentials: Credentials, timeout: float) -> str:
    from crawlers.platforms.appstore_connect import AppStoreConnectClient

    client = AppStoreConnectClient(source, credentials, timeout)
    try:
        answer = client.call("GET", f"v1/apps/{source.app_id}/customerReviews", params={"limit": "1"})
    finally:
        client.close()
    return f"{((answer.get('meta') or {}).get('paging') or {}).get('total', '?')} reviews"


def _yelp(source: YelpSource, credentials: Credentials, timeout: float) -> str:
    from crawlers.platforms.yelp import describe_error

    if credentials.yelp_api_key is None:
        raise _Refused("YELP_API_KEY is not set")
    answer = _get(f"{source.api_base}businesses/{source.business_id}", timeout,
                  {"Authorization": f"Bearer {credentials.yelp_api_key.get_secret_value()}"},
                  lambda r: describe_error(r.status_code, r.content, r.headers.get("RateLimit-ResetTime")))
    return f"{answer.get('review_count', '?')} reviews, {answer.get('rating', '?')} stars"


def _trustpilot(source: TrustpilotSource, credentials: Credentials, timeout: float) -> str | None:
    from crawlers.spiders.trustpilot import describe_error

    if credentials.trustpilot_api_key is None or not source.business_unit_id:
        return None  # the public page needs no credential
    answer = _get(f"{source.api_base}business-units/{source.business_unit_id}", timeout,
                  {"apikey": credentials.trustpilot_api_key.get_secret_value()},
                  lambda r: describe_error(r.status_code, r.content))
    return f"{(answer.get('numberOfReviews') or {}).get('total', '?')} reviews"


def _get(url: str, timeout: float, headers: dict[str, str], describe: Callable[[Any], str]) -> Any:
    try:
        response = requests.get(url, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise _Refused(f"cannot reach {url}: {type(exc).__name__}") from None
    if response.status_code >= 400:
        raise _Refused(describe(response))
    return response.json()


PROBES: dict[type, Callable[..., str | None]] = {
    GoogleBusinessSource: _google_business,
    GooglePlaySource: _google_play,
    AppStoreConnectSource: _appstore_connect,
    YelpSource: _yelp,
    TrustpilotSource: _trustpilot,
}


def check_platform_credentials(settings: Settings, console: Console) -> bool:
    """Ask each platform source's API for the least it can with the configured credentials."""
    sources = [s for b in settings.businesses for s in b.sources if type(s) in PROBES]
    if not sources:
        return True
    healthy = True
    try:
        credentials = _stored(settings)
    except MentionwatchError as exc:  # a stored token that cannot be read
        console.print(f"{BAD} platform credentials: {escape(str(exc))}")
        return False
    for source in sources:
        where = f"{source.type} {escape(source.label)}"  # type: ignore[attr-defined]
        try:
            found = PROBES[type(source)](source, credentials, settings.crawler.download_timeout)
        except MentionwatchError as exc:
            console.print(f"{BAD} {where}: {escape(str(exc))}")
            healthy = False
            continue
        if found is not None:
            console.print(f"{OK} {where}: credentials work ({escape(found)})")
    return healthy


def _stored(settings: Settings) -> Credentials:
    from sqlalchemy.orm import Session

    from crawlers.platforms.vault import with_stored_credentials
    from pipeline.store import open_engine

    if not any(isinstance(s, GoogleBusinessSource) for b in settings.businesses for s in b.sources):
        return settings.credentials
    engine = open_engine(settings.database_url())
    try:
        with Session(engine) as session:
            return with_stored_credentials(session, settings.credentials)
    finally:
        engine.dispose()


def credentials_with_stored(settings: Settings, targets: list) -> Credentials:  # type: ignore[type-arg]
    """The credentials a run would use (with `connect`'s stored tokens), for `check --fetch`."""
    from sqlalchemy.orm import Session

    from mentionwatch.runner import platform_credentials
    from pipeline.store import open_engine

    engine = open_engine(settings.database_url())
    try:
        with Session(engine) as session:
            return platform_credentials(session, settings, targets)
    finally:
        engine.dispose()
