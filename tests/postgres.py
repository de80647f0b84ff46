"""A throwaway PostgreSQL server for the tests, started from the Debian package's binaries."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.requirements import need_postgresql

PASSWORD = "local-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server(folder: Path) -> Iterator[str]:
    """Start a server in `folder` on a free loopback port; yield its SQLAlchemy URL."""
    bin_dir = need_postgresql()  # skips the test when missing (fails it in CI)
    # PostgreSQL refuses to run as root: use the package's `postgres` user when we are root.
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    # TCP connections must give the password, as on a real server: a wrong one is refused.
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    if as_user:
        shutil.chown(password_file, "postgres", "postgres")
    subprocess.run([*as_user, bin_dir / "initdb", "-D", data, "--auth-local=trust", "--auth-host=scram-sha-256",
                    f"--pwfile={password_file}", "-U", "postgres", "--no-sync"], check=True, capture_output=True)
    subprocess.run(
        [*as_user, bin_dir / "pg_ctl", "-D", data, "-l", folder / "log", "-w", "-o",
         f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
        check=True, capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)


@contextmanager
def fresh_database(server_url: str, name: str) -> Iterator[str]:
    """A database of the caller's own on the session's server (`server_url`), dropped afterwards."""
    from sqlalchemy import create_engine, make_url

    server = make_url(server_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()
