"""Bluesky's Jetstream: posts matched on arrival, a dropped connection resumed, a clean close."""

from __future__ import annotations

import asyncio

import pytest

from crawlers.streams.bluesky import JetstreamReader
from mentionwatch.sandbox.jetstream import LocalJetstream
from pipeline.keyword_index import KeywordIndex
from pipeline.match import BusinessMatcher

INDEX = KeywordIndex({"Joe's Donuts": BusinessMatcher(["Joe's Donuts"]), "Acme Bakery": BusinessMatcher(["Acme Bakery"])})
SOURCES = {"Joe's Donuts": 1, "Acme Bakery": 2}


@pytest.fixture
def jetstream():
    with LocalJetstream() as server:
        yield server


class Recorder:
    def __init__(self):
        self.events: list[int] = []
        self.items: list[tuple[str, int | None, str]] = []

    def __call__(self, items, time_us):
        self.events.append(time_us)
        self.items += [(i.business, i.source_id, i.text) for i in items]


async def read_until(reader: JetstreamReader, done, stop: asyncio.Event | None = None) -> None:
    """Run the reader until `done()` holds (or 20 s pass), then stop it."""
    stop = stop or asyncio.Event()
    task = asyncio.create_task(reader.run(stop))
    for _ in range(400):
        if done():
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 10)


def test_posts_are_matched_on_arrival_and_a_drop_resumes_from_the_last_time_us(jetstream):
    seen = Recorder()
    first = jetstream.post("Acme Bakery and Joe's Donuts on one street")

    async def scenario():
        reader = JetstreamReader(jetstream.url, INDEX, SOURCES, cursor=first - 1, on_event=seen)
        stop = asyncio.Event()
        task = asyncio.create_task(reader.run(stop))
        await asyncio.wait_for(reader.connected.wait(), 10)
        await asyncio.to_thread(jetstream.post, "nothing to see")
        await asyncio.to_thread(jetstream.post, "a like", collection="app.bsky.feed.like")
        for _ in range(200):
            if len(seen.events) == 2:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 10)
        # Restarted: the dropped connection's successor resumes after the last event handled.
        reader2 = JetstreamReader(jetstream.url, INDEX, SOURCES, cursor=reader.cursor, on_event=seen)
        # Jetstream replays from the cursor itself (skipped: handled already), then one new post; then
        # the connection breaks.
        jetstream.drop_after(2)
        for text in ("Joe's Donuts glaze is back", "Acme Bakery closed early", "filler"):
            await asyncio.to_thread(jetstream.post, text)
        await read_until(reader2, lambda: len(seen.events) == 5)
        return reader2

    reader2 = asyncio.run(scenario())

    assert seen.items == [
        ("Joe's Donuts", 1, "<p>Acme Bakery and Joe's Donuts on one street</p>"),
        ("Acme Bakery", 2, "<p>Acme Bakery and Joe's Donuts on one street</p>"),
        ("Joe's Donuts", 1, "<p>Joe's Donuts glaze is back</p>"),
        ("Acme Bakery", 2, "<p>Acme Bakery closed early</p>"),
    ]
    assert seen.events == sorted(set(seen.events))  # each post handled once, in order
    queries = [c.query for c in jetstream.connections]
    assert all(q["wantedCollections"] == ["app.bsky.feed.post"] for q in queries)
    assert queries[1]["cursor"] == [str(seen.events[1])]  # the restart: from the last one handled
    assert queries[2]["cursor"] == [str(seen.events[2])]  # after the drop: likewise
    assert reader2.connections == 2 and jetstream.connections[1].dropped


def test_stopping_closes_the_websocket_cleanly(jetstream):
    seen = Recorder()

    async def scenario():
        reader = JetstreamReader(jetstream.url, INDEX, SOURCES, cursor=None, on_event=seen)
        stop = asyncio.Event()
        task = asyncio.create_task(reader.run(stop))
        await asyncio.wait_for(reader.connected.wait(), 10)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(scenario())
    for _ in range(100):
        if jetstream.connections[0].close_code is not None:
            break
        asyncio.run(asyncio.sleep(0.05))
    assert jetstream.connections[0].close_code == 1000


@pytest.mark.parametrize("honours_max_size", [True, False])
def test_an_event_too_large_is_passed_and_the_stream_goes_on(honours_max_size, caplog):
    """Jetstream is asked to leave out events over a MiB; one that comes anyway is skipped with one
    warning and the cursor moves past it: the next post arrives on the same connection."""
    seen = Recorder()
    with LocalJetstream(honours_max_size=honours_max_size) as server:
        async def scenario():
            reader = JetstreamReader(server.url, INDEX, SOURCES, cursor=None, on_event=seen)
            stop = asyncio.Event()
            task = asyncio.create_task(reader.run(stop))
            await asyncio.wait_for(reader.connected.wait(), 10)
            big = await asyncio.to_thread(server.post, "C1: Acme Bakery awful " + "x" * 1_100_000)
            after = await asyncio.to_thread(server.post, "C2: Acme Bakery was awful and rude")
            for _ in range(200):
                if seen.events and seen.events[-1] == after:
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.wait_for(task, 10)
            return reader, big, after

        reader, big, after = asyncio.run(scenario())
        query = server.connections[0].query

    assert seen.items == [("Acme Bakery", 2, "<p>C2: Acme Bakery was awful and rude</p>")]
    assert reader.cursor == after and reader.connections == 1
    assert query["maxMessageSizeBytes"] == ["1048576"]
    skipped = [r.getMessage() for r in caplog.records if "skipped an event" in r.getMessage()]
    if honours_max_size:
        assert seen.events == [after] and not skipped  # Jetstream itself left it out
    else:
        assert seen.events == [big, after] and len(skipped) == 1


def test_an_event_too_large_to_read_at_all_is_passed_as_a_gap_without_a_reconnect_every_second():
    """Over the read limit the WebSocket closes (1009) before the event's time_us is known: the
    reader resumes a little past the last event it handled (doubling the stretch), says the
    stretch as one gap, and the posts after it arrive."""
    from crawlers.streams.live import Reconnects

    seen, gaps = Recorder(), []
    with LocalJetstream(honours_max_size=False) as server:
        async def scenario():
            reader = JetstreamReader(server.url, INDEX, SOURCES, cursor=None, on_event=seen,
                                     on_gap=lambda a, b: gaps.append((a, b)), read_limit=64 * 1024,
                                     reconnects=Reconnects(backoff_first=0.05, backoff_max=0.2))
            stop = asyncio.Event()
            task = asyncio.create_task(reader.run(stop))
            await asyncio.wait_for(reader.connected.wait(), 10)
            before = await asyncio.to_thread(server.post, "B0: Joe's Donuts opened")
            big = await asyncio.to_thread(server.post, "C1: Acme Bakery awful " + "x" * 100_000)
            for _ in range(400):  # passed it
                if (reader.cursor or 0) > big:
                    break
                await asyncio.sleep(0.05)
            after = await asyncio.to_thread(server.post, "C2: Acme Bakery was awful and rude")
            for _ in range(200):
                if seen.events and seen.events[-1] == after:
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.wait_for(task, 10)
            return reader, before, big, after

        reader, before, big, after = asyncio.run(scenario())

    assert seen.events == [before, after]
    assert [i[2] for i in seen.items] == ["<p>B0: Joe's Donuts opened</p>", "<p>C2: Acme Bakery was awful and rude</p>"]
    assert len(gaps) == 1
    unread_from, unread_to = gaps[0]
    assert unread_from.timestamp() * 1e6 == pytest.approx(before, abs=1) and unread_to.timestamp() * 1e6 > big
    assert 2 <= reader.connections <= 20


def test_a_drop_before_the_first_event_resumes_from_the_first_connection():
    """On a fresh install (no cursor) a dropped connection resumes from when the first one opened,
    so the posts made while it was down arrive."""
    from crawlers.streams.live import Reconnects

    seen = Recorder()
    with LocalJetstream() as server:
        async def scenario():
            server.drop_after(0)
            reader = JetstreamReader(server.url, INDEX, SOURCES, cursor=None, on_event=seen,
                                     reconnects=Reconnects(backoff_first=0.5))
            stop = asyncio.Event()
            task = asyncio.create_task(reader.run(stop))
            await asyncio.wait_for(reader.connected.wait(), 10)
            first = await asyncio.to_thread(server.post, "Acme Bakery was rude")  # drops the connection
            await read_until(reader, lambda: seen.events == [first], stop)
            await asyncio.wait_for(task, 10)
            return reader

        reader = asyncio.run(scenario())
        connections = server.connections

    assert seen.items == [("Acme Bakery", 2, "<p>Acme Bakery was rude</p>")]
    assert connections[0].dropped and "cursor" not in connections[0].query
    assert int(connections[1].query["cursor"][0]) < reader.cursor


def test_a_lone_surrogate_becomes_the_replacement_character():
    seen = Recorder()
    with LocalJetstream() as server:
        first = server.post("Acme Bakery terrible \ud800 lone surrogate")

        async def scenario():
            reader = JetstreamReader(server.url, INDEX, SOURCES, cursor=first - 1, on_event=seen)
            await read_until(reader, lambda: seen.events)

        asyncio.run(scenario())

    assert seen.items == [("Acme Bakery", 2, "<p>Acme Bakery terrible \ufffd lone surrogate</p>")]
