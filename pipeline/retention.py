"""Housekeeping: sent outbox messages and old revisions are pruned after `retention_days`.

Deleted in batches, each its own short transaction, and at most a bounded number of batches per
run, so a first run after years of history never holds the database (or the run) for long; what
is left goes on the next runs. Messages not yet sent are never pruned: they are still owed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from pipeline.models import AlertMessage, Revision

BATCH = 1000
"""Rows per delete: one short transaction each."""
MAX_BATCHES = 20
"""Per table and run: at most 20,000 rows, the rest on the next runs."""


@dataclass
class Pruned:
    messages: int = 0
    revisions: int = 0


def prune(engine: Engine, retention_days: int, now: datetime) -> Pruned:
    """Delete sent messages and revisions older than `retention_days` (0 keeps everything)."""
    pruned = Pruned()
    if retention_days <= 0:
        return pruned
    cutoff = now - timedelta(days=retention_days)
    pruned.messages = _delete_in_batches(engine, AlertMessage, AlertMessage.sent_at.is_not(None),
                                         AlertMessage.sent_at < cutoff)
    pruned.revisions = _delete_in_batches(engine, Revision, Revision.changed_at < cutoff)
    return pruned


def _delete_in_batches(engine: Engine, model: type, *conditions: object) -> int:
    deleted = 0
    for _ in range(MAX_BATCHES):
        with Session(engine) as session, session.begin():
            ids = list(session.scalars(select(model.id).where(*conditions).order_by(model.id).limit(BATCH)))
            if ids:
                # Their links (alert_message_mentions) go with them: ON DELETE CASCADE.
                session.execute(delete(model).where(model.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < BATCH:
            break
    return deleted
