from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mentionwatch.config import Settings
from tests.alerts.helpers import Store, make_store
from tests.alerts.webhook import LocalWebhook


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Callable[..., Store]]:
    """make(settings, crawled=True) -> a Store in a real SQLite file, disposed after the test."""
    made: list[Store] = []

    def make(settings: Settings, crawled: bool = True) -> Store:
        made.append(make_store(tmp_path, settings, crawled))
        return made[-1]

    yield make
    for s in made:
        s.engine.dispose()


@pytest.fixture
def webhook() -> Iterator[LocalWebhook]:
    """A local JSON webhook (an Apprise json:// destination) that records what it receives."""
    with LocalWebhook() as server:
        yield server
