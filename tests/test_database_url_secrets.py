"""A database password is never shown, whether in the URL's user-info or in its query string."""

from __future__ import annotations

import json
import socket

import pytest

from pipeline.dburl import safe_url, url_passwords, without_passwords
from tests.conftest import business

PASSWORD = "Sup3r-Secret-Pw"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("where", ["query", "userinfo"])
def test_the_password_is_masked_in_check_run_and_the_log(workspace, where):
    port = closed_port()  # nothing listens: every command has to say the database is unreachable
    url = (f"postgresql+psycopg://bob@127.0.0.1:{port}/mw?password={PASSWORD}&connect_timeout=2"
           if where == "query" else f"postgresql+psycopg://bob:{PASSWORD}@127.0.0.1:{port}/mw?connect_timeout=2")
    workspace.write_config(database=url, businesses=[business(sources=[{"type": "feed", "url": "https://news.example/feed.xml"}])])

    check = workspace.cli("check")
    as_json = workspace.cli("check", "--format", "json")
    run = workspace.cli("run", "-vv")

    assert check.returncode == as_json.returncode == run.returncode == 1
    assert f"127.0.0.1:{port}/mw" in check.stdout  # the database is named ...
    database = json.loads(as_json.stdout)["database"]
    assert database["status"] == "failing" and f"127.0.0.1:{port}/mw" in database["url"]
    assert "Error: " in run.stderr
    for output in (check.stdout, check.stderr, as_json.stdout, as_json.stderr, run.stdout, run.stderr):
        assert PASSWORD not in output  # ... its password never


def test_passwords_in_either_place_are_found_and_masked():
    url = f"postgresql+psycopg://bob:{PASSWORD}@db.example/mw?password=other-pw&sslmode=require"
    assert sorted(url_passwords(url)) == sorted([PASSWORD, "other-pw"])
    assert safe_url(url) == "postgresql+psycopg://bob:***@db.example/mw?password=***&sslmode=require"
    assert without_passwords(f"cannot parse {url}", url) == \
        "cannot parse postgresql+psycopg://bob:***@db.example/mw?password=***&sslmode=require"


@pytest.mark.parametrize(("url", "problem"), [
    (f"postgresql+psycopg://bob:{PASSWORD}@127.0.0.1:notaport/mw", "the port (after the host's `:`) is not a number"),
    (f"postgresql+psycopg://bob:{PASSWORD}@[::1/mw", "the `[` of an IPv6 address is not closed by `]`"),
    # An `@` left unencoded in the password: SQLAlchemy would take the rest of it for the host.
    ("postgresql+psycopg://bob:Sup3r@Secret#Pw@127.0.0.1:5999/mw", "percent-encode it, `@` as %40 (and `#` as %23)"),
])
@pytest.mark.parametrize("given", ["config", "environment"])
def test_a_url_that_does_not_parse_is_refused_with_its_password_masked(workspace, url, problem, given):
    env = {"MENTIONWATCH_DATABASE": url} if given == "environment" else None
    workspace.write_config(database="${MENTIONWATCH_DATABASE}" if env else url,
                           businesses=[business(sources=[{"type": "feed", "url": "https://news.example/feed.xml"}])])

    results = [workspace.cli(*command, env=env) for command in
               (["check"], ["check", "--format", "json"], ["run"], ["mentions"])]

    for result in results:
        assert result.returncode != 0
        error = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(error) == 1 and "database: got 'postgresql+psycopg://bob:***@" in error[0]
        assert problem in error[0]
        for output in (result.stdout, result.stderr):
            assert "Sup3r" not in output and "Secret" not in output  # no part of the password
