"""What some tests need from the machine (Chromium, a PostgreSQL server), and the one rule for when it is
missing: outside CI the test is skipped with the reason and the command that installs it; in CI
(`CI=true`, as .ci/run and hosted CI set it) nothing is skipped, a missing part fails with that reason."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_MISSING = "Chromium not installed: apt-get install chromium chromium-driver, or run .ci/run"
POSTGRESQL_MISSING = "PostgreSQL server not installed: apt-get install postgresql"


def in_ci() -> bool:
    """True when the environment says CI (CI=true, as GitHub Actions, GitLab CI and .ci/run set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _missing(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI=true: required here, not skipped)", pytrace=False)
    pytest.skip(reason)


def need_chromium() -> tuple[str, str]:
    """Chromium and chromedriver, looked up on PATH (Debian's packages put them in /usr/bin):
    their paths, or the test is skipped (failed in CI)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        _missing(CHROMIUM_MISSING)
    return chromium, driver  # type: ignore[return-value]


def need_postgresql() -> Path:
    """The folder of the Debian package's server binaries (initdb, pg_ctl), newest version first,
    or the test is skipped (failed in CI)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        _missing(POSTGRESQL_MISSING)
    return Path(found[-1]).parent
