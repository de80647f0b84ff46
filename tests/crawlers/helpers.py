"""Shared steps of the crawler tests: run the CLI as a user does, read what it stored."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

FIXTURES = Path(__file__).parent.parent / "fixtures"
# Fixtures are dated; the crawler tests are not about the age limit of alerts.
ALERTS = {"max_age_days": 36500}


def fixture(kind: str, name: str) -> str:
    return (FIXTURES / kind / name).read_text(encoding="utf-8")


def run(workspace, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`mentionwatch run`, which must exit 0 whatever its sources did."""
    result = workspace.cli("run", env=env)
    assert result.returncode == 0, result.stderr
    return result


def summary(result: subprocess.CompletedProcess[str]) -> str:
    """The run's summary line (the last line on stdout; alerts print above it without Slack)."""
    return result.stdout.strip().splitlines()[-1]


def failures(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.removeprefix("failed: ") for line in result.stderr.splitlines() if line.startswith("failed: ")]


def stored(workspace, source_type: str | None = None) -> list[dict]:
    """Stored mentions as dicts, oldest first (undated last); published_at as aware UTC."""
    with sqlite3.connect(workspace.database) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute(
            "select source_type, url, title, text, author, published_at, rating from mentions "
            "order by published_at is null, published_at, url")]
    for row in rows:
        if row["published_at"] is not None:
            row["published_at"] = datetime.fromisoformat(row["published_at"]).replace(tzinfo=UTC)
    return [r for r in rows if source_type is None or r["source_type"] == source_type]


def by_author(rows: list[dict]) -> dict[str | None, dict]:
    return {r["author"]: r for r in rows}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def source_errors(workspace) -> dict[str, str | None]:
    with sqlite3.connect(workspace.database) as db:
        return dict(db.execute("select identity, last_error from sources"))
