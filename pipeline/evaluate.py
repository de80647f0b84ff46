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

from pipeline.registers import BY_SOURCE_TYPE, REGISTERS, did_you_mean, register_of

LABELS = ("negative", "neutral", "positive")
# A small labeled file shipped with the package: `mentionwatch eval --sample`, and a model for the owner's own.
SAMPLE_FILE = Path(__file__).with_name("data") / "sample_labeled.tsv"


def read_labeled(path: str | Path) -> list[tuple[str, str]]:
    """Return ``(text, label)`` pairs from a labeled TSV file.

    Raises ``ValueError`` naming the file and the problem when the header lacks ``text`` or
    ``label``, a row's label is not one of ``LABELS``, it holds no row or is not UTF-8.
    """
    return [(text, label) for text, label, _ in read_labeled_rows(path)]


def read_labeled_rows(path: str | Path) -> list[tuple[str, str, str | None]]:
    """Return ``(text, label, register)`` rows; ``register`` is None without a ``register`` column.

    A ``register`` column holds "social", "news" or "review" (``pipeline.registers``), or a
    source type ("reddit", "feed", "yelp", ...), which stands for its register; an empty cell
    reads as a review. Raises ``ValueError`` as ``read_labeled`` does, and for a register that is
    none of these (read as a review, "twitter" would quietly measure the wrong calibration).
    """
    path = Path(path)
    rows: list[tuple[str, str, str | None]] = []
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            # QUOTE_NONE: texts contain quotes of their own ('' and "), which are not CSV quoting.
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = [c for c in ("text", "label") if c not in (reader.fieldnames or ())]
            if missing:
                raise ValueError(
                    f"{path}: header must have columns 'text' and 'label'; missing {', '.join(missing)} "
                    f"(found {reader.fieldnames or 'no header'})"
                )
            has_register = "register" in (reader.fieldnames or ())
            for row in reader:
                if row["label"] is None:  # DictReader fills the columns a short row lacks with None
                    raise ValueError(f"{path}, line {reader.line_num}: no label: the row has fewer "
                                     "tab-separated columns than the header (text, then a tab, then the label)")
                label = row["label"].strip().lower()
                if label not in LABELS:
                    raise ValueError(
                        f"{path}, line {reader.line_num}: unknown label {row['label']!r} "
                        f"(expected one of {', '.join(LABELS)})"
                    )
                register = None
                if has_register:
                    register = _register_cell(row["register"], path, reader.line_num)
                rows.append((row["text"] or "", label, register))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (it holds byte 0x{exc.object[exc.start]:02x}): "
                         "save it as UTF-8") from None
    if not rows:
        raise ValueError(f"{path}: no labeled rows: after the header, one row per text "
                         "(the text, a tab, its label)")
    return rows


def _register_cell(cell: str | None, path: Path, line: int) -> str:
    """The register a ``register`` cell names: a register, a source type's register, or (empty) a review."""
    given = (cell or "").strip().lower()
    if given in REGISTERS:
        return given
    if given and given not in BY_SOURCE_TYPE:
        raise ValueError(f"{path}, line {line}: unknown register {cell!r} (expected {', '.join(REGISTERS)}, "
                         f"a source type such as reddit or yelp, or nothing for a review)"
                         f"{did_you_mean(given, source_types=True)}")
    return register_of(given)


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


# The thresholds `mentionwatch eval --curve` measures at: alerts.threshold's useful range.
CURVE_THRESHOLDS = (-0.05, -0.1, -0.2, -0.3, -0.4, -0.5, -0.6, -0.7, -0.8, -0.9)


def threshold_curve(
    gold: Sequence[str], scores: Sequence[float], thresholds: Sequence[float] | None = None
) -> list[dict[str, float]]:
    """Precision and recall of the negative class if a score at or below each threshold alerted.

    ``scores`` are the scorer's ``sentiment`` (-1..1) of the texts whose labels are ``gold``.
    """
    wanted = sum(1 for g in gold if g == "negative")
    points = []
    for threshold in thresholds or CURVE_THRESHOLDS:
        flagged = [g for g, s in zip(gold, scores) if s <= threshold]
        hits = sum(1 for g in flagged if g == "negative")
        precision = hits / len(flagged) if flagged else 0.0
        recall = hits / wanted if wanted else 0.0
        points.append({
            "threshold": threshold, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
            "alerts": len(flagged),
        })
    return points


def evaluate_labels(
    path: str | Path, label_of: Callable[[str], str]
) -> dict[str, Any]:
    """Evaluate any ``text -> label`` function on a labeled file (see ``evaluate_file``)."""
    rows = read_labeled_rows(path)
    return _measure(rows, lambda text, _register: label_of(text))[0]


def evaluate_file(path: str | Path, scorer: Any, curve: bool = False, register: str | None = None) -> dict[str, Any]:
    """Score every text of a labeled TSV file with ``scorer.score(text)`` and measure it.

    Returns ``count``, ``negative_f1``, ``negative_precision``, ``neutral_recall``,
    ``macro_f1``, per-class ``precision``, ``recall`` and ``f1`` (dicts keyed by label) and
    ``texts_per_second`` (scoring time only). When the file has a ``register`` column, each text
    is scored in its register and ``per_register`` holds the figures of each register's rows;
    a text without one is scored in ``register`` (None: the scorer's default, reviews).
    With ``curve``, ``curve`` lists the negative class's precision and recall at each threshold
    of ``CURVE_THRESHOLDS`` (``threshold_curve``), for the whole file and for each register.
    """
    prepare = getattr(scorer, "prepare", None)
    if prepare is not None:
        prepare()  # one-time loads (the language model) are not the scorer's pace
    rows = read_labeled_rows(path)
    sentiments: list[float] = []

    def label_of(text: str, own: str | None) -> str:
        read_as = own or register
        verdict = scorer.score(text) if read_as is None else scorer.score(text, register=read_as)
        if curve:
            sentiments.append(verdict.sentiment)  # 0 for a text the scorer cannot read
        return verdict.label

    result, predicted = _measure(rows, label_of)
    if any(own is not None for _, _, own in rows):
        by_register: dict[str, dict[str, Any]] = {}
        for own in sorted({r for _, _, r in rows if r is not None}):
            inside = [i for i, row in enumerate(rows) if row[2] == own]
            gold = [rows[i][1] for i in inside]
            metrics = classification_metrics(gold, [predicted[i] for i in inside])
            by_register[own] = {"count": len(inside), **_headline(metrics)}
            if curve:  # each register has a threshold of its own (alerts.threshold: {social: -0.3})
                by_register[own]["curve"] = threshold_curve(gold, [sentiments[i] for i in inside])
        result["per_register"] = by_register
    if curve:
        result["curve"] = threshold_curve([label for _, label, _ in rows], sentiments)
    return result


def _measure(
    rows: list[tuple[str, str, str | None]], label_of: Callable[[str, str | None], str]
) -> tuple[dict[str, Any], list[str]]:
    started = time.perf_counter()
    predicted = [label_of(text, register) for text, _, register in rows]
    elapsed = time.perf_counter() - started
    metrics = classification_metrics([label for _, label, _ in rows], predicted)
    return {
        "count": len(rows),
        **_headline(metrics),
        "precision": {c: round(v, 4) for c, v in metrics["precision"].items()},
        "recall": {c: round(v, 4) for c, v in metrics["recall"].items()},
        "f1": {c: round(v, 4) for c, v in metrics["f1"].items()},
        "texts_per_second": round(len(rows) / elapsed, 1) if elapsed > 0 else float("inf"),
    }, predicted


def _headline(metrics: dict[str, Any]) -> dict[str, float]:
    """The figures alerts depend on: complaints found, false alarms, facts left alone."""
    return {
        "negative_f1": round(metrics["f1"]["negative"], 4),
        "negative_precision": round(metrics["precision"]["negative"], 4),
        "neutral_recall": round(metrics["recall"]["neutral"], 4),
        "macro_f1": round(metrics["macro_f1"], 4),
    }


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
