"""Live streams in the workers: one worker of all those sharing the database holds them.

Every worker could hold Jetstream and the Mastodon streams, but each would then read, judge and
store every post, and ask for its delivery, as many times as there are workers. So they take a
lease: a PostgreSQL session advisory lock ("streams") on a connection of its own. The worker
that holds it reads the streams (`LiveStreams`, the same thread `serve --schedule` and `listen`
run), and what a stored post owes is delivered by the workers' delivery job, as a crawl's finds
are; the others try again every `RETRY_SECONDS`. A holder killed with SIGKILL loses its
connection and with it the lock, so another worker takes over within that time and resumes
from the stored cursors: nothing read twice, nothing lost (Jetstream replays from `time_us`,
Mastodon's timelines fill the gap from the last status id). A holder whose connection breaks
(PostgreSQL restarted) stops reading until it holds the lock again, so two workers never read
at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
LOCK_NAME = "streams"
RETRY_SECONDS = 10.0
"""How often a worker without the lease asks for it, and the holder checks its connection."""


class StreamLease:
    """A thread that holds the live streams while this worker holds the database's lease."""

    def __init__(self, settings: Any, request_delivery: Callable[[], bool], retry_seconds: float = RETRY_SECONDS):
        """`request_delivery` queues the worker's delivery job for what a stored post owes."""
        self.settings = settings
        self.request_delivery = request_delivery
        self.retry_seconds = retry_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._main, name="mentionwatch-stream-lease", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Close the streams cleanly (cursors kept) and give the lease back; returns when done."""
        self._stopping.set()
        self._thread.join(timeout=30)

    def _main(self) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.pool import NullPool

        from mentionwatch.live_streams import LiveStreams
        from pipeline.dialect import try_advisory_lock

        engine = create_engine(self.settings.database_url(), poolclass=NullPool)
        try:
            while not self._stopping.is_set():
                connection = live = None
                try:
                    connection = engine.connect()
                    if try_advisory_lock(connection, LOCK_NAME):
                        live = LiveStreams(self.settings, request_delivery=self.request_delivery)
                        live.start()
                        log.info("this worker reads %s as it happens", LiveStreams.description(self.settings))
                        # Hold while the connection (and so the lock) lives and the streams are
                        # read; if their thread ended (the database was down when it started), the
                        # lease is given back and taken again, which starts them anew.
                        while not self._stopping.wait(self.retry_seconds) and live.running():
                            connection.execute(text("SELECT 1")).scalar()
                            connection.commit()
                except SQLAlchemyError as exc:
                    log.warning("live streams: the database's lease is lost or unreachable (%s); trying again",
                                type(exc).__name__)
                finally:
                    if live is not None:
                        live.stop()
                    if connection is not None:
                        try:
                            connection.close()  # ends the session: the lock goes with it
                        except SQLAlchemyError:
                            pass
                self._stopping.wait(self.retry_seconds)
        finally:
            engine.dispose()
