"""Train the learned scorer's model file from the labeled sets in shared/data/sentiment-train.

Usage (needs the optional ``[train]`` extra, i.e. scikit-learn)::

    python -m pipeline.training.train_scorer [--data DIR] [--dev DIR] [--out pipeline/data/scorer_model.npz]

Deterministic: the rows are read in file order, folds come from a fixed seed, the solver is
deterministic, and the feature set is pinned (``pipeline.features``). It

1. reads every ``*.tsv`` of TRAIN_FILES (the texts stay in shared/, never in the repository),
2. turns each text into features exactly as the pipeline does (``SentimentScorer.features``),
3. measures the model by 5-fold cross-validation and prints per-set negative / macro F1,
4. fits the temperature that makes the out-of-fold probabilities best calibrated, and prints
   a reliability table,
5. trains on all rows, and writes the ``.npz`` weights and the ``.json`` feature set with the
   training data's provenance and the measured figures,
6. prints plain VADER against the new model on the dev sets (if ``--dev`` holds them). The dev
   sets are only ever measured, never trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from pipeline.evaluate import classification_metrics, read_labeled  # noqa: E402
from pipeline.features import DENSE_NAMES, FEATURE_VERSION, HASH_BITS, HASH_SIZE  # noqa: E402
from pipeline.learned import CLASSES, MODEL_PATH  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared/data/sentiment-train"
DEFAULT_DEV = REPO.parent / "shared/data/sentiment-dev"
# The sets, their provenance as their README gives it, and how much each row weighs. Review
# sentences weigh more than their count: they are the closest to what the monitor reads.
TRAIN_FILES = {
    "blitzer_mds_amazon.tsv": (
        "Multi-Domain Sentiment Dataset (Blitzer, Dredze, Pereira, ACL 2007): Amazon reviews", 1.0),
    "kotzias_amazon_cells.tsv": (
        "Sentiment Labelled Sentences (Kotzias et al., KDD 2015): Amazon cell-phone review sentences", 3.0),
    "kotzias_imdb.tsv": (
        "Sentiment Labelled Sentences (Kotzias et al., KDD 2015): IMDB review sentences", 2.0),
    "semeval2017_task4a_tweets.tsv": (
        "SemEval-2017 Task 4 Subtask A (2016 collection): tweets; annotations CC BY 3.0", 1.0),
}
SEED = 2017
FOLDS = 5
C = 1.0  # inverse L2 strength, chosen by cross-validation (see docs/scoring.md)


def featurize(scorer, texts: list[str]):
    """A sparse matrix of the texts' features (hashed buckets, then the dense features)."""
    from scipy.sparse import csr_matrix

    data: list[float] = []
    cols: list[int] = []
    indptr = [0]
    for text in texts:
        indices, value, dense = scorer.features(text)
        cols.extend(indices)
        data.extend([value] * len(indices))
        cols.extend(range(HASH_SIZE, HASH_SIZE + len(dense)))
        data.extend(dense)
        indptr.append(len(cols))
    return csr_matrix((np.array(data, dtype=np.float64), np.array(cols), np.array(indptr)),
                      shape=(len(texts), HASH_SIZE + len(DENSE_NAMES)))


def new_model(c: float = C):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000, tol=1e-5)


def labels_of(probabilities: np.ndarray, threshold: float = -0.05, positive: float = 0.05) -> list[str]:
    """The pipeline's rule (``model_score``) against the default alert thresholds."""
    from pipeline.sentiment import model_score

    scores = [model_score(p) for p in probabilities.tolist()]
    return ["negative" if s <= threshold else "positive" if s >= positive else "neutral" for s in scores]


def calibrate(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature (from a fixed grid) that minimizes the out-of-fold log loss."""
    best, best_loss = 1.0, float("inf")
    for t in np.arange(0.5, 3.01, 0.05):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(len(gold)), gold].mean()
        if loss < best_loss:
            best, best_loss = float(round(t, 2)), float(loss)
    return best


def reliability(probabilities: np.ndarray, gold: np.ndarray, bins: int = 10) -> tuple[float, list[list[float]]]:
    """Expected calibration error of the top class, and its table (confidence, accuracy, count)."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == gold
    table, error = [], 0.0
    for low in np.linspace(0, 1, bins, endpoint=False):
        inside = (confidence > low) & (confidence <= low + 1 / bins)
        if inside.any():
            conf, acc = float(confidence[inside].mean()), float(correct[inside].mean())
            error += inside.mean() * abs(conf - acc)
            table.append([round(conf, 3), round(acc, 3), int(inside.sum())])
    return round(float(error), 4), table


def cross_validate(x, texts, gold_a, weights_a, origin, c, folds):
    """Out-of-fold figures per set, the calibrating temperature and the reliability table."""
    from sklearn.model_selection import StratifiedKFold

    from pipeline.sentiment import plain_vader_label

    origin_a = np.array(origin)
    # Stratified by set and label, so that every fold holds every set.
    strata = np.array([f"{o}:{g}" for o, g in zip(origin, gold_a)])
    logits = np.zeros((len(texts), 3))
    for fold, (train, test) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=SEED).split(x, strata)):
        model = new_model(c).fit(x[train], gold_a[train], sample_weight=weights_a[train])
        logits[test] = model.decision_function(x[test])
        print(f"  fold {fold + 1}/{folds} done", flush=True)
    temperature = calibrate(logits, gold_a)
    z = logits / temperature
    oof = np.exp(z - z.max(axis=1, keepdims=True))
    oof /= oof.sum(axis=1, keepdims=True)
    ece, table = reliability(oof, gold_a)
    cv: dict[str, dict[str, float]] = {}
    print(f"\n{folds}-fold cross-validation (negative F1, macro F1 over the set's own classes)")
    for name in TRAIN_FILES:
        inside = origin_a == name
        gold_names = [CLASSES[g] for g in gold_a[inside]]
        ours = classification_metrics(gold_names, labels_of(oof[inside]))
        vader = classification_metrics(gold_names, [plain_vader_label(t) for t, o in zip(texts, origin) if o == name])
        present = sorted(set(gold_names))
        cv[name] = {
            "negative_f1": round(ours["f1"]["negative"], 4),
            "macro_f1": round(sum(ours["f1"][c] for c in present) / len(present), 4),
            "vader_negative_f1": round(vader["f1"]["negative"], 4),
            "vader_macro_f1": round(sum(vader["f1"][c] for c in present) / len(present), 4),
        }
        print(f"  {name:32} ours {cv[name]['negative_f1']:.3f} / {cv[name]['macro_f1']:.3f}"
              f"   plain VADER {cv[name]['vader_negative_f1']:.3f} / {cv[name]['vader_macro_f1']:.3f}")
    print(f"\ncalibration: temperature {temperature}, expected calibration error {ece}")
    print("  confidence  accuracy  count")
    for conf, acc, count in table:
        print(f"  {conf:10.3f}{acc:10.3f}{count:7d}")

    return cv, temperature, ece, table


def main(argv: list[str] | None = None) -> int:
    from pipeline.sentiment import SentimentScorer, plain_vader_label

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--c", type=float, default=C, help="inverse L2 strength (to compare choices)")
    parser.add_argument("--folds", type=int, default=FOLDS, help="cross-validation folds (0: none, for a quick look)")
    args = parser.parse_args(argv)

    scorer = SentimentScorer(learned=False)  # VADER's reading only: the model is what we build
    texts, gold, weights, origin = [], [], [], []
    for name, (_, weight) in TRAIN_FILES.items():
        rows = read_labeled(args.data / name)
        texts += [t for t, _ in rows]
        gold += [CLASSES.index(label) for _, label in rows]
        weights += [weight] * len(rows)
        origin += [name] * len(rows)
    gold_a, weights_a, origin_a = np.array(gold), np.array(weights), np.array(origin)
    print(f"featurizing {len(texts)} training texts ...", flush=True)
    x = featurize(scorer, texts)

    cv, temperature, ece, table = (
        cross_validate(x, texts, gold_a, weights_a, origin, args.c, args.folds) if args.folds else ({}, 1.0, None, []))

    model = new_model(args.c).fit(x, gold_a, sample_weight=weights_a)
    weights_matrix = model.coef_.T.astype(np.float32)  # (features, 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as handle:
        np.savez_compressed(handle, hashed=weights_matrix[:HASH_SIZE].astype(np.float16),
                            dense=weights_matrix[HASH_SIZE:], bias=model.intercept_.astype(np.float32))
    meta = {
        "feature_version": FEATURE_VERSION, "hash_bits": HASH_BITS, "dense_names": list(DENSE_NAMES),
        "classes": list(CLASSES), "temperature": temperature,
        "model": f"multinomial logistic regression, L2, C={args.c}, sample weights per set",
        "trained_on": {name: {"source": source, "rows": int((origin_a == name).sum()), "weight": weight}
                       for name, (source, weight) in TRAIN_FILES.items()},
        "cross_validation": cv, "calibration": {"expected_calibration_error": ece, "reliability": table},
    }
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) and {args.out.with_suffix('.json').name}")

    dev_files = sorted(args.dev.glob("*.tsv")) if args.dev.is_dir() else []
    if dev_files:
        from pipeline.learned import load_model

        scorer = SentimentScorer(model=load_model(args.out))
        print("\ndev sets (never trained on): negative F1 / macro F1")
        for path in dev_files:
            rows = read_labeled(path)
            gold_names = [label for _, label in rows]
            ours = classification_metrics(gold_names, [scorer.score(t).label for t, _ in rows])
            vader = classification_metrics(gold_names, [plain_vader_label(t) for t, _ in rows])
            print(f"  {path.name:12} ours {ours['f1']['negative']:.3f} / {ours['macro_f1']:.3f}"
                  f"   plain VADER {vader['f1']['negative']:.3f} / {vader['macro_f1']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
