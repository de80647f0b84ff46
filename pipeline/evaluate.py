"""Measure a sentiment scorer against a labeled tab-separated file.

The file has a header row with (at least) the columns ``text`` and ``label``; labels are
``negative``, ``neutral`` or ``positive``. Every text is scored as the pipeline scores a
mention, ``scorer.score(text)``, and compared with its label.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

LABELS = ("negative", "neutral", "positive")
# A small labeled file shipped with the package: `mentionwatch eval --sample`, and a model for the owner's own.
SAMPLE_FILE = Path(__file__).with_name("data") / "sample_labeled.tsv"


def read_labeled(path: str | Path) -> list[tuple[str, str]]:
    """Return ``(text, label)`` pairs from a labeled TSV file.

    Raises ``ValueError`` naming the problem when the header lacks ``text`` or ``label`` or a
    row's label is not one of ``LABELS``.
    """
    path = Path(path)
    rows: list[tuple[str, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        # QUOTE_NONE: texts contain quotes of their own ('' and "), which are not CSV quoting.
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [c for c in ("text", "label") if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(
                f"{path}: header must have columns 'text' and 'label'; missing {', '.join(missing)} "
                f"(found {reader.fieldnames or 'no header'})"
            )
        for row in reader:
            label = (row["label"] or "").strip().lower()
            if label not in LABELS:
                raise ValueError(
                    f"{path}, line {reader.line_num}: unknown label {row['label']!r} "
                    f"(expected one of {', '.join(LABELS)})"
                )
            rows.append((row["text"] or "", label))
    return rows


def classification_metrics(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Per-class precision, recall and F1 and their macro mean, for ``LABELS``.

    A class never predicted has precision 0, a class never present has recall 0, and F1 is 0
    when precision and recall are both 0 (the usual convention, so nothing divides by zero).
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    precision, recall, f1 = {}, {}, {}
    for cls in LABELS:
        true_pos = sum(1 for g, p in zip(gold, predicted) if g == cls and p == cls)
        predicted_count = sum(1 for p in predicted if p == cls)
        gold_count = sum(1 for g in gold if g == cls)
        p = true_pos / predicted_count if predicted_count else 0.0
        r = true_pos / gold_count if gold_count else 0.0
        precision[cls] = p
        recall[cls] = r
        f1[cls] = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "macro_f1": sum(f1.values()) / len(LABELS),
    }


def evaluate_labels(
    path: str | Path, label_of: Callable[[str], str]
) -> dict[str, Any]:
    """Evaluate any ``text -> label`` function on a labeled file (see ``evaluate_file``)."""
    rows = read_labeled(path)
    texts = [text for text, _ in rows]
    started = time.perf_counter()
    predicted = [label_of(text) for text in texts]
    elapsed = time.perf_counter() - started
    metrics = classification_metrics([label for _, label in rows], predicted)
    return {
        "count": len(rows),
        "negative_f1": round(metrics["f1"]["negative"], 4),
        "macro_f1": round(metrics["macro_f1"], 4),
        "precision": {c: round(v, 4) for c, v in metrics["precision"].items()},
        "recall": {c: round(v, 4) for c, v in metrics["recall"].items()},
        "f1": {c: round(v, 4) for c, v in metrics["f1"].items()},
        "texts_per_second": round(len(rows) / elapsed, 1) if elapsed > 0 else float("inf"),
    }


def evaluate_file(path: str | Path, scorer: Any) -> dict[str, Any]:
    """Score every text of a labeled TSV file with ``scorer.score(text)`` and measure it.

    Returns ``count``, ``negative_f1``, ``macro_f1``, per-class ``precision``, ``recall`` and
    ``f1`` (dicts keyed by label) and ``texts_per_second`` (scoring time only).
    """
    return evaluate_labels(path, lambda text: scorer.score(text).label)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the metrics of the default scorer on each TSV file named on the command line."""
    from pipeline.sentiment import SentimentScorer

    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m pipeline.evaluate FILE.tsv [FILE.tsv ...]", file=sys.stderr)
        return 2
    scorer = SentimentScorer()
    for path in paths:
        result = evaluate_file(path, scorer)
        print(f"{path}: {result}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
