"""The run lock: per database and purpose, and between machines sharing a PostgreSQL database."""

from __future__ import annotations

import pytest

from pipeline.errors import AlreadyRunning
from pipeline.lock import run_lock
from tests.conftest import business


def test_run_and_report_have_separate_locks(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with run_lock(url), run_lock(url, "report"):
        with pytest.raises(AlreadyRunning, match="another mentionwatch report holds .*store.db.report.lock"):
            with run_lock(url, "report"):
                pass
        with pytest.raises(AlreadyRunning, match="another mentionwatch run holds .*store.db.lock"):
            with run_lock(url):
                pass
    with run_lock(url):  # released
        pass


def test_runs_on_several_machines_share_postgresql_s_advisory_lock(postgres_url, workspace):
    from sqlalchemy import create_engine

    from pipeline.dialect import advisory_unlock, try_advisory_lock

    workspace.write_config(database=postgres_url,
                           businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/x.xml"}])])
    engine = create_engine(postgres_url)
    with engine.connect() as elsewhere:  # another machine's run, holding the lock in the database
        assert try_advisory_lock(elsewhere, "run")
        skipped = workspace.cli("run")
        advisory_unlock(elsewhere, "run")
    engine.dispose()
    assert skipped.returncode == 0
    assert skipped.stdout == "skipped: another mentionwatch run holds the database's advisory lock\n"
    assert not workspace.cli("run").stdout.startswith("skipped")
