"""The README's test command passes on a machine with nothing installed by hand: a test that needs
Chromium or PostgreSQL is skipped with the reason when they are missing, and fails in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.requirements import CHROMIUM_MISSING

ROOT = Path(__file__).resolve().parent.parent
ONE_BROWSER_TEST = "tests/web/test_browser.py::test_a_wrong_password_is_refused_and_the_next_page_is_kept"


def run_without_chromium(ci: bool) -> subprocess.CompletedProcess[str]:
    """pytest on one browser test, with a PATH on which neither chromium nor chromedriver is found."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    env["PATH"] = str(Path(sys.executable).parent)
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-n", "0", "-p", "no:cacheprovider",
                           ONE_BROWSER_TEST], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_without_chromium_a_browser_test_is_skipped_with_the_reason():
    result = run_without_chromium(ci=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert CHROMIUM_MISSING in result.stdout


def test_without_chromium_in_ci_a_browser_test_fails_with_the_reason():
    result = run_without_chromium(ci=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 error" in result.stdout
    assert "skipped" not in result.stdout.replace("not skipped", "")
    assert CHROMIUM_MISSING in result.stdout
