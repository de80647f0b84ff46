"""The wait between reconnects of a held stream: it grows while connections fail straight after
opening, and starts again only once one has proven healthy."""

from __future__ import annotations

from crawlers.streams.live import Reconnects


def test_a_connection_that_fails_at_once_backs_off_up_to_the_maximum():
    policy = Reconnects(backoff_first=1, backoff_max=60, healthy_seconds=3600)
    waits = []
    for _ in range(9):
        policy.opened()  # connected, then failed before anything arrived
        waits.append(policy.ended("ConnectionClosedError: message too big"))
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert policy.failures == 9 and policy.last_error == "ConnectionClosedError: message too big"


def test_a_connection_that_delivered_starts_the_backoff_again():
    policy = Reconnects(backoff_first=1, backoff_max=60, healthy_seconds=3600)
    for _ in range(4):
        policy.ended("OSError: refused")
    policy.opened()
    assert policy.delivered() is True and policy.failures == 0
    assert policy.delivered() is False  # said once per connection
    assert policy.ended("the connection ended") == 1 and policy.failures == 1


def test_a_connection_that_stayed_up_long_enough_starts_the_backoff_again():
    policy = Reconnects(backoff_first=1, backoff_max=60, healthy_seconds=0)
    policy.ended("OSError: refused")
    policy.ended("OSError: refused")
    policy.opened()
    assert policy.ended("the connection ended") == 1 and policy.failures == 1
