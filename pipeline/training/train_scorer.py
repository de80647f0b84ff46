"""Train the learned scorer's model file from the labeled sets in shared/data/sentiment-train.

Usage (needs the optional ``[train]`` extra, i.e. scikit-learn)::

    python -m pipeline.training.train_scorer [--data DIR] [--dev DIR] [--out pipeline/data/scorer_model.npz]

Deterministic: the rows are read in file order, folds come from a fixed seed, the solver is
deterministic, and the feature set is pinned (``pipeline.features``). It

1. reads every ``*.tsv`` of TRAIN_FILES (the texts stay in shared/, never in the repository),
2. turns each text into features exactly as the pipeline does (``SentimentScorer.features``),
3. fits the two heads of ``pipeline.learned`` in 5-fold cross-validation: the neutral head on
   the sets that have a neutral class only, the polarity head on the polar rows of every set,
4. fits each register's calibration on the out-of-fold logits of that register's sets (the
   neutral band only on sets with neutral texts), and prints per set negative F1, negative
   precision and neutral recall beside plain VADER's,
5. trains both heads on all rows and writes the ``.npz`` weights and the ``.json`` feature set
   with the calibration, the training data's provenance and the measured figures,
6. prints plain VADER against the new model on the dev sets (if ``--dev`` holds them), with the
   negative class's precision and recall at each threshold. The dev sets are never trained on;
   one number, the news register's neutral shift, is chosen on them (``dev_neutral_shift``:
   there is no news text to train on), and the printout says which.
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
from pipeline.learned import CALIBRATION_KEYS, CLASSES, HEADS, MODEL_PATH  # noqa: E402
from pipeline.registers import NEWS, REGISTERS, REVIEW, SOCIAL  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared/data/sentiment-train"
DEFAULT_DEV = REPO.parent / "shared/data/sentiment-dev"
# The sets, their provenance as their README gives it, how much each row weighs and the register
# they are written in. Review sentences weigh more than their count: they are the closest to
# what the monitor reads.
TRAIN_FILES = {
    "blitzer_mds_amazon.tsv": (
        "Multi-Domain Sentiment Dataset (Blitzer, Dredze, Pereira, ACL 2007): Amazon reviews", 1.0, REVIEW),
    "kotzias_amazon_cells.tsv": (
        "Sentiment Labelled Sentences (Kotzias et al., KDD 2015): Amazon cell-phone review sentences", 3.0, REVIEW),
    "kotzias_imdb.tsv": (
        "Sentiment Labelled Sentences (Kotzias et al., KDD 2015): IMDB review sentences", 2.0, REVIEW),
    "semeval2017_task4a_tweets.tsv": (
        "SemEval-2017 Task 4 Subtask A (2016 collection): tweets; annotations CC BY 3.0", 1.0, SOCIAL),
    "semeval2014_laptops.tsv": (
        "SemEval-2014 Task 4 (Pontiki et al.): laptop review sentences, three classes", 3.0, REVIEW),
}
# The dev sets' registers (movie review snippets, newspaper editorial snippets).
DEV_REGISTERS = {"movie.tsv": REVIEW, "nyt.tsv": NEWS}
# Registers without a three-class training set of their own: their neutral band is chosen on dev.
DEV_TUNED = {NEWS: "nyt.tsv"}
NEUTRAL, NEGATIVE, POSITIVE = (CLASSES.index(c) for c in ("neutral", "negative", "positive"))
SEED = 2017
FOLDS = 5
C = 1.0  # inverse L2 strength, chosen by cross-validation (see docs/scoring.md)
DEFAULT_THRESHOLD = -0.05  # the alert threshold the figures are measured at


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


def three_class(origin: list[str] | np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Rows of the sets that have a neutral class: only they may teach what neutral is."""
    origin_a = np.asarray(origin)
    with_neutral = {o for o, g in zip(origin_a, gold) if g == NEUTRAL}
    return np.isin(origin_a, sorted(with_neutral))


def fit_heads(x, gold: np.ndarray, weights: np.ndarray, has_neutral: np.ndarray, c: float):
    """The neutral head (on three-class rows only) and the polarity head (on polar rows)."""
    neutral = new_model(c).fit(x[has_neutral], (gold[has_neutral] == NEUTRAL).astype(int),
                               sample_weight=weights[has_neutral])
    polar = gold != NEUTRAL
    positive = new_model(c).fit(x[polar], (gold[polar] == POSITIVE).astype(int), sample_weight=weights[polar])
    return neutral, positive


def head_logits(heads, x) -> np.ndarray:
    """(rows, 2): the neutral and positive logits of each row."""
    return np.column_stack([head.decision_function(x) for head in heads])


def fit_calibration(logits: np.ndarray, compound: np.ndarray, gold: np.ndarray, weights: np.ndarray,
                    has_neutral: np.ndarray) -> dict[str, float]:
    """One register's calibration (``CALIBRATION_KEYS``) from out-of-fold logits of its rows.

    The neutral scale and shift come from the rows of three-class sets only; the polarity scale,
    VADER weight and shift from the polar rows, as logistic regressions on the logit (and compound).
    """
    from sklearn.linear_model import LogisticRegression

    calibrated = {}
    rows = has_neutral
    model = LogisticRegression(C=100.0).fit(logits[rows, :1], (gold[rows] == NEUTRAL).astype(int),
                                            sample_weight=weights[rows])
    calibrated["neutral_scale"], calibrated["neutral_shift"] = float(model.coef_[0, 0]), float(model.intercept_[0])
    polar = gold != NEUTRAL
    inputs = np.column_stack([logits[polar, 1], compound[polar]])
    model = LogisticRegression(C=100.0).fit(inputs, (gold[polar] == POSITIVE).astype(int), sample_weight=weights[polar])
    calibrated["polarity_scale"], calibrated["vader_weight"] = (float(v) for v in model.coef_[0])
    calibrated["polarity_shift"] = float(model.intercept_[0])
    return {key: round(calibrated[key], 4) for key in CALIBRATION_KEYS}


def probabilities_of(logits: np.ndarray, compound: np.ndarray, calibration: dict[str, float]) -> np.ndarray:
    """(rows, 3) P(negative), P(neutral), P(positive), as ``LearnedModel.probabilities`` computes them."""
    n = 1 / (1 + np.exp(-(calibration["neutral_scale"] * logits[:, 0] + calibration["neutral_shift"])))
    z = calibration["polarity_scale"] * logits[:, 1] + calibration["vader_weight"] * compound + calibration["polarity_shift"]
    p = 1 / (1 + np.exp(-z))
    return np.column_stack([(1 - n) * (1 - p), n, (1 - n) * p])


def scores_of(probabilities: np.ndarray) -> np.ndarray:
    """The pipeline's score (``model_score``) of each row."""
    from pipeline.sentiment import model_score

    return np.array([model_score(p) for p in probabilities.tolist()])


def labels_of(scores: np.ndarray, threshold: float, positive: float = 0.05) -> list[str]:
    """The pipeline's labels at an alert threshold."""
    return ["negative" if s <= threshold else "positive" if s >= positive else "neutral" for s in scores]


def figures(gold_names: list[str], predicted: list[str]) -> dict[str, float]:
    """Negative F1, negative precision and recall, neutral recall and macro F1 over present classes."""
    metrics = classification_metrics(gold_names, predicted)
    present = sorted(set(gold_names))
    return {
        "negative_f1": round(metrics["f1"]["negative"], 4),
        "negative_precision": round(metrics["precision"]["negative"], 4),
        "negative_recall": round(metrics["recall"]["negative"], 4),
        "neutral_recall": round(metrics["recall"]["neutral"], 4) if "neutral" in present else None,
        "macro_f1": round(sum(metrics["f1"][c] for c in present) / len(present), 4),
    }


def _line(name: str, ours: dict, vader: dict) -> str:
    def cell(f):
        neutral = "  -  " if f["neutral_recall"] is None else f"{f['neutral_recall']:.3f}"
        return f"{f['negative_f1']:.3f} {f['negative_precision']:.3f} {neutral}"
    return f"  {name:32} ours {cell(ours)}   plain VADER {cell(vader)}"


def cross_validate(x, texts, gold_a, weights_a, origin, compound, c, folds, threshold):
    """Out-of-fold logits of both heads, each register's calibration, and per-set figures."""
    from sklearn.model_selection import StratifiedKFold

    from pipeline.sentiment import plain_vader_label

    origin_a = np.array(origin)
    has_neutral = three_class(origin, gold_a)
    # Stratified by set and label, so that every fold holds every set.
    strata = np.array([f"{o}:{g}" for o, g in zip(origin, gold_a)])
    logits = np.zeros((len(texts), len(HEADS)))
    for fold, (train, test) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=SEED).split(x, strata)):
        heads = fit_heads(x[train], gold_a[train], weights_a[train], has_neutral[train], c)
        logits[test] = head_logits(heads, x[test])
        print(f"  fold {fold + 1}/{folds} done", flush=True)
    register_a = np.array([TRAIN_FILES[o][2] for o in origin])
    calibration = {}
    for register in (REVIEW, SOCIAL):
        rows = register_a == register
        calibration[register] = fit_calibration(logits[rows], compound[rows], gold_a[rows], weights_a[rows],
                                                has_neutral[rows])
    cv: dict[str, dict[str, dict]] = {}
    print(f"\n{folds}-fold cross-validation at threshold {threshold}: negative F1, negative precision, "
          "neutral recall")
    for name in TRAIN_FILES:
        inside = origin_a == name
        gold_names = [CLASSES[g] for g in gold_a[inside]]
        oof = probabilities_of(logits[inside], compound[inside], calibration[TRAIN_FILES[name][2]])
        ours = figures(gold_names, labels_of(scores_of(oof), threshold))
        vader = figures(gold_names, [plain_vader_label(t) for t, o in zip(texts, origin) if o == name])
        cv[name] = {"ours": ours, "plain_vader": vader}
        print(_line(name, ours, vader))
    return cv, calibration, logits


def dev_neutral_shift(model, scorer, path: Path, calibration: dict[str, float], threshold: float) -> float:
    """A register's neutral shift chosen on its dev set: the one (from a fixed grid) of best macro F1.

    The review register's neutral band (learned from out-of-fold logits) is moved so that the
    register's dev set (editorial snippets for news, which has no training text of its own)
    finds its neutral statements. Only this one number per register is chosen on dev data.
    """
    rows = read_labeled(path)
    gold = [label for _, label in rows]
    logits, compound = [], []
    for text, _ in rows:
        indices, value, dense = scorer.features(text)
        logits.append(model.logits(indices, value, dense))
        compound.append(dense[DENSE_NAMES.index("combined")])
    logits_a, compound_a = np.array(logits), np.array(compound)
    best_shift, best = calibration["neutral_shift"], -1.0
    for step in np.round(np.arange(-1.0, 3.01, 0.25), 2):
        trial = {**calibration, "neutral_shift": float(round(calibration["neutral_shift"] + step, 4))}
        scores = scores_of(probabilities_of(logits_a, compound_a, trial))
        macro = figures(gold, labels_of(scores, threshold))["macro_f1"]
        if macro > best:
            best, best_shift = macro, trial["neutral_shift"]
    return float(best_shift)


def write_model(out: Path, heads, meta: dict) -> None:
    """The ``.npz`` weights (two columns in ``HEADS`` order) and the ``.json`` beside them."""
    weights_matrix = np.column_stack([head.coef_[0] for head in heads]).astype(np.float32)  # (features, 2)
    bias = np.array([head.intercept_[0] for head in heads], dtype=np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        np.savez_compressed(handle, hashed=weights_matrix[:HASH_SIZE].astype(np.float16),
                            dense=weights_matrix[HASH_SIZE:], bias=bias)
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def curve(gold_names: list[str], scores: np.ndarray, thresholds=None) -> list[dict[str, float]]:
    """Negative-class precision and recall at each threshold (``pipeline.evaluate.threshold_curve``)."""
    from pipeline.evaluate import threshold_curve

    return threshold_curve(gold_names, scores.tolist(), thresholds)


def main(argv: list[str] | None = None) -> int:
    from pipeline.sentiment import SentimentScorer, plain_vader_label

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--c", type=float, default=C, help="inverse L2 strength (to compare choices)")
    parser.add_argument("--folds", type=int, default=FOLDS, help="cross-validation folds (at least 2)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help="alert threshold the figures are measured at")
    args = parser.parse_args(argv)

    scorer = SentimentScorer(learned=False)  # VADER's reading only: the model is what we build
    texts, gold, weights, origin = [], [], [], []
    for name, (_, weight, _) in TRAIN_FILES.items():
        rows = read_labeled(args.data / name)
        texts += [t for t, _ in rows]
        gold += [CLASSES.index(label) for _, label in rows]
        weights += [weight] * len(rows)
        origin += [name] * len(rows)
    gold_a, weights_a, origin_a = np.array(gold), np.array(weights), np.array(origin)
    print(f"featurizing {len(texts)} training texts ...", flush=True)
    x = featurize(scorer, texts)
    compound = np.asarray(x[:, HASH_SIZE + DENSE_NAMES.index("combined")].todense()).ravel()

    cv, calibration, _ = cross_validate(x, texts, gold_a, weights_a, origin, compound, args.c, args.folds,
                                        args.threshold)
    calibration[NEWS] = dict(calibration[REVIEW])

    heads = fit_heads(x, gold_a, weights_a, three_class(origin, gold_a), args.c)
    meta = {
        "feature_version": FEATURE_VERSION, "hash_bits": HASH_BITS, "dense_names": list(DENSE_NAMES),
        "classes": list(CLASSES), "heads": list(HEADS),
        "model": f"two logistic heads (neutral: three-class sets only; positive: polar rows of every set), "
                 f"L2, C={args.c}, sample weights per set; per-register calibration on out-of-fold logits",
        "calibration_by_register": calibration,
        "trained_on": {name: {"source": source, "rows": int((origin_a == name).sum()), "weight": weight,
                              "register": register}
                       for name, (source, weight, register) in TRAIN_FILES.items()},
        "cross_validation": {"threshold": args.threshold, **cv},
    }
    write_model(args.out, heads, meta)

    dev_files = sorted(args.dev.glob("*.tsv")) if args.dev.is_dir() else []
    if dev_files:
        from pipeline.learned import LearnedModel

        weights_matrix = np.column_stack([head.coef_[0] for head in heads]).astype(np.float32)
        weights_matrix[:HASH_SIZE] = weights_matrix[:HASH_SIZE].astype(np.float16)  # as shipped
        bias = np.array([head.intercept_[0] for head in heads], dtype=np.float32)

        def scorer_of(table):
            model = LearnedModel(weights_matrix, bias, {r: tuple(table[r][k] for k in CALIBRATION_KEYS)
                                                        for r in REGISTERS}, meta)
            return SentimentScorer(model=model)

        raw = scorer_of(calibration)
        for register, name in DEV_TUNED.items():
            if (args.dev / name).is_file():
                calibration[register]["neutral_shift"] = dev_neutral_shift(
                    raw._model, raw, args.dev / name, calibration[register], args.threshold)
                print(f"\n{register} register: neutral shift {calibration[register]['neutral_shift']} "
                      f"chosen on dev {name}")
        scorer = scorer_of(calibration)
        print(f"\ndev sets (never trained on) at threshold {args.threshold}: negative F1, negative precision, "
              "neutral recall")
        dev_figures = {}
        for path in dev_files:
            rows = read_labeled(path)
            register = DEV_REGISTERS.get(path.name, REVIEW)
            gold_names = [label for _, label in rows]
            scores = np.array([scorer.score(t, register=register).sentiment for t, _ in rows])
            ours = figures(gold_names, labels_of(scores, args.threshold))
            vader = figures(gold_names, [plain_vader_label(t) for t, _ in rows])
            dev_figures[path.name] = {"register": register, "ours": ours, "plain_vader": vader}
            print(_line(f"{path.name} ({register})", ours, vader))
            print("    threshold  precision  recall")
            for point in curve(gold_names, scores):
                print(f"    {point['threshold']:9.2f}  {point['precision']:9.3f}  {point['recall']:6.3f}")
        meta["dev"] = {"threshold": args.threshold, **dev_figures}
    meta["calibration_by_register"] = calibration
    write_model(args.out, heads, meta)
    print(f"\nwrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) and {args.out.with_suffix('.json').name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
