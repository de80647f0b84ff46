"""Alembic environment: runs on the connection that `pipeline.store` hands it."""

from alembic import context

from pipeline.dialect import include_name
from pipeline.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode recreates tables instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # The full-text index is the dialect's own (a virtual table in SQLite), not the models'.
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
