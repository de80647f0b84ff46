"""Workers on PostgreSQL (`mentionwatch worker`, `run --queue`): the queue spreads a cycle over
several processes, a killed worker loses nothing and posts nothing twice, one site is never
fetched by two workers at once, and `--burst` ends when the queue is empty."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from sqlalchemy import create_engine, text

from mentionwatch.sandbox.web import LocalHTTPServer
from tests.conftest import MENTIONWATCH, Workspace, business
from tests.postgres import fresh_database

LATENCY = 0.3
"""Each answer of the local sites takes this long: crawls overlap in time, as real ones do."""


@pytest.fixture
def database(postgres_url) -> Iterator[str]:
    """A database of its own on the session's PostgreSQL server, for one test."""
    with fresh_database(postgres_url, f"w_{uuid.uuid4().hex[:12]}") as url:
        yield url


def feed(business_name: str, site: int, entries: list[tuple[int, str]]) -> str:
    """An RSS feed of `entries` (number, text), each naming the business."""
    now = datetime.now(timezone.utc)
    items = "".join(
        f"<item><title>{business_name} visit {n}</title><link>http://news.example/{site}/{n}</link>"
        f"<description>{words} at {business_name} (visit {n} to shop {site}).</description>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=100 - n))}</pubDate></item>" for n, words in entries)
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>http://news.example/</link>'
            f"<description>x</description>{items}</channel></rss>")


COMPLAINT = "The coffee was cold and the staff were rude"
PRAISE = "Lovely glaze and friendly staff"


class Cycle:
    """Sites with feeds about Joe's Donuts, a local Slack, and a config on PostgreSQL."""

    def __init__(self, workspace: Workspace, database: str, slack, sites: int, feeds_per_site: int,
                 stalled_after: float = 3):
        self.workspace, self.slack = workspace, slack
        self.servers = [LocalHTTPServer(latency=LATENCY).start() for _ in range(sites)]
        self.feeds_per_site = feeds_per_site
        self.entries: dict[tuple[int, int], list[tuple[int, str]]] = {}
        for s in range(sites):
            for f in range(feeds_per_site):
                self.publish(s, f, [(1, PRAISE), (2, COMPLAINT)])
        sources = [{"type": "feed", "url": f"{server.url}/feed{f}.xml"}
                   for server in self.servers for f in range(feeds_per_site)]
        workspace.write_config(
            database=database,
            slack={"token": "xoxb-test", "channel": "#reviews", "api_url": slack.api_url},
            alerts={"max_age_days": 36500},
            worker={"fanout_seconds": 1, "heartbeat_seconds": 0.5, "stalled_after_seconds": stalled_after},
            businesses=[business(sources=sources)],
        )

    def publish(self, site: int, number: int, entries: list[tuple[int, str]]) -> None:
        self.entries[site, number] = entries
        self.servers[site].add(f"/feed{number}.xml", feed("Joe's Donuts", site * 100 + number, entries),
                               content_type="application/rss+xml")

    def add_complaints(self, numbers: list[int]) -> None:
        """A new complaint on every feed: each is owed one alert."""
        for (site, number), entries in list(self.entries.items()):
            self.publish(site, number, entries + [(n, COMPLAINT) for n in numbers])

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def worker(self, *args: str) -> subprocess.Popen[str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}
        return subprocess.Popen([str(MENTIONWATCH), "worker", "--config", str(self.workspace.config), "-v", *args],
                                cwd=self.workspace.folder, env=environment, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def mentions(self) -> list[dict]:
        listed = self.workspace.cli("mentions", "--format", "json")
        assert listed.returncode == 0, listed.stderr
        return [json.loads(line) for line in listed.stdout.splitlines()]

    def alerted_urls(self) -> list[str]:
        """The mention URL of every alert Slack accepted (one per post)."""
        urls = []
        for call in self.slack.calls("chat.postMessage"):
            if call.error is None:
                urls += [u for u in _links(call.args) if u.startswith("http://news.example/")]
        return urls


def _links(args: dict) -> list[str]:
    blocks = args.get("blocks")
    found = json.dumps(blocks if blocks is not None else args.get("text", ""))
    return sorted(set(re.findall(r"http://news\.example/\d+/\d+", found)))


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"the worker did not end:\n{err[-3000:]}")
    return process.returncode, out, err


@pytest.fixture
def cycle(workspace, database, slack) -> Iterator[Cycle]:
    made = Cycle(workspace, database, slack, sites=3, feeds_per_site=2)
    yield made
    made.stop()


def test_run_queue_and_two_burst_workers_share_a_cycle(cycle):
    queued = cycle.workspace.cli("run", "--queue")
    assert queued.returncode == 0, queued.stderr
    assert queued.stdout == "queued 6 sources for the workers\n"
    again = cycle.workspace.cli("run", "--queue")  # nothing is due any more: the schedule moved on
    said = re.fullmatch(r"queued 0 sources for the workers; the next is due at (\S+ \S+) UTC\n", again.stdout)
    assert said, again.stdout
    next_due = datetime.strptime(said[1], "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
    # A feed's interval is 15 minutes (the minute is printed without its seconds).
    assert timedelta(minutes=14) <= next_due - datetime.now(timezone.utc) <= timedelta(minutes=15)
    # One job at a time each, on slow sites: the first worker alone would take some ten seconds,
    # far longer than the second one takes to start on a busy machine (with four jobs at a time
    # and faster answers, the first could finish the cycle before the second had started).
    for server in cycle.servers:
        server.latency = 1.0
    first, second = cycle.worker("--burst", "--concurrency", "1"), cycle.worker("--burst", "--concurrency", "1")
    results = [finish(first), finish(second)]
    for code, _, err in results:
        assert code == 0, err[-3000:]
    crawled = [err.count("mentionwatch.crawl_source") for _, _, err in results]
    assert all(crawled), f"each worker should have crawled part of the cycle: {crawled}"
    assert len(cycle.mentions()) == 12  # two entries on each of six feeds
    # Each worker ends with a line of what it did; together, the whole cycle (a first crawl is
    # summarised, not alerted one by one).
    tallies = [tally(out) for _, out, _ in results]
    assert [sum(column) for column in zip(*tallies)] == [6, 0, 12, 6, 0], tallies
    # `check` says when the workers crawl each source next.
    checked = cycle.workspace.cli("check", "--format", "json")
    next_checks = {datetime.fromisoformat(s["next_check_at"]) for s in json.loads(checked.stdout)["sources"]}
    assert len(next_checks) == 1 and next_checks.pop().strftime("%Y-%m-%d %H:%M") == said[1], checked.stdout
    assert cycle.workspace.cli("check").stdout.count(f"; next check {said[1]} UTC") == 6


def tally(stdout: str) -> tuple[int, ...]:
    """(crawled, failed, new mentions, negative, alerts sent) from a worker's closing line."""
    said = re.fullmatch(r"worker: (\d+) sources? crawled, (\d+) failed; (\d+) new mentions? \((\d+) negative\); "
                        r"(\d+) alerts? sent\n", stdout)
    assert said, stdout
    return tuple(int(n) for n in said.groups())


def test_a_burst_worker_says_which_sources_failed_and_what_it_did(cycle, database):
    assert cycle.workspace.cli("run", "--queue").returncode == 0
    assert finish(cycle.worker("--burst"))[0] == 0  # the first crawl: a baseline, summarised
    cycle.add_complaints([3])
    cycle.servers[2].stop()  # one site is down: its two feeds fail
    # One feed is cut off in its last entry (the new complaint): read despite its errors, with a warning.
    whole = feed("Joe's Donuts", 1, cycle.entries[0, 1])
    cycle.servers[0].add("/feed1.xml", whole[:whole.rfind("<item>") + len("<item><title>Joe's Don")],
                         content_type="application/rss+xml")
    due_again(database)
    assert cycle.workspace.cli("run", "--queue").returncode == 0
    code, out, err = finish(cycle.worker("--burst"))
    assert code == 0, err[-3000:]
    assert ("worker started: 6 sources of 1 business, up to 4 jobs at once; it exits once nothing is queued "
            "or running\n") in err, err[:3000]
    assert tally(out) == (6, 2, 3, 3, 3)  # a new complaint on each of the three whole feeds still up
    site = cycle.servers[0].url.removeprefix("http://")
    assert re.search(rf"WARNING mentionwatch\.worker: warning: Joe's Donuts / {site}/feed1\.xml: feed has errors, "
                     r"2 entries read \(XML error", err), err[-3000:]
    failed = re.findall(r"WARNING mentionwatch\.worker: failed: Joe's Donuts / (\S+): (.+)", err)
    down = cycle.servers[2].url.removeprefix("http://")
    assert sorted(source for source, _ in failed) == [f"{down}/feed0.xml", f"{down}/feed1.xml"], err[-3000:]
    assert all("refused" in reason.lower() for _, reason in failed), failed


def due_again(database: str) -> None:
    """Time passes: every source's interval is over (as if the schedule's minutes had gone by)."""
    engine = create_engine(database)
    with engine.begin() as connection:
        connection.execute(text("UPDATE sources SET next_check_at = now()"))
    engine.dispose()


def test_a_worker_killed_mid_cycle_loses_nothing_and_posts_every_alert_once(cycle, database):
    assert cycle.workspace.cli("run", "--queue").returncode == 0
    code, _, err = finish(cycle.worker("--burst"))  # the first crawl: a baseline, summarised
    assert code == 0, err[-3000:]
    assert len(cycle.mentions()) == 12
    cycle.add_complaints([3, 4])
    due_again(database)
    arrived = sum(len(server.arrivals) for server in cycle.servers)
    queued = cycle.workspace.cli("run", "--queue")
    assert queued.stdout == "queued 6 sources for the workers\n"
    doomed = cycle.worker("--concurrency", "2")
    deadline = time.monotonic() + 60
    while sum(len(server.arrivals) for server in cycle.servers) < arrived + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)  # mid-cycle: crawls in flight, alerts planned or not
    finish(doomed)
    code, _, err = finish(cycle.worker("--burst"))  # hands the dead worker's jobs back, runs them
    assert code == 0, err[-3000:]
    mentions = cycle.mentions()
    assert len(mentions) == 24
    complaints = {m["url"] for m in mentions if m["url"].rsplit("/", 1)[1] in ("3", "4")}
    assert len(complaints) == 12
    alerted = cycle.alerted_urls()
    assert sorted(u for u in alerted if u in complaints) == sorted(complaints)  # each one, once


def test_one_site_is_never_fetched_by_two_workers_at_once(workspace, database, slack):
    # No worker dies here: a busy machine's late heartbeat must not pass for a dead worker (whose
    # running job would then run a second time beside the first).
    cycle = Cycle(workspace, database, slack, sites=1, feeds_per_site=5, stalled_after=60)
    try:
        assert cycle.workspace.cli("run", "--queue").stdout == "queued 5 sources for the workers\n"
        workers = [cycle.worker("--burst", "--concurrency", "4") for _ in range(2)]
        for process in workers:
            code, _, err = finish(process)
            assert code == 0, err[-3000:]
        assert len(cycle.mentions()) == 10
        arrivals = sorted(r.time for r in cycle.servers[0].requests)
        assert len(arrivals) >= 5
        # Each answer takes LATENCY: a request arriving sooner after the previous one would
        # have been in flight with it.
        gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
        assert min(gaps) >= LATENCY * 0.9, gaps
    finally:
        cycle.stop()


def test_workers_schedule_by_themselves_and_sigterm_hands_the_running_crawl_back(cycle):
    from mentionwatch.sandbox.web import Response

    # One feed answers only after a minute: its crawl is running when the worker is stopped.
    slow = cycle.servers[0]
    slow.script("/feed1.xml", Response(body=feed("Joe's Donuts", 1, cycle.entries[0, 1]), delay=60,
                                       headers={"Content-Type": "application/rss+xml"}))
    worker = cycle.worker("--concurrency", "4")  # no `run --queue`: the fan-out queues the sources
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (
            "/feed1.xml" in slow.arrivals and len(cycle.mentions()) == 10):
        time.sleep(0.2)
    assert len(cycle.mentions()) == 10  # five feeds crawled, the slow one still downloading
    # Someone edits config.yaml meanwhile: the worker says it needs a restart for that.
    config = cycle.workspace.config
    config.write_text(config.read_text(encoding="utf-8").replace("max_age_days: 36500", "max_age_days: 30"),
                      encoding="utf-8")
    time.sleep(3)  # the worker looks at the file every `fanout_seconds` (1 here)
    worker.send_signal(signal.SIGTERM)
    code, _, err = finish(worker, timeout=30)  # long before the slow answer would come
    assert code == 143, err[-3000:]
    assert "worker stopped by SIGTERM: running jobs handed back to the queue" in err
    assert err.count(f"WARNING mentionwatch.worker: {config} has changed since this worker started: "
                     "restart the workers for it to take effect") == 1, err[-3000:]
    code, _, err = finish(cycle.worker("--burst"))  # the handed-back crawl runs again
    assert code == 0, err[-3000:]
    assert len(cycle.mentions()) == 12


def test_a_run_from_cron_beside_running_workers_says_it_crawled_twice(workspace, database, slack):
    cycle = Cycle(workspace, database, slack, sites=1, feeds_per_site=1)
    try:
        worker = cycle.worker("--concurrency", "2")  # waits for work: its fan-out queues the feed, then it idles
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(cycle.mentions()) < 2:
            time.sleep(0.2)
        assert len(cycle.mentions()) == 2
        beside = workspace.cli("run", "--quiet")
        assert beside.returncode == 0, beside.stderr
        assert ("warning: workers run on this database (1 heard from in the last 3 s) and crawl each source on "
                "their own schedule; this run crawled every source again beside them: use `mentionwatch worker` "
                "or `run` from cron, not both\n") == beside.stderr
        worker.send_signal(signal.SIGTERM)
        code, _, err = finish(worker, timeout=30)
        assert code == 143 and "has changed" not in err, err[-3000:]  # its config did not change
        assert ("worker started: 1 source of 1 business, up to 2 jobs at once; stop it with Ctrl-C or SIGTERM\n"
                in err), err[:3000]
        alone = workspace.cli("run", "--quiet")  # a stopped worker is gone from the queue's list
        assert alone.returncode == 0 and "worker" not in alone.stderr, alone.stderr
    finally:
        cycle.stop()


def test_a_worker_needs_postgresql_and_sqlite_runs_from_cron_as_before(workspace, web):
    web.add("/feed.xml", feed("Joe's Donuts", 0, [(1, COMPLAINT)]), content_type="application/rss+xml")
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/feed.xml",
                                                          "interval": "2h"}])])
    refused = workspace.cli("worker", "--burst")
    assert refused.returncode == 1
    assert refused.stderr == ("Error: workers need a PostgreSQL database (`database: postgresql://...`); "
                              "on SQLite, run `mentionwatch run` from cron\n")
    assert workspace.cli("run", "--queue").returncode == 1
    ran = workspace.cli("run")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-1].startswith("1 source ok, 0 failed; 1 item fetched, 1 new mention")


def test_interval_takes_minutes_or_a_duration_and_refuses_less_than_a_minute(workspace):
    def check(interval: object) -> subprocess.CompletedProcess[str]:
        workspace.write_config(businesses=[business(sources=[
            {"type": "feed", "url": "http://127.0.0.1:9/feed.xml", "interval": interval}])])
        return workspace.cli("check")

    assert check("90s").stderr.startswith("Error: ")
    assert "expected minutes (15) or a duration such as 15m or 2h" in check("90s").stderr
    assert "at least 1m" in check("0.5m").stderr
    from crawlers.config import FeedSource, ReviewsSource

    assert FeedSource(type="feed", url="http://a.example/f.xml").interval_minutes == 15
    assert ReviewsSource(type="reviews", url="http://a.example/r").interval_minutes == 60
    assert FeedSource(type="feed", url="http://a.example/f.xml", interval="2h").interval_minutes == 120
    assert FeedSource(type="feed", url="http://a.example/f.xml", interval=30).interval_minutes == 30


def test_the_documented_worker_examples_run_as_written(cycle):
    """The examples tests/test_documented_examples.py leaves to PostgreSQL, run here as written."""
    from tests.test_documented_examples import (
        NEEDS_POSTGRESQL,
        documented_examples,
        help_examples,
    )

    documented = {example for _, example in help_examples() + documented_examples()}
    assert NEEDS_POSTGRESQL <= documented
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}
    environment["MENTIONWATCH_CONFIG"] = str(cycle.workspace.config)
    environment["PATH"] = f"{MENTIONWATCH.parent}{os.pathsep}{environment.get('PATH', '')}"

    def run(example: str) -> subprocess.Popen[str]:
        return subprocess.Popen(["bash", "-c", f"exec {example}"], cwd=cycle.workspace.folder, env=environment,
                                text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    for example in ("mentionwatch run --queue", "mentionwatch worker --burst"):
        code, out, err = finish(run(example))
        assert code == 0, f"{example}: {err[-3000:]}"
    assert len(cycle.mentions()) == 12
    long_running = run("mentionwatch worker --concurrency 4")
    with pytest.raises(subprocess.TimeoutExpired):
        long_running.wait(timeout=5)  # it waits for work until stopped
    long_running.send_signal(signal.SIGTERM)
    code, _, err = finish(long_running, timeout=30)
    assert code == 143, err[-3000:]


def test_a_dead_workers_crawl_queued_again_since_does_not_hold_up_the_queue(cycle, database):
    # Found by bench/worker_faults.py: a killed worker's crawl could not go back on the queue
    # while the same source waited there again (one waiting job per source), the hand-back
    # failed, the job kept its site's lock for ever and `--burst` never ended.
    from mentionwatch.sandbox.web import Response

    slow = cycle.servers[0]
    slow.script("/feed1.xml", Response(body=feed("Joe's Donuts", 1, cycle.entries[0, 1]), delay=60,
                                       headers={"Content-Type": "application/rss+xml"}))
    assert cycle.workspace.cli("run", "--queue").returncode == 0
    doomed = cycle.worker("--concurrency", "4")
    deadline = time.monotonic() + 90
    while "/feed1.xml" not in slow.arrivals and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "/feed1.xml" in slow.arrivals
    doomed.send_signal(signal.SIGKILL)  # its crawl of the slow feed stays "doing"
    finish(doomed)
    due_again(database)
    assert cycle.workspace.cli("run", "--queue").returncode == 0  # the slow feed is queued again
    code, _, err = finish(cycle.worker("--burst"))
    assert code == 0, err[-3000:]
    assert len(cycle.mentions()) == 12  # the slow feed too, now that it answers at once


def test_a_workers_jobs_read_robots_txt_once_per_site_and_keep_an_apis_pace(workspace, database):
    # Each job is a crawl of its own: before, each one asked the site for robots.txt again, and
    # the jobs of one API's sources were spaced only by the site's delay, not the API's pace.
    site, api = LocalHTTPServer().start(), LocalHTTPServer().start()
    try:
        for number in range(3):
            site.add(f"/feed{number}.xml", feed("Joe's Donuts", number, [(1, PRAISE)]),
                     content_type="application/rss+xml")
        listing = json.dumps({"kind": "Listing", "data": {"children": [], "after": None, "before": None}})
        api.add("/search.json", listing, content_type="application/json")
        per_minute = 20  # one request every 3 s
        sources = [{"type": "feed", "url": f"{site.url}/feed{n}.xml"} for n in range(3)] + [
            {"type": "reddit", "query": f"Joe's Donuts {n}", "requests_per_minute": per_minute,
             "url": f"{api.url}/search.json?q=joes{n}&sort=new"} for n in range(2)]
        workspace.write_config(database=database, crawler={"autothrottle": False},
                               businesses=[business(sources=sources)])
        assert workspace.cli("run", "--queue").stdout == "queued 5 sources for the workers\n"
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}
        worker = subprocess.Popen([str(MENTIONWATCH), "worker", "--burst", "--config", str(workspace.config)],
                                  cwd=workspace.folder, env=environment, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        code, _, err = finish(worker)
        assert code == 0, err[-3000:]
        assert sorted(r.path for r in site.requests) == ["/feed0.xml", "/feed1.xml", "/feed2.xml", "/robots.txt"]
        searches = sorted(r.time for r in api.requests if r.path.startswith("/search.json"))
        assert len(searches) == 2
        assert searches[1] - searches[0] >= 60 / per_minute * 0.95
    finally:
        site.stop()
        api.stop()


def test_two_workers_handing_back_the_same_dead_workers_jobs_both_finish_the_hand_back(database):
    # Found by bench/worker_faults.py: every worker checks for stalled jobs; when another worker
    # handed a job back between this one's listing and its own hand-back, the check failed
    # ("invalid status to retry") and left the rest of the dead worker's jobs running for ever.
    import asyncio

    import procrastinate

    from mentionwatch.worker import ensure_queue_schema, queue_conninfo, retry_stalled_jobs

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=queue_conninfo(database)))

    @app.task(name="work")
    def work(n: int) -> None:
        """A job a worker took and then died with."""

    async def scenario() -> list[str]:
        async with app.open_async():
            await ensure_queue_schema(app)
            for n in range(3):
                await work.defer_async(n=n)
            dead = await app.job_manager.register_worker()
            taken = [await app.job_manager.fetch_job(queues=None, worker_id=dead) for _ in range(3)]
            assert all(job is not None for job in taken)
            async with app.connector.pool.connection() as connection:
                await connection.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'")
            listing = app.job_manager.get_stalled_jobs

            async def listed_then_one_handed_back_elsewhere(**options: object) -> list:
                stalled = list(await listing(**options))
                await app.job_manager.retry_job(stalled[0])  # the other worker was quicker
                return stalled

            app.job_manager.get_stalled_jobs = listed_then_one_handed_back_elsewhere  # type: ignore[method-assign]
            await retry_stalled_jobs(app, stalled_after=60)
            async with app.connector.pool.connection() as connection:
                cursor = await connection.execute("SELECT status FROM procrastinate_jobs ORDER BY id")
                return [row[0] for row in await cursor.fetchall()]

    assert asyncio.run(scenario()) == ["todo", "todo", "todo"]


def test_one_worker_holds_the_live_streams_and_another_takes_over_when_it_is_killed(workspace, database, slack, web):
    from mentionwatch.sandbox.jetstream import LocalJetstream

    # The per-business Bluesky search goes to a local service that finds nothing (no login).
    web.add("/xrpc/app.bsky.feed.searchPosts", '{"posts": []}', content_type="application/json")
    with LocalJetstream() as jetstream:
        workspace.write_config(
            database=database,
            slack={"token": "xoxb-test", "channel": "#reviews", "api_url": slack.api_url},
            worker={"fanout_seconds": 1, "heartbeat_seconds": 0.5, "stalled_after_seconds": 5},
            streams={"bluesky": {"jetstream": jetstream.url}},
            businesses=[business(sources=[{"type": "bluesky", "query": "Joe's Donuts", "service": web.url}])],
        )
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}

        def worker() -> subprocess.Popen[str]:
            return subprocess.Popen([str(MENTIONWATCH), "worker", "--config", str(workspace.config), "-v"],
                                    cwd=workspace.folder, env=environment, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def alerts_about(words: str) -> int:  # alerts only: the source's first-crawl summary may quote it too
            return sum(words in json.dumps(call.args) for call in slack.calls("chat.postMessage")
                       if call.error is None and "negative mention of" in call.args.get("text", ""))

        def wait_for(check, what: str, timeout: float = 90) -> None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not check():
                time.sleep(0.2)
            assert check(), f"timed out waiting for {what}"

        first = worker()
        wait_for(lambda: len(jetstream.connections) == 1, "the first worker's Jetstream connection")
        second = worker()
        try:
            jetstream.post("Joe's Donuts charged me twice and the manager was rude. Never again.")
            wait_for(lambda: alerts_about("charged me twice") >= 1, "the first post's alert")
            time.sleep(3)  # a second worker holding the stream too would store and alert it again by now
            assert len(jetstream.connections) == 1  # the second worker waits for the lease

            first.kill()  # SIGKILL: its session, and with it the lease, ends
            first.communicate(timeout=30)
            jetstream.post("Joe's Donuts served me a moldy croissant and refused a refund.")
            wait_for(lambda: alerts_about("moldy croissant") >= 1, "the second worker to take over and alert")
            time.sleep(3)
        finally:
            second.send_signal(signal.SIGTERM)
            code, _, err = finish(second, timeout=60)
            if first.poll() is None:
                first.kill()
                first.communicate()

    assert code == 143, err[-3000:]
    # Each post stored once and alerted once; the second holder resumed from the first one's cursor.
    assert (alerts_about("charged me twice"), alerts_about("moldy croissant")) == (1, 1)
    listed = workspace.cli("mentions", "--format", "json")
    texts = sorted(json.loads(line)["text"] for line in listed.stdout.splitlines())
    assert [("charged me twice" in t, "moldy croissant" in t) for t in texts] == [(True, False), (False, True)]
    assert len(jetstream.connections) == 2 and jetstream.connections[1].close_code == 1000
