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


def test_a_lone_surrogate_becomes_the_replacement_character():
    seen = Recorder()
    with LocalJetstream() as server:
        first = server.post("Acme Bakery terrible \ud800 lone surrogate")

        async def scenario():
            reader = JetstreamReader(server.url, INDEX, SOURCES, cursor=first - 1, on_event=seen)
            await read_until(reader, lambda: seen.events)

        asyncio.run(scenario())

    assert seen.items == [("Acme Bakery", 2, "<p>Acme Bakery terrible \ufffd lone surrogate</p>")]
