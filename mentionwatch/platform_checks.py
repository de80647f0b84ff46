"""`check`'s test of each review platform credential: one line per source, saying what is wrong."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from mentionwatch.config import Credentials, GoogleBusinessSource, Settings
from mentionwatch.errors import MentionwatchError

OK, BAD = "[green]ok[/]", "[red]FAILED[/]"


def check_platform_credentials(settings: Settings, console: Console) -> bool:
    """Ask each platform source's API for one review with the configured credentials."""
    sources = [s for b in settings.businesses for s in b.sources if isinstance(s, GoogleBusinessSource)]
    if not sources:
        return True
    from crawlers.platforms.google import GoogleClient
    from mentionwatch.vault import with_stored_credentials
    from pipeline.store import open_engine
    from sqlalchemy.orm import Session

    healthy = True
    engine = open_engine(settings.database_url())
    try:
        with Session(engine) as session:
            credentials = with_stored_credentials(session, settings.credentials)
        for source in sources:
            try:
                client = GoogleClient(credentials, source.token_url, settings.crawler.download_timeout)
                try:
                    answer = client.call("GET", f"{source.api_base}{source.location}/reviews",
                                         params={"pageSize": "1"})
                finally:
                    client.close()
            except MentionwatchError as exc:
                console.print(f"{BAD} google_business {escape(source.location)}: {escape(str(exc))}")
                healthy = False
                continue
            count, average = answer.get("totalReviewCount", 0), answer.get("averageRating")
            stars = f", {average} stars on average" if average is not None else ""
            console.print(f"{OK} google_business {escape(source.location)}: credentials work ({count} reviews{stars})")
    except MentionwatchError as exc:  # the stored token cannot be read
        console.print(f"{BAD} google_business: {escape(str(exc))}")
        healthy = False
    finally:
        engine.dispose()
    return healthy


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
