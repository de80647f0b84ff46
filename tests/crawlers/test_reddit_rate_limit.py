"""Reddit's rate limit (`x-ratelimit-remaining` / `x-ratelimit-reset`) is kept, not run into.

Reddit documents the headers as "approximate number of requests left to use" and "approximate
number of seconds to end of period"; the local Reddit answers with them and with 429 past its
allowance, as Reddit does. Windows here are seconds long, not Reddit's ten minutes.
"""

from __future__ import annotations

import time

from mentionwatch.sandbox.reddit import LocalReddit
from tests.crawlers.helpers import ALERTS, failures, run, summary
from tests.crawlers.test_streams import reddit_config, stored_for


class RecordingReddit(LocalReddit):
    """The local Reddit, noting when each answer was made: (monotonic time, status, path)."""

    def __init__(self, **kwargs: object):
        super().__init__(**kwargs)
        self.answers: list[tuple[float, int, str]] = []

    def answer(self, method, target, headers, body):
        status, answer_headers, answer_body = super().answer(method, target, headers, body)
        self.answers.append((time.monotonic(), status, target.split("?")[0]))
        return status, answer_headers, answer_body

    def statuses(self) -> list[int]:
        return [status for _, status, _ in self.answers]


def test_requests_waiting_when_the_allowance_runs_out_wait_for_the_reset_and_get_no_429(workspace):
    names = ("Acme Bakery", "Bolt Cafe", "Corner Deli", "Dune Diner")
    with RecordingReddit(allowance=2, window=3.0) as reddit:
        for name in names:
            reddit.post(f"{name} thread", f"{name} is awful")
        workspace.write_config(alerts=ALERTS, businesses=[
            {"name": n, "keywords": [n], "sources": [{"type": "reddit", "query": n, "requests_per_minute": 6000,
                                                     "url": f"{reddit.base_url}/search.json?q={n.replace(' ', '+')}&sort=new"}]}
            for n in names])

        result = run(workspace)

    # Two requests fit the window; the other two wait for its reset (and a margin), not for a 429.
    assert failures(result) == []
    assert reddit.statuses() == [200, 200, 200, 200]
    assert summary(result).startswith("4 sources ok, 0 failed")


def test_a_429_is_retried_only_after_the_announced_reset(workspace):
    class OneRefusal(RecordingReddit):
        refused = False

        def answer(self, method, target, headers, body):
            if not self.refused and target.startswith("/search"):
                self.refused = True
                self.answers.append((time.monotonic(), 429, target.split("?")[0]))
                return 429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2", "x-ratelimit-used": "600"}, b"{}"
            return super().answer(method, target, headers, body)

    with OneRefusal() as reddit:
        reddit.post("Acme Bakery thread", "Acme Bakery is awful")
        workspace.write_config(alerts=ALERTS, businesses=[{"name": "Acme Bakery", "keywords": ["Acme Bakery"], "sources": [
            {"type": "reddit", "query": "Acme Bakery", "url": f"{reddit.base_url}/search.json?q=Acme+Bakery"}]}])

        result = run(workspace)

    assert failures(result) == []
    (refused_at, first, _), (retried_at, second, _) = reddit.answers
    assert (first, second) == (429, 200)
    # The reset and a second's margin (the reset is whole, approximate seconds): never just before it.
    assert retried_at - refused_at >= 3.0


def test_a_reset_more_than_a_minute_off_ends_the_stream_read_for_this_cycle_without_waiting(workspace):
    with RecordingReddit(allowance=1000, window=300.0) as reddit:
        reddit.post("seed", "nothing yet")
        reddit.comment("seed comment")
        # 120 a minute: the second listing leaves after the first one's answer is in.
        reddit_config(workspace, reddit, requests_per_minute=120)
        run(workspace)
        reddit.post("p", "Acme Bakery is awful")
        reddit.comment("Joe's Donuts is awful")
        reddit.allowance = reddit._used + 1  # the next answer says remaining 0, reset about 5 minutes off
        reddit.answers.clear()

        started = time.monotonic()
        limited = run(workspace)
        took = time.monotonic() - started

        # The posts were read; the comments were not asked for (no 429), and the run did not wait.
        assert took < 30
        assert reddit.statuses() == [200]
        assert failures(limited) == [] and summary(limited).startswith("2 sources ok, 0 failed")
        warnings = [line for line in limited.stderr.splitlines() if line.startswith("warning: ")]
        assert len(warnings) == 1 and warnings[0].startswith("warning: Reddit stream: rate limit reached")
        assert stored_for(workspace) == {"Acme Bakery": {"Acme Bakery is awful"}}

        # The next cycle, the window past, goes on from where the read stopped: nothing lost.
        reddit.allowance = 10_000
        later = run(workspace)

    assert failures(later) == []
    assert stored_for(workspace) == {"Acme Bakery": {"Acme Bakery is awful"}, "Joe's Donuts": {"Joe's Donuts is awful"}}
