"""Real parts for every test: a local web server, a local Slack, real database files, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mentionwatch.sandbox.slack import LocalSlackServer
from mentionwatch.sandbox.web import LocalHTTPServer

FIXTURES = Path(__file__).parent / "fixtures"
# The console script installed with the package: tests run the CLI exactly as a user does.
MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")


@pytest.fixture
def web() -> Iterator[LocalHTTPServer]:
    """A web server on 127.0.0.1 serving tests/fixtures/ (and in-memory routes tests add)."""
    with LocalHTTPServer(FIXTURES) as server:
        yield server


@pytest.fixture
def no_leaked_threads() -> Iterator[None]:
    """Fails a test that leaves a thread running (a server not fully stopped)."""
    import threading

    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before]
    assert leaked == []


@pytest.fixture
def slack() -> Iterator[LocalSlackServer]:
    """A Slack-compatible Web API on 127.0.0.1 that records what it receives."""
    with LocalSlackServer() as server:
        yield server


def feed_fixture(name: str) -> str:
    return (FIXTURES / "feeds" / name).read_text(encoding="utf-8")


class Workspace:
    """A folder with a config.yaml and its database, and the CLI run against it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.config = folder / "config.yaml"
        self.database = folder / "mentionwatch.db"

    def write_config(self, **settings: object) -> Path:
        data = {"database": "sqlite:///mentionwatch.db", **settings}
        self.config.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return self.config

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, "--config", str(self.config), env=env, cwd=self.folder, timeout=timeout)


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120, input: str | None = None) -> subprocess.CompletedProcess[str]:  # noqa: A002
    """Run `mentionwatch ARGS` in a clean environment (no token or config from the caller's shell);
    `input` is piped to it as a person's typed answers."""
    if not MENTIONWATCH.exists():
        pytest.fail(f"{MENTIONWATCH} is missing: install the package first (pip install -e '.[test]')")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("MENTIONWATCH_", "SLACK_", "REDDIT_", "MASTODON_", "BLUESKY_", "GOOGLE_", "YELP_", "APPSTORE_", "TRUSTPILOT_"))}
    clean.update(env or {})
    return subprocess.run([str(MENTIONWATCH), *args], capture_output=True, text=True, env=clean,
                          cwd=cwd, timeout=timeout, input=input)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def business(name: str = "Joe's Donuts", **extra: object) -> dict[str, object]:
    """A business entry for config.yaml, with the example's keywords."""
    return {"name": name, "keywords": ["Joe's Donuts", "Joes Donuts"], "exclude": ["recipe"], **extra}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on 127.0.0.1 for this test session."""
    import shutil
    import tempfile

    from tests.postgres import postgres_server

    # Not under pytest's own temp folder: that one is private to us, and the server runs as
    # the `postgres` user when the tests run as root.
    folder = Path(tempfile.mkdtemp(prefix="mentionwatch-pg-"))
    folder.chmod(0o755)
    try:
        with postgres_server(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)
