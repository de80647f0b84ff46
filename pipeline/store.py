"""Opening the store: engine, automatic migrations, sessions."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mentionwatch.errors import StoreError
from pipeline.dburl import without_passwords
from pipeline.dialect import prepare_engine

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
        raise StoreError(without_passwords(f"cannot use database {_safe(url)}: {exc}", url)) from None
    prepare_engine(engine)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    except SQLAlchemyError as exc:
        raise StoreError(without_passwords(
            f"cannot open database {_safe(url)}: {exc.__class__.__name__}: {exc.orig or exc}", url)) from None
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _safe(url: str) -> str:
    """The URL without its passwords (user-info and ?password=), for messages."""
    from pipeline.dburl import safe_url

    return safe_url(url)
