"""The learned scorer's model file: loading it and turning features into probabilities.

The model has two heads over the features of ``pipeline.features``, trained by
``pipeline/training/train_scorer.py``:

* the **neutral head** (logistic): is the text a statement of fact, or does it judge? It is
  trained only on data that has a neutral class (tweets, laptop review sentences), so the sets
  that only know negative and positive never teach it that nothing is neutral;
* the **polarity head** (logistic): negative or positive, given that it judges; trained on the
  polar rows of every set.

* the **neutral gate** (logistic over a few numbers, ``GATE_NAMES``): the neutral head's logit
  beside the evidence of sentiment in the text (VADER's pos / neg shares and lexicon hits, the
  polarity head's margin, length, first or second person, "?"); trained on the three-class
  sets' out-of-fold logits. A text without evidence is a statement, whatever its topic.

P(neutral) = n (the gate), P(negative) = (1 - n)(1 - p), P(positive) = (1 - n) p. Each register
(social, news, review: ``pipeline.registers``) has its own calibration (``CALIBRATION_KEYS``,
``register_score``): the gate's shift, the polarity logit's scale and shift with a share of
VADER's combined compound beside it, and the rule that turns the probabilities into the score
that ``alerts.threshold`` applies to: model-led for reviews and news (a negative verdict needs
VADER's negative evidence or a sure model), VADER-led for social posts (VADER's compound
decides; the model vetoes or fills in only when it is sure).

It ships as package data in two files in this module's ``data/`` folder:

* ``scorer_model.npz``: ``vocabulary`` (the lexical features, UTF-8, one per line: row i is line
  i), ``lexical`` (a row of 2 weights per vocabulary line, float16), ``dense`` (len(DENSE_NAMES)
  x 2, float32), ``bias`` (2, float32); columns in ``HEADS`` order;
* ``scorer_model.json``: the pinned feature set (version, vocabulary size, dense feature names), the
  neutral gate (``gate``: names, weights, bias), the per-register calibration, each register's
  default alert threshold (``alert_threshold_by_register``, chosen for precision), the training
  data and the measured figures.

Loading checks that both files exist, parse, and match the feature set this code computes; any
mismatch is a ``ModelError`` naming the file. There is no fallback to plain VADER: a scorer that
silently changed how it judges would be worse than one that stops and says why.
"""

from __future__ import annotations

import json
import math
import operator
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.errors import MentionwatchError
from pipeline.features import DENSE_NAMES, EVIDENCE_NAMES, FEATURE_VERSION, indexed
from pipeline.registers import DEFAULT_REGISTER, REGISTERS

MODEL_DIR = Path(__file__).resolve().parent / "data"
MODEL_PATH = MODEL_DIR / "scorer_model.npz"
CLASSES = ("negative", "neutral", "positive")
HEADS = ("neutral", "positive")
# The neutral gate's inputs: the two heads' logits and the evidence of sentiment the text holds.
GATE_NAMES = (
    "neutral_logit", "polarity_margin", "polarity_logit", "pos", "neg", "abs_combined", "questions",
    "exclamations", "domain_negative_words", "negated_positive", "emoticons", *EVIDENCE_NAMES,
)  # fmt: skip
# Per register: the gate's shift; the polarity head's scale, VADER's weight beside it and a shift;
# whether VADER leads (1: social posts) or the model does (0); the VADER compound above which a
# text holds no negative evidence, the compound below which it holds no positive evidence (weak
# words such as "approved" or "new" are not praise), and the probability the model needs to call
# it negative or positive alone; (VADER-led only) the model's P(positive) that vetoes VADER's
# negative; and (model-led) how sure the polarity head must be, given that the text judges, for its
# own reading to count as evidence (a complaint in words VADER does not know: "the plot goes
# nowhere"); above 1 it never counts.
CALIBRATION_KEYS = ("neutral_shift", "polarity_scale", "vader_weight", "polarity_shift", "vader_led",
                    "evidence_compound", "positive_evidence", "model_alone", "veto", "polarity_alone")
_DENSE = {name: DENSE_NAMES.index(name) for name in (
    "combined", "pos", "neg", "questions", "exclamations", "domain_negative_words", "negated_positive", "emoticons")}
_COMBINED = _DENSE["combined"]
VADER_BAND = 0.05  # VADER's documented neutral band around a compound of 0


class ModelError(MentionwatchError):
    """The learned scorer's model file is missing, corrupt or built for other features."""


def gate_inputs(neutral: float, polarity: float, dense: Sequence[float], evidence: Sequence[float]) -> list[float]:
    """The neutral gate's inputs (``GATE_NAMES``) from the heads' logits, dense and evidence features."""
    d = _DENSE
    return [neutral, abs(polarity), polarity, dense[d["pos"]], dense[d["neg"]], abs(dense[_COMBINED]),
            dense[d["questions"]], dense[d["exclamations"]], dense[d["domain_negative_words"]],
            dense[d["negated_positive"]], dense[d["emoticons"]], *evidence]


def register_score(p_negative: float, p_neutral: float, p_positive: float, compound: float,
                   calibration: Sequence[float]) -> float:
    """A text's score on the -1..1 scale of ``alerts.threshold`` from its probabilities, as its register reads it.

    Model-led registers (reviews, news): P(positive) - P(negative), 0 when neutral is the most
    probable; a negative verdict without negative evidence from VADER (compound above
    ``evidence_compound``) stands only when the model alone is ``model_alone`` sure, or its
    polarity head, given that the text judges, is ``polarity_alone`` sure (P(negative) over
    P(negative) + P(positive)), so that a plain statement does not become an alert on the
    strength of a word like "received"; and a positive one without positive evidence (compound
    below ``positive_evidence``) likewise.
    VADER-led (social posts, the register VADER was built for): VADER's compound decides where
    it is outside its documented band (+-0.05), unless the model is ``veto`` sure of the
    opposite for a negative; where VADER sees nothing, the model's verdict counts when it is
    ``model_alone`` sure.
    """
    _, _, _, _, vader_led, evidence_compound, positive_evidence, model_alone, veto, polarity_alone = calibration
    if vader_led:
        if compound <= -VADER_BAND:
            return 0.0 if p_positive >= veto else compound
        if compound >= VADER_BAND:
            return compound
        return round(p_positive - p_negative, 4) if max(p_negative, p_positive) >= model_alone else 0.0
    if p_neutral >= p_negative and p_neutral >= p_positive:
        return 0.0
    score = round(p_positive - p_negative, 4)
    judged = p_negative + p_positive  # > 0 here: neutral is not the most probable
    if score < 0 and compound > evidence_compound and p_negative < model_alone and p_negative < polarity_alone * judged:
        return 0.0
    if score > 0 and compound < positive_evidence and p_positive < model_alone and p_positive < polarity_alone * judged:
        return 0.0
    return score


@dataclass(frozen=True)
class LearnedModel:
    """Weights of the two heads, the neutral gate and each register's calibration."""

    weights: np.ndarray  # (len(vocabulary) + len(DENSE_NAMES), 2) float32: lexical rows, then dense rows
    bias: np.ndarray  # (2,) float32
    vocabulary: dict[str, int]  # lexical feature -> its row
    calibration: dict[str, tuple[float, ...]]  # register -> CALIBRATION_KEYS values
    meta: dict
    gate: tuple[tuple[float, ...], float] = ((0.0,) * len(GATE_NAMES), 0.0)  # GATE_NAMES weights, bias
    alert_thresholds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(REGISTERS, -VADER_BAND))
    """Per register, the score at or below which a text is negative unless ``alerts.threshold`` is set."""

    def alert_threshold(self, register: str = DEFAULT_REGISTER) -> float:
        """The default alert threshold of ``register`` (an unknown one reads as the default register)."""
        return self.alert_thresholds.get(register, self.alert_thresholds[DEFAULT_REGISTER])

    def vader_led(self, register: str = DEFAULT_REGISTER) -> bool:
        """Whether VADER's compound leads in ``register`` (the model may only veto it), as its calibration says."""
        calibration = self.calibration.get(register, self.calibration[DEFAULT_REGISTER])
        return bool(calibration[CALIBRATION_KEYS.index("vader_led")])

    def judge(self, lexical: Sequence[str], dense: Sequence[float], evidence: Sequence[float],
              register: str = DEFAULT_REGISTER) -> tuple[tuple[float, float, float], float]:
        """``(P(negative), P(neutral), P(positive)), score`` of one text's features, read in ``register``."""
        calibration = self.calibration.get(register, self.calibration[DEFAULT_REGISTER])
        probabilities = self.probabilities(*indexed(lexical, self.vocabulary), dense, evidence, calibration)
        return probabilities, register_score(*probabilities, dense[_COMBINED], calibration)

    def probabilities(self, indices: Sequence[int], value: float, dense: Sequence[float],
                      evidence: Sequence[float], calibration: Sequence[float]) -> tuple[float, float, float]:
        """P(negative), P(neutral), P(positive) under one register's ``calibration``."""
        neutral, polarity = self.logits(indices, value, dense)
        n_shift, p_scale, vader_weight, p_shift = calibration[:4]
        weights, bias = self.gate
        gate = bias + sum(map(operator.mul, weights, gate_inputs(neutral, polarity, dense, evidence)))
        p_neutral = _sigmoid(gate + n_shift)
        p_positive = _sigmoid(p_scale * polarity + vader_weight * dense[_COMBINED] + p_shift)
        judged = 1.0 - p_neutral
        return (judged * (1.0 - p_positive), p_neutral, judged * p_positive)

    def logits(self, indices: Sequence[int], value: float, dense: Sequence[float]) -> tuple[float, float]:
        """The two heads' raw logits (neutral, positive) from a text's vocabulary rows (``indices``,
        each of ``value``) and dense features, before any register's calibration."""
        # One numpy gather for the few dozen lexical rows of a text (both heads side by side); the
        # 23 dense features in plain Python, where a numpy call would cost more than the
        # arithmetic (this runs once per mention).
        neutral_lexical, positive_lexical = self._rows.take(indices, axis=0).sum(axis=0).tolist()
        neutral_dense, positive_dense = self._dense_columns
        neutral_bias, positive_bias = self._bias
        return (
            neutral_bias + neutral_lexical * value + sum(map(operator.mul, dense, neutral_dense)),
            positive_bias + positive_lexical * value + sum(map(operator.mul, dense, positive_dense)),
        )

    def __post_init__(self) -> None:
        # Float64, as training computes the logits (a sparse product in float64).
        rows = len(self.vocabulary)
        object.__setattr__(self, "_rows", np.ascontiguousarray(self.weights[:rows], dtype=np.float64))
        object.__setattr__(self, "_dense_columns", self.weights[rows:].T.astype(np.float64).tolist())
        object.__setattr__(self, "_bias", self.bias.astype(np.float64).tolist())

    @property
    def lexical(self) -> np.ndarray:
        """The lexical features' weights (len(vocabulary) x 2)."""
        return self.weights[: len(self.vocabulary)]

    @property
    def dense(self) -> np.ndarray:
        """The dense features' weights (len(DENSE_NAMES) x 2)."""
        return self.weights[len(self.vocabulary) :]


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def load_model(path: Path = MODEL_PATH) -> LearnedModel:
    """Read and check the model (``path``, and the JSON beside it). Raises ``ModelError``.

    A model read once is kept: every scorer of a process shares it (it is never modified).
    """
    key = (path, *(_stamp(p) for p in (path, path.with_suffix(".json"))))
    if key not in _LOADED:
        _LOADED.clear()  # one model in memory at a time
        _LOADED[key] = _read_model(path)
    return _LOADED[key]


_LOADED: dict[tuple, LearnedModel] = {}


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _read_model(path: Path) -> LearnedModel:
    meta_path = path.with_suffix(".json")
    for needed in (path, meta_path):
        if not needed.is_file():
            raise ModelError(f"the scorer's model file {needed} is missing; reinstall mentionwatch "
                             "or rebuild it with pipeline/training/train_scorer.py")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"the scorer's model file {meta_path} is corrupt: {exc}") from None
    if not isinstance(meta, dict):
        raise ModelError(f"the scorer's model file {meta_path} is corrupt: not a JSON object")
    expected = {"feature_version": FEATURE_VERSION, "dense_names": list(DENSE_NAMES),
                "classes": list(CLASSES), "heads": list(HEADS)}
    for key, value in expected.items():
        if meta.get(key) != value:
            raise ModelError(f"{meta_path} was built for other features ({key} is {meta.get(key)!r}, "
                             f"this version needs {value!r}); rebuild it with pipeline/training/train_scorer.py")
    try:
        # Our own handle, so that a file np.load rejects is closed all the same.
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as arrays:
            lines = arrays["vocabulary"].tobytes().decode("utf-8").split("\n")
            lexical = arrays["lexical"].astype(np.float32)
            dense = arrays["dense"].astype(np.float32)
            bias = arrays["bias"].astype(np.float32)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelError(f"the scorer's model file {path} is corrupt: {exc}") from None
    vocabulary = dict(zip(lines, range(len(lines))))
    if len(vocabulary) != len(lines):
        raise ModelError(f"the scorer's model file {path} is corrupt: its vocabulary repeats a feature")
    width = len(HEADS)
    shapes = {"lexical": (lexical.shape, (len(lines), width)), "dense": (dense.shape, (len(DENSE_NAMES), width)),
              "bias": (bias.shape, (width,))}
    for name, (found, wanted) in shapes.items():
        if found != wanted:
            raise ModelError(f"the scorer's model file {path} is corrupt: {name} has shape {found}, not {wanted}")
    if not all(np.isfinite(a).all() for a in (lexical, dense, bias)):
        raise ModelError(f"the scorer's model file {path} is corrupt: weights that are not numbers")
    calibration = _calibration(meta.get("calibration_by_register"), meta_path)
    return LearnedModel(np.vstack([lexical, dense]), bias, vocabulary, calibration, meta,
                        _gate(meta.get("gate"), meta_path),
                        _alert_thresholds(meta.get("alert_threshold_by_register"), meta_path))


def _alert_thresholds(table: object, meta_path: Path) -> dict[str, float]:
    """Each register's default alert threshold from the JSON, checked: every register, a number in -1..0."""
    if not isinstance(table, dict) or set(table) != set(REGISTERS) or not all(
            _is_number(v) and -1.0 <= v <= 0.0 for v in table.values()):
        raise ModelError(f"{meta_path}: alert_threshold_by_register must give each of the registers "
                         f"{', '.join(REGISTERS)} a number from -1 to 0")
    return {register: float(value) for register, value in table.items()}


def _gate(table: object, meta_path: Path) -> tuple[tuple[float, ...], float]:
    """The neutral gate's weights and bias from the JSON, checked against ``GATE_NAMES``."""
    if not isinstance(table, dict) or table.get("names") != list(GATE_NAMES):
        raise ModelError(f"{meta_path}: the neutral gate must be given for the inputs {', '.join(GATE_NAMES)}; "
                         "rebuild it with pipeline/training/train_scorer.py")
    numbers = [*(table.get("weights") or []), table.get("bias")]
    if len(numbers) != len(GATE_NAMES) + 1 or not all(map(_is_number, numbers)):
        raise ModelError(f"{meta_path}: the neutral gate needs {len(GATE_NAMES)} weights and a bias, all numbers")
    return tuple(float(v) for v in numbers[:-1]), float(numbers[-1])


def _calibration(table: object, meta_path: Path) -> dict[str, tuple[float, ...]]:
    """Each register's calibration from the JSON, checked: every register, finite numbers."""
    if not isinstance(table, dict) or set(table) != set(REGISTERS):
        raise ModelError(f"{meta_path}: calibration_by_register must hold the registers {', '.join(REGISTERS)}")
    calibration = {}
    for register, values in table.items():
        numbers = [values.get(key) if isinstance(values, dict) else None for key in CALIBRATION_KEYS]
        if not all(map(_is_number, numbers)):
            raise ModelError(f"{meta_path}: the calibration of register {register!r} needs the numbers "
                             f"{', '.join(CALIBRATION_KEYS)}")
        calibration[register] = tuple(float(v) for v in numbers)
    return calibration


def _is_number(value: object) -> bool:
    """A finite int or float from the JSON (not a bool, which Python counts as an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
