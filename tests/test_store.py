"""The store: migrations match the models, run on SQLite and PostgreSQL, and keep data on upgrade."""

from __future__ import annotations

import json
import sqlite3

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from pipeline.dialect import include_name
from pipeline.models import Base
from pipeline.store import alembic_config, migration_heads, open_engine
from tests.conftest import business, feed_fixture

# As the migrations' env.py compares: the full-text index is the dialect's, not the models'.
COMPARE = {"compare_type": True, "include_name": include_name}


def test_migrations_create_exactly_the_schema_the_models_describe(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts=COMPARE),
                                       Base.metadata)
    assert differences == []
    assert {"businesses", "sources", "mentions", "runs", "sightings", "revisions"} <= set(inspect(engine).get_table_names())


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_opening_again_keeps_stored_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    open_engine(url).dispose()
    with sqlite3.connect(tmp_path / "store.db") as db:
        db.execute("insert into businesses (name, created_at) values ('Kept', '2026-01-01 00:00:00')")
    engine = open_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select name from businesses").scalars().all() == ["Kept"]
        assert connection.exec_driver_sql("select version_num from alembic_version").scalar() == head_revision()


def test_the_whole_cycle_runs_on_postgresql(postgres_url, web, slack, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(
        database=postgres_url,
        slack={"token": "xoxb-test", "api_url": slack.api_url},
        alerts={"max_age_days": 36500},
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    for _ in range(2):
        result = workspace.cli("run")
        assert result.returncode == 0, result.stderr
    assert len(slack.posted) == 1
    rows = [json.loads(line) for line in workspace.cli("mentions", "--format", "json").stdout.splitlines()]
    assert sorted(r["label"] for r in rows) == ["negative", "positive"]
    assert all(r["first_seen_at"].endswith("Z") for r in rows)
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts=COMPARE),
                                       Base.metadata)
    engine.dispose()
    assert differences == []


def test_the_cheap_version_check_knows_the_same_newest_migration_as_alembic():
    assert migration_heads() == set(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_a_store_one_migration_behind_is_still_upgraded(tmp_path):
    # A store at head opens without Alembic (pipeline.store.upgrade); one behind must still be migrated.
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_engine(url)
    script = ScriptDirectory.from_config(alembic_config())
    previous = script.get_revision(head_revision()).down_revision
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), previous)
        assert connection.exec_driver_sql("select version_num from alembic_version").scalar() == previous
    engine.dispose()
    engine = open_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select version_num from alembic_version").scalar() == head_revision()
        differences = compare_metadata(MigrationContext.configure(connection, opts=COMPARE), Base.metadata)
    assert differences == []
