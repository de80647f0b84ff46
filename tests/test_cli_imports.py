"""`mentionwatch --help` answers at once: starting the CLI loads no database layer, crawler,
numeric library or config models (each command imports what it needs when it runs).

A cron run over sources that did not change loads only what it uses: no scorer (its model,
numpy, the language model), no Alembic when the store is at its newest migration, no spider of a
source type it does not crawl. Checked with Python's own import log (-X importtime, which the
forked pipeline worker inherits), on the real CLI, against the first run that did need them."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import business, feed_fixture

HEAVY = ("sqlalchemy", "scrapy", "twisted", "numpy", "pydantic")

PROBE = """
import json, sys
from mentionwatch.cli import cli
try:
    cli(["--help"], prog_name="mentionwatch")
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def test_help_loads_no_database_crawler_numpy_or_config_models():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    assert "report" in done.stdout and "Usage: mentionwatch" in done.stdout
    assert [name for name in HEAVY if name in result["loaded"]] == []


def test_importing_the_cli_loads_none_of_them_either():
    probe = "import json, sys, mentionwatch.cli; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    assert [name for name in HEAVY if name in loaded] == []


ALERTS = {"threshold": -0.05, "max_age_days": 36500}
IMPORT_LOG = {"PYTHONPROFILEIMPORTTIME": "1"}
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", re.MULTILINE)


def loaded(stderr: str) -> set[str]:
    """The modules a command imported, from its -X importtime log.

    The log names what an `import` statement loads; a module loaded by importlib.import_module
    (the spider of a source type) is not in it, but what that module's own imports load is."""
    return set(_IMPORT_LINE.findall(stderr))


def test_an_unchanged_run_loads_no_scorer_numpy_language_model_or_alembic(web, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])

    first = workspace.cli("run", env=IMPORT_LOG)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "2 new mentions (1 negative)" in first.stdout
    first_loaded = loaded(first.stderr)
    # The probe sees what the first run needed: a new store migrated, new texts scored.
    assert {"alembic", "numpy", "pipeline.sentiment", "pipeline.learned"} <= first_loaded

    second = workspace.cli("run", env=IMPORT_LOG)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "0 items fetched, 0 new mentions" in second.stdout
    assert [r.status for r in web.requests_for("/news.xml")] == [200, 304]
    second_loaded = loaded(second.stderr)
    assert "feedparser" in second_loaded  # the feed spider's own import: the probe works in this run too
    heavy = {"numpy", "py3langid", "pipeline.sentiment", "pipeline.learned", "alembic", "mako", "dateparser",
             "tldextract", "jwt", "crawlers.platforms.google_play", "crawlers.platforms.appstore_connect"}
    assert sorted(heavy & second_loaded) == []


def test_a_changed_source_loads_the_scorer_when_a_new_text_needs_it(web, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    assert workspace.cli("run").returncode == 0

    changed = feed_fixture("joes_news.xml").replace(
        "<item>", "<item><title>Joe's Donuts made me sick</title><link>https://example.com/sick</link>"
                  "<description>Joe's Donuts sold me a stale donut and I got food poisoning.</description>"
                  "<pubDate>Mon, 30 Nov 2026 09:00:00 GMT</pubDate></item><item>", 1)
    web.add("/news.xml", changed, content_type="application/rss+xml")
    result = workspace.cli("run", env=IMPORT_LOG)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "1 new mention (1 negative)" in result.stdout
    assert {"numpy", "pipeline.sentiment"} <= loaded(result.stderr)


def test_a_report_that_sends_nothing_loads_no_slack_outbox_crawler_or_scorer(web, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    assert workspace.cli("run").returncode == 0

    written = workspace.cli("report", "--no-send", "--out", "reports", env=IMPORT_LOG)
    assert written.returncode == 0, written.stderr[-2000:]
    assert list((workspace.folder / "reports").glob("report-*.html")), written.stdout
    quiet_loaded = loaded(written.stderr)
    assert "alerts.report.data" in quiet_loaded  # the probe sees the report's own modules
    heavy = {"slack_sdk", "alerts.outbox", "alerts.report.send", "rich", "scrapy", "twisted", "numpy",
             "pipeline.sentiment", "alembic"}
    assert sorted(heavy & quiet_loaded) == []

    sent = workspace.cli("report", "--out", "reports", env=IMPORT_LOG)
    assert sent.returncode == 0, sent.stderr[-2000:]
    assert "alerts.report.send" in loaded(sent.stderr)  # sending loads what it needs
