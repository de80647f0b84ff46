"""False alarms and detection size of the spike test (alerts.trends.tail), on synthetic days.

Usage: python bench/trends_bench.py [--businesses 100] [--days 365] [--seed 7] [--trials 200]

* False alarms: each business gets a usual level (0.3 to 50 mentions a day, log-uniform), a
  weekly rhythm of its own (weekends up to twice or half the weekdays) and Poisson noise; 15%
  of its mentions are negative and 5% are 1-2 star reviews. A year of such ordinary days is
  replayed after four weeks of warm-up, each day judged against its 28 days before as the
  planner does, for the three series (mentions and negative: spike alerts; low stars: rating
  drops). Goal: at most one false spike per business per year.
* Detection: after ordinary histories at several usual levels, the smallest count in a day that
  the test calls a spike (planted spikes of every size from the minimum up): its median, as a
  multiple of the usual, and the size that 90% of histories catch.

It judges counts, not stored mentions: what it measures is the statistics (alerts.trends.tail,
with the config's defaults); the store's part is tested in tests/alerts/test_trends.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.config import TrendSettings  # noqa: E402
from alerts.trends.tail import DAYS, judge  # noqa: E402

SERIES = {"mentions": 1.0, "negative": 0.15, "low_stars": 0.05}
LEVELS = {"mentions": (1, 3, 10, 30, 50), "low_stars": (0.1, 0.3, 1, 3)}


def business_rates(rng: np.random.Generator, days: int) -> np.ndarray:
    """A business's expected mentions for each day: its level times its weekly rhythm."""
    level = float(np.exp(rng.uniform(np.log(0.3), np.log(50))))
    rhythm = np.ones(7)
    rhythm[5:] = rng.uniform(0.5, 2.0)  # weekends busier or quieter than weekdays
    rhythm[:5] *= rng.uniform(0.8, 1.2, 5)
    rhythm *= 7 / rhythm.sum()
    return level * np.tile(rhythm, days // 7 + 1)[:days]


def minimum(settings: TrendSettings, series: str) -> int:
    return settings.min_low_stars if series == "low_stars" else settings.min_mentions


def false_alarms(settings: TrendSettings, businesses: int, days: int, seed: int) -> dict[str, list[int]]:
    """Per series, each business's false spikes over `days` ordinary days."""
    rng = np.random.default_rng(seed)
    found: dict[str, list[int]] = {s: [] for s in SERIES}
    for _ in range(businesses):
        rates = business_rates(rng, DAYS + days)
        for series, share in SERIES.items():
            counts = rng.poisson(rates * share)
            spikes = 0
            for day in range(DAYS, DAYS + days):
                verdict = judge(int(counts[day]), counts[day - DAYS:day].tolist(), min_count=minimum(settings, series),
                                min_ratio=settings.min_ratio, p_value=settings.p_value)
                spikes += verdict.spike
            found[series].append(spikes)
    return found


def smallest_caught(settings: TrendSettings, history: list[int], series: str) -> int:
    """The smallest count in the day that the test calls a spike after this history."""
    count = minimum(settings, series)
    while not judge(count, history, min_count=minimum(settings, series), min_ratio=settings.min_ratio,
                    p_value=settings.p_value).spike:
        count += 1
    return count


def detection(settings: TrendSettings, trials: int, seed: int, series: str) -> dict[float, tuple[int, int]]:
    """By usual level: the median and 90th percentile, over ordinary histories, of the smallest
    count caught on its day."""
    rng = np.random.default_rng(seed)
    sizes = {}
    for level in LEVELS[series]:
        smallest = sorted(smallest_caught(settings, rng.poisson(level, DAYS).tolist(), series) for _ in range(trials))
        sizes[level] = (smallest[len(smallest) // 2], smallest[int(len(smallest) * 0.9)])
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--businesses", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--p-value", type=float, help="alerts.trends.p_value to try (default: the config's)")
    args = parser.parse_args()
    settings = TrendSettings(**({"p_value": args.p_value} if args.p_value else {}))
    print(f"spike test: p < {settings.p_value:g}, at least {settings.min_mentions} mentions "
          f"({settings.min_low_stars} low-star reviews) and {settings.min_ratio:g}x the usual")

    found = false_alarms(settings, args.businesses, args.days, args.seed)
    years = args.days / 365
    print(f"\nfalse spikes over {args.days} ordinary days, {args.businesses} businesses (goal: at most 1 per "
          "business per year):")
    alerting = [sum(per) for per in zip(found["mentions"], found["negative"])]  # one spike alert for both
    for name, per_business in (("spike alerts (mentions or negative)", alerting),
                               ("rating drops (low-star burst)", found["low_stars"])):
        worst = max(per_business) / years
        print(f"  {name}: {sum(per_business) / years / args.businesses:.3f} per business-year on average, "
              f"worst business {worst:.0f} a year, businesses over 1: "
              f"{sum(1 for n in per_business if n / years > 1)} -> {'MET' if worst <= 1 else 'NOT MET'}")

    for series in ("mentions", "low_stars"):
        sizes = detection(settings, args.trials, args.seed + 1, series)
        print(f"\nhow large a spike of {series} must be to be caught on its day ({args.trials} ordinary histories "
              "per level; the smallest count the test calls a spike):")
        print("  usual/day   median   (x usual)   90% of histories")
        for level, (median, worst) in sizes.items():
            print(f"  {level:>9g}   {median:>6}   {f'x{median / level:.1f}':>9}   {worst:>6}")


if __name__ == "__main__":
    main()
