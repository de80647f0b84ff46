"""Mastodon's streaming API: statuses matched on arrival, a drop or a restart filled from the
public timeline (min_id) with nothing lost or doubled, a closed instance reported once."""

from __future__ import annotations

import asyncio

import pytest

from crawlers.streams.mastodon import MastodonStreamReader
from mentionwatch.sandbox.mastodon import LocalMastodon
from pipeline.keyword_index import KeywordIndex
from pipeline.match import BusinessMatcher

INDEX = KeywordIndex({"Joe's Donuts": BusinessMatcher(["Joe's Donuts"]), "Acme Bakery": BusinessMatcher(["Acme Bakery"])})
SOURCES = {"Joe's Donuts": 1, "Acme Bakery": 2}


class Recorder:
    def __init__(self):
        self.ids: list[int] = []
        self.items: list[tuple[str, int | None, str]] = []
        self.refusals: list[str] = []

    def __call__(self, items, status_id):
        self.ids.append(status_id)
        self.items += [(i.business, i.source_id, i.text) for i in items]


def reader(server: LocalMastodon, seen: Recorder, cursor: int | None, token: str | None = "local-token") -> MastodonStreamReader:
    made = MastodonStreamReader(server.url, INDEX, SOURCES, cursor, on_status=seen, on_refused=seen.refusals.append,
                                token=token)
    made.silence = 5.0
    return made


async def until(condition, seconds: float = 60) -> None:
    """Wait for `condition` (polling), at most `seconds`: a slow machine is given time, and a
    condition that never comes fails the test's assertions instead of hanging it."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


async def run_until(made: MastodonStreamReader, done) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(made.run(stop))
    await until(lambda: done() or task.done())
    stop.set()
    await asyncio.wait_for(task, 10)


def test_statuses_arrive_and_a_drop_and_a_restart_are_filled_from_the_timeline():
    seen = Recorder()
    with LocalMastodon(token="local-token", heartbeat=0.2) as server:
        async def scenario():
            first = reader(server, seen, cursor=None)
            stop = asyncio.Event()
            task = asyncio.create_task(first.run(stop))
            await asyncio.wait_for(first.connected.wait(), 10)
            await asyncio.to_thread(server.post, "Acme Bakery and Joe's Donuts on one street")
            await asyncio.to_thread(server.post, "nothing to see", visibility="public")
            await until(lambda: len(seen.ids) == 2)
            assert len(seen.ids) == 2
            stop.set()
            await asyncio.wait_for(task, 10)
            # While no process reads the stream (a restart), two statuses are posted.
            await asyncio.to_thread(server.post, "Joe's Donuts glaze is back")
            await asyncio.to_thread(server.post, "a private note on Acme Bakery", visibility="private")
            # The restarted reader reads them from the timeline, then its stream drops after one update.
            second = reader(server, seen, cursor=first.cursor)
            server.drop_after(1)
            caught_up = asyncio.Event()  # the timeline has filled the restart's gap (the stream is open)
            catch_up = second._catch_up

            async def catch_up_and_tell(http):
                await catch_up(http)
                caught_up.set()

            second._catch_up = catch_up_and_tell

            async def post_later():
                # Not sooner: a post that landed while the catch-up still paged would be read from
                # the timeline, and the stream would never get to drop.
                await asyncio.wait_for(caught_up.wait(), 60)
                await asyncio.to_thread(server.post, "Acme Bakery closed early")
                await asyncio.to_thread(server.post, "Acme Bakery sold out of rye")  # after the drop

            poster = asyncio.create_task(post_later())
            await run_until(second, lambda: len(seen.ids) == 5)
            await asyncio.wait_for(poster, 10)
            return second

        second = asyncio.run(scenario())
        assert second.connections == 2 and server.connections[1].dropped
        assert server.connections[0].closed_by_client  # stopping ends the connection from our side
        assert sum(1 for r in server.requests if r.startswith("/api/v1/timelines/public?min_id=")) >= 2

    assert seen.items == [
        ("Joe's Donuts", 1, "<p>Acme Bakery and Joe's Donuts on one street</p>"),
        ("Acme Bakery", 2, "<p>Acme Bakery and Joe's Donuts on one street</p>"),
        ("Joe's Donuts", 1, "<p>Joe's Donuts glaze is back</p>"),
        ("Acme Bakery", 2, "<p>Acme Bakery closed early</p>"),
        ("Acme Bakery", 2, "<p>Acme Bakery sold out of rye</p>"),
    ]
    assert seen.ids == sorted(set(seen.ids))  # each status handled once, in order
    assert all(c.headers.get("Authorization") == "Bearer local-token" for c in server.connections)


@pytest.mark.parametrize("closed, token", [(True, "local-token"), (False, None)])
def test_an_instance_that_refuses_its_stream_is_reported_once_and_left(closed, token):
    seen = Recorder()
    with LocalMastodon(closed=closed, token="local-token") as server:
        made = reader(server, seen, cursor=None, token=token)
        asyncio.run(run_until(made, lambda: False))
        streams = [r for r in server.requests if r.startswith("/api/v1/streaming/public")]

    assert seen.refusals == ["streaming: 401 Missing access token"]
    assert len(streams) == 1  # no reconnect loop against a closed door
    assert made.refused == "streaming: 401 Missing access token"


def test_streamed_instances_are_host_names():
    from pydantic import ValidationError

    from crawlers.config import MastodonStream

    assert MastodonStream(instances=["https://Mastodon.social/", "fosstodon.org"]).instances
    with pytest.raises(ValidationError, match="expected an instance's host name"):
        MastodonStream(instances=["mastodon.social/@someone"])


def test_a_drop_before_any_status_is_filled_from_where_the_first_connection_started():
    """A fresh reader (no cursor) notes the newest public status when it first connects, so the
    statuses posted while its stream was down are read from the timeline after the drop."""
    from crawlers.streams.live import Reconnects

    seen = Recorder()
    with LocalMastodon(token="local-token", heartbeat=0.2) as server:
        server.post("Acme Bakery, an old status from before the reader started")
        async def scenario():
            made = MastodonStreamReader(server.url, INDEX, SOURCES, None, on_status=seen,
                                        on_refused=seen.refusals.append, token="local-token",
                                        reconnects=Reconnects(backoff_first=0.5))
            made.silence = 5.0
            caught_up = asyncio.Event()  # the first connection's catch-up is done: its stream is read
            catch_up = made._catch_up

            async def catch_up_and_tell(http):
                await catch_up(http)
                caught_up.set()

            made._catch_up = catch_up_and_tell
            server.drop_after(0)
            stop = asyncio.Event()
            task = asyncio.create_task(made.run(stop))
            await asyncio.wait_for(caught_up.wait(), 10)
            await asyncio.to_thread(server.post, "A1: Acme Bakery was awful and rude")  # the stream drops
            await asyncio.to_thread(server.post, "A2: Joe's Donuts was awful too")
            await until(lambda: len(seen.ids) == 2, 20)
            stop.set()
            await asyncio.wait_for(task, 10)
            return made

        made = asyncio.run(scenario())
        requests = [r for r in server.requests if r.startswith("/api/v1/timelines/public")]
        assert server.connections[0].dropped and len(server.connections) == 2

    assert seen.items == [("Acme Bakery", 2, "<p>A1: Acme Bakery was awful and rude</p>"),
                          ("Joe's Donuts", 1, "<p>A2: Joe's Donuts was awful too</p>")]
    assert requests[0] == "/api/v1/timelines/public?limit=1"
    assert made.started_at is not None and made.cursor == seen.ids[-1]
