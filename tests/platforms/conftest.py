"""A local Google (OAuth + Business Profile) and a workspace configured to read one location."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mentionwatch.sandbox.google import LocalGoogleServer
from tests.conftest import business

LOCATION = "accounts/111/locations/222"


@pytest.fixture
def google() -> Iterator[LocalGoogleServer]:
    with LocalGoogleServer() as server:
        server.add_location("111", "222", "Joe's Donuts – Main St")
        yield server


def google_env(server: LocalGoogleServer, refresh_token: str | None = None) -> dict[str, str]:
    """The environment a server set up without a browser has: client id, secret, refresh token."""
    env = {"GOOGLE_CLIENT_ID": server.client_id, "GOOGLE_CLIENT_SECRET": server.client_secret}
    if refresh_token:
        env["GOOGLE_REFRESH_TOKEN"] = refresh_token
    return env


def google_source(server: LocalGoogleServer) -> dict[str, str]:
    return {"type": "google_business", "location": LOCATION, "url": server.api_url, "token_url": server.token_url}


def write_google_config(workspace, server: LocalGoogleServer, **extra: object) -> None:
    workspace.write_config(alerts={"max_age_days": 36500}, crawler={"retries": 1},
                           businesses=[business(sources=[google_source(server)], **extra)])
