"""Is today's count unusual? A count test that holds for 0 to 50 a day.

Daily counts of mentions are not Gaussian: a business that usually gets two a day and gets
seven has had a bad day; one that usually gets forty and gets forty-five has not. Like the
public-health surveillance methods (EARS, Farrington), today is compared with a trailing
baseline: the expected count is the same weekday of the last four weeks, shrunk toward the
28-day mean when that is lower (four values alone are noisy), and the spread is a negative binomial's, whose
over-dispersion is estimated from the 28 days around their weekday means and never taken as
less than Poisson's. The test is the upper tail P(X >= today); a spike also needs a minimum
absolute count and a minimum ratio to the usual, so that 3 mentions against 0.2 usual is not one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WEEKS = 4
DAYS = 7 * WEEKS
SHRINK = 2.0
"""How many 'weeks' of the 28-day mean weigh in with the four same weekdays."""
MIN_EXPECTED = 0.2
"""A floor on the usual: four weeks without a mention still leave a rate of up to about 0.1 a day
likely (3/28, the 95% bound), so a floor of twice that is not surprised too easily."""
# The expected count is itself estimated: its variance (about this share of the mean) widens the tail.
ESTIMATE_VARIANCE = (WEEKS + SHRINK**2 / 7) / (WEEKS + SHRINK) ** 2


@dataclass(frozen=True)
class Verdict:
    count: int
    expected: float
    p_value: float
    spike: bool


def expected_and_dispersion(history: Sequence[int]) -> tuple[float, float]:
    """The usual count for the day after `history` (28 daily counts, oldest first, so the same
    weekday is every 7th from the end) and the negative binomial's dispersion (variance =
    mean + dispersion * mean**2) with the estimate's own uncertainty included."""
    if len(history) != DAYS:
        raise ValueError(f"expected {DAYS} days of history, got {len(history)}")
    mean = sum(history) / DAYS
    same_weekday = [history[-7 * week] for week in range(1, WEEKS + 1)]
    # Shrunk toward the mean, four values are steadier; but on a busy weekday that would pull the
    # usual down (false spikes every Saturday), so the weekday's own mean wins when higher.
    weekday_mean = sum(same_weekday) / WEEKS
    expected = max(MIN_EXPECTED, weekday_mean, (sum(same_weekday) + SHRINK * mean) / (WEEKS + SHRINK))
    # Spread around each weekday's own mean (21 degrees of freedom), beyond what Poisson gives.
    groups = [history[offset::7] for offset in range(7)]
    squares = sum((x - sum(g) / len(g)) ** 2 for g in groups for x in g)
    variance = squares / (DAYS - 7)
    level = max(mean, MIN_EXPECTED)
    dispersion = max(0.0, variance - level) / level**2
    # The estimate's variance (about ESTIMATE_VARIANCE * mean) as extra dispersion; below one a
    # day it is capped, else a near-zero usual would get a tail fatter than the counts can have.
    return expected, dispersion + ESTIMATE_VARIANCE / max(expected, 1.0)


def upper_tail(count: int, mean: float, dispersion: float) -> float:
    """P(X >= count) for a negative binomial of this mean and dispersion (Poisson when 0)."""
    if count <= 0:
        return 1.0
    if dispersion <= 1e-12:
        pmf = math.exp(-mean)
        below = 0.0
        for k in range(count):
            below += pmf
            pmf *= mean / (k + 1)
    else:
        size = 1.0 / dispersion
        p = size / (size + mean)
        pmf = math.exp(size * math.log(p))
        below = 0.0
        for k in range(count):
            below += pmf
            pmf *= (k + size) / (k + 1) * (1 - p)
    return max(0.0, 1.0 - below)


def judge(count: int, history: Sequence[int], *, min_count: int, min_ratio: float, p_value: float) -> Verdict:
    """Whether `count` today is a spike against the 28 days of `history` before it."""
    expected, dispersion = expected_and_dispersion(history)
    if count < min_count or count < min_ratio * expected:
        return Verdict(count, expected, 1.0, False)
    tail = upper_tail(count, expected, dispersion)
    return Verdict(count, expected, tail, tail < p_value)
