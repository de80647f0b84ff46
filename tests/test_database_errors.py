"""A database that cannot be used is one `Error:` line naming it and what to do, exit 1, no traceback.

Real SQLite files (a missing folder, a read-only database, one locked by another program) and
real PostgreSQL (a server that is not there; the lock timeout on a live server).
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import time

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from pipeline.store import describe_database_error, open_engine
from tests.conftest import business

SOURCES = [{"type": "feed", "url": "http://127.0.0.1:9/news.xml"}]


def one_error_line(result) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_a_missing_folder_is_named_and_never_created(workspace):
    workspace.write_config(database="sqlite:///no/such/folder/mw.db", businesses=[business(sources=SOURCES)])
    for command in ("run", "mentions"):
        line = one_error_line(workspace.cli(command))
        folder = workspace.folder / "no" / "such" / "folder"
        assert line == (f"Error: the database folder {folder} does not exist: create it (mkdir -p {folder}) "
                        "or change `database:` in config.yaml")
    assert not (workspace.folder / "no").exists()
    checked = workspace.cli("check")
    assert checked.returncode == 1
    assert "FAILED database: the database folder" in checked.stdout


def test_a_read_only_database_fails_run_and_check_but_can_be_read(workspace):
    workspace.write_config(businesses=[business(sources=SOURCES)])
    assert workspace.cli("mentions").returncode == 0  # creates the database
    # Immutable: root, who runs these tests, ignores a file's permission bits but not this.
    subprocess.run(["chattr", "+i", str(workspace.database)], check=True)
    try:
        line = one_error_line(workspace.cli("run"))
        assert line == (f"Error: the database file {workspace.database} is read-only: make it writable "
                        f"(chmod u+w {workspace.database}) or change `database:` in config.yaml")
        checked = workspace.cli("check")
        assert checked.returncode == 1
        assert "is read-only" in checked.stdout
        listed = workspace.cli("mentions")
        assert listed.returncode == 0, listed.stderr
    finally:
        subprocess.run(["chattr", "-i", str(workspace.database)], check=True)
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*) from runs").fetchone() == (0,)  # nothing half-written


def test_a_database_locked_past_the_busy_timeout_is_one_line_and_nothing_written(workspace):
    workspace.write_config(businesses=[business(sources=SOURCES)])
    assert workspace.cli("mentions").returncode == 0
    holder = sqlite3.connect(workspace.database, isolation_level=None)
    try:
        holder.execute("begin exclusive")
        started = time.monotonic()
        line = one_error_line(workspace.cli("run", timeout=90))
        waited = time.monotonic() - started
    finally:
        holder.execute("rollback")
        holder.close()
    assert line == (f"Error: the database {workspace.database} stayed locked by another program for 30 s: "
                    "try again when it is done (another mentionwatch command, or a tool like sqlite3 with "
                    "the file open)")
    assert 29 < waited < 60  # bounded: the busy timeout, then the error
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*) from runs").fetchone() == (0,)


def test_a_postgresql_server_that_is_not_there(workspace):
    with socket.socket() as probe:  # a free port: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workspace.write_config(database=f"postgresql+psycopg://postgres:secret@127.0.0.1:{port}/mentionwatch",
                           businesses=[business(sources=SOURCES)])
    for command in ("run", "mentions"):
        result = workspace.cli(command)
        line = one_error_line(result)
        assert line == (f"Error: cannot connect to the PostgreSQL server 127.0.0.1:{port}/mentionwatch: "
                        "is it running, and is `database:` in config.yaml right?")
        assert "secret" not in result.stderr


def test_a_postgresql_server_that_refuses_the_password(postgres_url, workspace):
    server = make_url(postgres_url)
    wrong = server.set(password="not-the-password").render_as_string(hide_password=False)
    workspace.write_config(database=wrong, businesses=[business(sources=SOURCES)])
    said = (f"the PostgreSQL server 127.0.0.1:{server.port}/postgres refused the user name or password: check "
            "them in `database:` in config.yaml (or the variable it names)")
    for command in ("run", "mentions"):
        result = workspace.cli(command)
        assert one_error_line(result) == f"Error: {said}"
        assert "not-the-password" not in result.stdout + result.stderr
    checked = workspace.cli("check")
    assert checked.returncode == 1 and f"FAILED database: {said}" in checked.stdout
    assert "not-the-password" not in checked.stdout + checked.stderr


def test_postgresql_waits_for_a_lock_at_most_30_seconds_then_says_so(postgres_url):
    engine = open_engine(postgres_url)
    holder = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("show lock_timeout")).scalar() == "30s"
        # Another session holds a table; a write waits for it (here 1 s, not 30, to keep the test short).
        with holder.connect() as other, engine.connect() as connection:
            other.execute(text("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE"))
            connection.execute(text("SET lock_timeout = '1s'"))
            started = time.monotonic()
            with pytest.raises(OperationalError) as raised:
                connection.execute(text("INSERT INTO runs (started_at, status) VALUES (now(), 'running')"))
            waited = time.monotonic() - started
            other.rollback()
        assert 0.9 < waited < 10
        port = make_url(postgres_url).port
        assert describe_database_error(raised.value, postgres_url) == (
            f"a table in the PostgreSQL database 127.0.0.1:{port}/postgres stayed locked by another session for "
            "30 s: try again when it is done")
    finally:
        engine.dispose()
        holder.dispose()
