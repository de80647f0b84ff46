"""Replies under bursts: twenty people send one reply to one review at the same moment.

Each trial stores one Trustpilot review (a local Trustpilot: its reply is a POST, so a second
upload would be a second public answer), then twenty threads released together by a barrier
call respond.actions.reply, as the Slack listener and the web inbox do, each with its own
session. Printed per trial: uploads the platform received, and what the twenty were told.
The goal: exactly one upload in every trial, and no one told anything but the truth.

    .venv/bin/python bench/reply_races.py --trials 5
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mentionwatch.config import Settings  # noqa: E402
from mentionwatch.sandbox.trustpilot import LocalTrustpilot  # noqa: E402
from pipeline.errors import MentionwatchError  # noqa: E402
from pipeline.models import Business, Mention, Source, utcnow  # noqa: E402
from pipeline.store import open_engine  # noqa: E402
from respond import actions  # noqa: E402

ENV = {"TRUSTPILOT_API_KEY": "tp-key-abcdef", "TRUSTPILOT_API_SECRET": "tp-secret-123456",
       "TRUSTPILOT_USERNAME": "dana@joesdonuts.com", "TRUSTPILOT_PASSWORD": "correct horse",
       "TRUSTPILOT_BUSINESS_USER_ID": "507f191e810c19729de860ea"}
TEXT = "Sorry, Ann: your next dozen is on us."


def trial(folder: Path, people: int) -> tuple[int, Counter[str]]:
    """One burst; (uploads, what people were told, by its first words)."""
    with LocalTrustpilot("tp-key-abcdef", "tp-secret-123456", "dana@joesdonuts.com", "correct horse", "BU1") as tp:
        tp.add_review("r1", 1, "Stale glaze.", "Ann", datetime(2026, 11, 22, tzinfo=UTC))
        source = {"type": "trustpilot", "domain": "joesdonuts.com", "business_unit_id": "BU1", "api_url": tp.api_url}
        settings = Settings.model_validate({"database": f"sqlite:///{folder / 'store.db'}", "businesses": [
            {"name": "Joe's Donuts", "keywords": ["Joe's Donuts"], "sources": [source]}]})
        engine = open_engine(settings.database_url())
        with Session(engine) as session:
            business = Business(name="Joe's Donuts")
            session.add(business)
            session.flush()
            row = Source(business_id=business.id, type="trustpilot", identity=settings.businesses[0].sources[0].identity())
            session.add(row)
            session.flush()
            mention = Mention(business_id=business.id, source_id=row.id, source_type="trustpilot",
                              url="https://www.trustpilot.com/reviews/r1", canonical_url="https://www.trustpilot.com/reviews/r1",
                              first_seen_at=utcnow())
            session.add(mention)
            session.commit()
            mention_id = mention.id
        barrier = threading.Barrier(people)

        def send(n: int) -> str:
            with Session(engine, expire_on_commit=False) as session:
                barrier.wait()
                try:
                    return actions.reply(session, settings, mention_id, TEXT, by=f"person{n}", via="web").summary
                except MentionwatchError as exc:
                    return str(exc)
        with ThreadPoolExecutor(people) as pool:
            told = list(pool.map(send, range(people)))
        engine.dispose()
        (folder / "store.db").unlink()
        kinds = Counter(" ".join(t.split()[:3]) for t in told)
        return len(tp.calls("POST", "/reply")), kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--people", type=int, default=20)
    args = parser.parse_args()
    os.environ.update(ENV)
    uploads = []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(args.trials):
            count, kinds = trial(Path(folder), args.people)
            uploads.append(count)
            print(f"trial {n + 1}: {count} upload(s); told: {dict(kinds)}")
    ok = all(u == 1 for u in uploads)
    print(f"uploads per trial: {uploads}  (goal: 1 in every trial) -> {'met' if ok else 'NOT met'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
