"""The learned scorer's model file: loading it and turning features into probabilities.

The model has two heads over the features of ``pipeline.features``, trained by
``pipeline/training/train_scorer.py``:

* the **neutral head** (logistic): is the text a statement of fact, or does it judge? It is
  trained only on data that has a neutral class (tweets, laptop review sentences), so the sets
  that only know negative and positive never teach it that nothing is neutral;
* the **polarity head** (logistic): negative or positive, given that it judges; trained on the
  polar rows of every set.

P(neutral) = n, P(negative) = (1 - n)(1 - p), P(positive) = (1 - n) p. Each register (social,
news, review: ``pipeline.registers``) has its own calibration of the two heads, fitted on that
register's out-of-fold predictions: a scale and shift of the neutral logit, and of the polarity
logit with a share of VADER's combined compound beside it (VADER's lexicon was built for social
posts, and the calibration says how far to trust it in each register).

It ships as package data in two files in this module's ``data/`` folder:

* ``scorer_model.npz``: ``hashed`` (2**HASH_BITS x 2 weights, float16), ``dense``
  (len(DENSE_NAMES) x 2, float32), ``bias`` (2, float32); columns in ``HEADS`` order;
* ``scorer_model.json``: the pinned feature set (version, hash bits, dense feature names), the
  per-register calibration, the training data and the measured figures.

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import MentionwatchError
from pipeline.features import DENSE_NAMES, FEATURE_VERSION, HASH_BITS
from pipeline.registers import DEFAULT_REGISTER, REGISTERS

MODEL_DIR = Path(__file__).resolve().parent / "data"
MODEL_PATH = MODEL_DIR / "scorer_model.npz"
CLASSES = ("negative", "neutral", "positive")
HEADS = ("neutral", "positive")
# Per register: neutral scale and shift, polarity scale, VADER compound weight and shift.
CALIBRATION_KEYS = ("neutral_scale", "neutral_shift", "polarity_scale", "vader_weight", "polarity_shift")
_COMBINED = DENSE_NAMES.index("combined")


class ModelError(MentionwatchError):
    """The learned scorer's model file is missing, corrupt or built for other features."""


@dataclass(frozen=True)
class LearnedModel:
    """Weights of the two heads and each register's calibration."""

    weights: np.ndarray  # (2**HASH_BITS + len(DENSE_NAMES), 2) float32: hashed rows, then dense rows
    bias: np.ndarray  # (2,) float32
    calibration: dict[str, tuple[float, ...]]  # register -> CALIBRATION_KEYS values
    meta: dict

    def probabilities(
        self, indices: Sequence[int], value: float, dense: Sequence[float], register: str = DEFAULT_REGISTER
    ) -> tuple[float, float, float]:
        """P(negative), P(neutral), P(positive) of one text's features, read in ``register``."""
        neutral, polarity = self.logits(indices, value, dense)
        n_scale, n_shift, p_scale, vader_weight, p_shift = self.calibration.get(
            register, self.calibration[DEFAULT_REGISTER])
        p_neutral = _sigmoid(n_scale * neutral + n_shift)
        p_positive = _sigmoid(p_scale * polarity + vader_weight * dense[_COMBINED] + p_shift)
        judged = 1.0 - p_neutral
        return (judged * (1.0 - p_positive), p_neutral, judged * p_positive)

    def logits(self, indices: Sequence[int], value: float, dense: Sequence[float]) -> tuple[float, float]:
        """The two heads' raw logits (neutral, positive), before any register's calibration."""
        # Plain Python over memoryviews of the weight columns: a text has a few dozen features,
        # and a numpy call costs more than the arithmetic (this runs once per mention).
        neutral_column, positive_column = self._columns
        neutral_dense, positive_dense = self._dense_columns
        neutral_bias, positive_bias = self._bias
        return (
            neutral_bias + sum(map(neutral_column.__getitem__, indices)) * value
            + sum(map(operator.mul, dense, neutral_dense)),
            positive_bias + sum(map(positive_column.__getitem__, indices)) * value
            + sum(map(operator.mul, dense, positive_dense)),
        )

    def __post_init__(self) -> None:
        columns = [np.ascontiguousarray(self.weights[:, k], dtype=np.float32) for k in range(len(HEADS))]
        object.__setattr__(self, "_columns", [memoryview(c) for c in columns])
        object.__setattr__(self, "_dense_columns", [c[self._hash_size :].tolist() for c in columns])
        object.__setattr__(self, "_bias", self.bias.tolist())

    @property
    def hashed(self) -> np.ndarray:
        """The hashed features' weights (2**HASH_BITS x 2)."""
        return self.weights[: self._hash_size]

    @property
    def dense(self) -> np.ndarray:
        """The dense features' weights (len(DENSE_NAMES) x 2)."""
        return self.weights[self._hash_size :]

    @property
    def _hash_size(self) -> int:
        return 1 << HASH_BITS


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
    expected = {"feature_version": FEATURE_VERSION, "hash_bits": HASH_BITS, "dense_names": list(DENSE_NAMES),
                "classes": list(CLASSES), "heads": list(HEADS)}
    for key, value in expected.items():
        if meta.get(key) != value:
            raise ModelError(f"{meta_path} was built for other features ({key} is {meta.get(key)!r}, "
                             f"this version needs {value!r}); rebuild it with pipeline/training/train_scorer.py")
    try:
        # Our own handle, so that a file np.load rejects is closed all the same.
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as arrays:
            hashed = arrays["hashed"].astype(np.float32)
            dense = arrays["dense"].astype(np.float32)
            bias = arrays["bias"].astype(np.float32)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelError(f"the scorer's model file {path} is corrupt: {exc}") from None
    width = len(HEADS)
    shapes = {"hashed": (hashed.shape, (1 << HASH_BITS, width)), "dense": (dense.shape, (len(DENSE_NAMES), width)),
              "bias": (bias.shape, (width,))}
    for name, (found, wanted) in shapes.items():
        if found != wanted:
            raise ModelError(f"the scorer's model file {path} is corrupt: {name} has shape {found}, not {wanted}")
    if not all(np.isfinite(a).all() for a in (hashed, dense, bias)):
        raise ModelError(f"the scorer's model file {path} is corrupt: weights that are not numbers")
    calibration = _calibration(meta.get("calibration_by_register"), meta_path)
    return LearnedModel(np.vstack([hashed, dense]), bias, calibration, meta)


def _calibration(table: object, meta_path: Path) -> dict[str, tuple[float, ...]]:
    """Each register's calibration from the JSON, checked: every register, finite numbers."""
    if not isinstance(table, dict) or set(table) != set(REGISTERS):
        raise ModelError(f"{meta_path}: calibration_by_register must hold the registers {', '.join(REGISTERS)}")
    calibration = {}
    for register, values in table.items():
        numbers = [values.get(key) if isinstance(values, dict) else None for key in CALIBRATION_KEYS]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in numbers):
            raise ModelError(f"{meta_path}: the calibration of register {register!r} needs the numbers "
                             f"{', '.join(CALIBRATION_KEYS)}")
        calibration[register] = tuple(float(v) for v in numbers)
    return calibration
