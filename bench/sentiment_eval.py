"""Compare plain VADER with mentionwatch's scorer (VADER read by the learned model) on the dev sets.

Usage: python bench/sentiment_eval.py [DATA_DIR]

DATA_DIR defaults to shared/data/sentiment-dev beside the repository and must hold movie.tsv
and nyt.tsv (columns text, label). Prints, per set, the negative-class F1, negative precision,
neutral recall, macro F1 and speed of plain VADER (compound on the whole text, -0.05 / +0.05) and
of the scorer (movie read as reviews, nyt as news), and the time ratio scorer / bare
``polarity_scores``, and the scorer's speed against the goal of 5,000 texts a second on one core
(``SPEED_FLOOR``: what ``mentionwatch eval`` must keep up); the model file's size and load time
against their goals (5 MB, 0.5 s); then a check of the sentence combination rule on posts built
from the sets' sentences.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(REPO))

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from pipeline.evaluate import classification_metrics, read_labeled  # noqa: E402
from pipeline.sentence_split import split_sentences  # noqa: E402
from pipeline.sentiment import SentimentScorer, plain_vader_label  # noqa: E402

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared/data/sentiment-dev"
SETS = ("movie.tsv", "nyt.tsv")
REGISTERS = {"movie.tsv": "review", "nyt.tsv": "news"}  # the kind of writing each set is
MODEL_SIZE_GOAL = 5_000_000  # bytes
MODEL_LOAD_GOAL = 0.5  # seconds
SPEED_FLOOR = 5000  # texts a second on one core, the learned scorer's budget
CHUNK = 250  # texts per timing chunk; chunks alternate between the two, so load drift cancels
ROUNDS = 3  # each chunk is timed this many times and the fastest time kept


def interleaved_seconds(texts: Sequence[str], first: Callable, second: Callable) -> tuple[float, float]:
    """Total seconds of ``first`` and ``second`` over ``texts``, timed chunk by chunk in turn."""
    totals = [0.0, 0.0]
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        best = [float("inf"), float("inf")]
        for _ in range(ROUNDS):
            for slot, func in enumerate((first, second)):
                began = time.perf_counter()
                for text in chunk:
                    func(text)
                best[slot] = min(best[slot], time.perf_counter() - began)
        totals[0] += best[0]
        totals[1] += best[1]
    return totals[0], totals[1]


def compare_set(path: Path, scorer: SentimentScorer, analyzer: SentimentIntensityAnalyzer) -> None:
    """Print plain VADER vs the scorer on one labeled file."""
    rows = read_labeled(path)
    texts = [text for text, _ in rows]
    gold = [label for _, label in rows]
    register = REGISTERS.get(path.name, "review")
    plain = classification_metrics(gold, [plain_vader_label(t) for t in texts])
    ours = classification_metrics(gold, [scorer.score(t, register=register).label for t in texts])
    vader_s, ours_s = interleaved_seconds(texts, analyzer.polarity_scores,
                                          lambda t: scorer.score(t, register=register))
    print(f"{path.name} ({len(texts)} texts, read as {register})")
    print(f"  {'':14}{'negative F1':>12}{'neg. prec.':>11}{'neutral rec.':>13}{'macro F1':>10}{'texts/s':>10}")
    for name, m, seconds in (("plain VADER", plain, vader_s), ("scorer", ours, ours_s)):
        print(f"  {name:14}{m['f1']['negative']:>12.3f}{m['precision']['negative']:>11.3f}"
              f"{m['recall']['neutral']:>13.3f}{m['macro_f1']:>10.3f}{len(texts) / seconds:>10.0f}")
    print(f"  time ratio scorer / bare polarity_scores: {ours_s / vader_s:.2f}x")
    speed = len(texts) / ours_s
    print(f"  scorer speed {speed:.0f} texts/s against the floor of {SPEED_FLOOR}: "
          f"{'met' if speed >= SPEED_FLOOR else 'NOT met'}")


def combination_check(paths: Sequence[Path], scorer: SentimentScorer, posts: int = 2000) -> None:
    """Print how often five-sentence posts are labeled negative, with and without a complaint.

    Posts are built from single-sentence texts of the sets: three human-labeled positive, one
    neutral, and either one negative (a buried complaint) or one more positive sentence, in
    random order, one sentence a line. Plain VADER scores the whole post; the scorer scores it
    as the pipeline does.
    """
    by_label: dict[str, list[str]] = {"negative": [], "neutral": [], "positive": []}
    for path in paths:
        for text, label in read_labeled(path):
            if len(split_sentences(text)) == 1:
                by_label[label].append(text)
    rng = random.Random(2014)
    built = {"with complaint": [], "all positive": []}
    for kind, extra in (("with complaint", "negative"), ("all positive", "positive")):
        for _ in range(posts):
            body = rng.sample(by_label["positive"], 3) + rng.sample(by_label["neutral"], 1)
            body.insert(rng.randrange(len(body) + 1), rng.choice(by_label[extra]))
            built[kind].append("\n".join(body))
    print(f"\nCombination rule: share of {posts} five-sentence posts labeled negative")
    print(f"  {'':14}{'with complaint':>16}{'all positive':>14}")
    for name, label_of in (("plain VADER", plain_vader_label), ("scorer", lambda t: scorer.score(t).label)):
        shares = [sum(label_of(p) == "negative" for p in built[k]) / posts for k in built]
        print(f"  {name:14}{shares[0]:>16.3f}{shares[1]:>14.3f}")


def model_report() -> None:
    """Print the model file's size and the time to read it from disk, against their goals."""
    from pipeline.learned import MODEL_PATH, _read_model

    size = MODEL_PATH.stat().st_size + MODEL_PATH.with_suffix(".json").stat().st_size
    began = time.perf_counter()
    _read_model(MODEL_PATH)  # not load_model: its cache would make a second load free
    seconds = time.perf_counter() - began
    print(f"model file {size / 1e6:.2f} MB (goal < {MODEL_SIZE_GOAL / 1e6:.0f} MB: "
          f"{'met' if size < MODEL_SIZE_GOAL else 'NOT met'}); loads in {seconds:.3f} s "
          f"(goal < {MODEL_LOAD_GOAL} s: {'met' if seconds < MODEL_LOAD_GOAL else 'NOT met'})")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison on DATA_DIR (first argument) or the default development sets."""
    args = list(sys.argv[1:] if argv is None else argv)
    data_dir = Path(args[0]) if args else DEFAULT_DATA_DIR
    paths = [data_dir / name for name in SETS]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"Error: missing {', '.join(missing)}", file=sys.stderr)
        return 1
    model_report()
    scorer = SentimentScorer()
    analyzer = SentimentIntensityAnalyzer()
    for path in paths:
        compare_set(path, scorer, analyzer)
    combination_check(paths, scorer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
