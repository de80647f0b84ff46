"""The manual (docs/, mkdocs.yml) builds as a site with warnings as errors: no broken link or
anchor between its pages, no page left out of the navigation (issue 18 item 3)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
MKDOCS = Path(sys.executable).with_name("mkdocs")  # the virtualenv's, installed with '.[test]'


def test_the_manual_builds_strictly_with_every_page(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run([str(MKDOCS), "build", "--strict", "--site-dir", str(site)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"mkdocs build --strict exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    for page in ("commands", "configuration", "sources", "scoring", "slack", "platforms", "web", "operations"):
        assert (site / page / "index.html").is_file(), f"{page} is missing from the site"
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Your first ten minutes" in home
    assert "Creating the Slack app" in (site / "slack" / "index.html").read_text(encoding="utf-8")
    assert (site / "mentionwatch-listen.service").is_file()  # copied as is, linked from the Slack page


def test_every_page_is_in_the_navigation():
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = {next(iter(entry.values())) for entry in config["nav"]}
    assert listed == {page.name for page in (REPO / "docs").glob("*.md")}
    assert config["docs_dir"] == "docs"
