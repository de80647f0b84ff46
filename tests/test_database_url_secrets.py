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
