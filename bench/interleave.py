"""Timing two functions over the same texts fairly on a busy machine: chunk by chunk, in turn.

Only the standard library: bench/sentiment_eval.py's child process imports it inside another
checkout, whose `pipeline` may differ."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

CHUNK = 250  # texts per timing chunk; chunks alternate between the two, so load drift cancels
ROUNDS = 3  # each chunk is timed this many times and the fastest time kept


def interleaved_seconds(texts: Sequence[str], first: Callable, second: Callable,
                        reset: Callable[[], None] = lambda: None, chunk: int = CHUNK,
                        rounds: int = ROUNDS) -> tuple[float, float]:
    """Total seconds of ``first`` and ``second`` over ``texts``, timed chunk by chunk in turn;
    ``reset`` runs before each timing (a scorer's sentence cache would make later rounds cheap)."""
    totals = [0.0, 0.0]
    for start in range(0, len(texts), chunk):
        part = texts[start : start + chunk]
        best = [float("inf"), float("inf")]
        for _ in range(rounds):
            for slot, func in enumerate((first, second)):
                reset()
                began = time.perf_counter()
                for text in part:
                    func(text)
                best[slot] = min(best[slot], time.perf_counter() - began)
        totals[0] += best[0]
        totals[1] += best[1]
    return totals[0], totals[1]
