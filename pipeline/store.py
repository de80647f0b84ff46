"""Opening the store: engine, automatic migrations, sessions."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mentionwatch.errors import StoreError
from pipeline.dialect import ensure_fulltext, prepare_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine_connection: object | None = None) -> AlembicConfig:
    """Alembic's configuration for this package's migrations (no alembic.ini needed)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = engine_connection
    return cfg


def open_engine(url: str) -> Engine:
    """An engine for `url` with the schema brought up to date, so upgrades keep user data."""
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot use database {_safe(url)}: {exc}") from None
    prepare_engine(engine)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
            ensure_fulltext(connection)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open database {_safe(url)}: {exc.__class__.__name__}: {exc.orig or exc}") from None
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"
