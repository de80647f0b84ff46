"""The learned scorer's model file: loading it and turning features into probabilities.

The model is a multinomial logistic regression (softmax over negative / neutral / positive)
over the features of ``pipeline.features``, trained by ``pipeline/training/train_scorer.py``.
It ships as package data in two files beside this module's ``data/`` folder:

* ``scorer_model.npz``: ``hashed`` (2**HASH_BITS x 3 weights, float16), ``dense``
  (len(DENSE_NAMES) x 3, float32), ``bias`` (3, float32);
* ``scorer_model.json``: the pinned feature set (version, hash bits, dense feature names), the
  temperature that calibrates the probabilities, the training data and the measured figures.

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

MODEL_DIR = Path(__file__).resolve().parent / "data"
MODEL_PATH = MODEL_DIR / "scorer_model.npz"
CLASSES = ("negative", "neutral", "positive")


class ModelError(MentionwatchError):
    """The learned scorer's model file is missing, corrupt or built for other features."""


@dataclass(frozen=True)
class LearnedModel:
    """Weights of the softmax model and its calibration temperature."""

    weights: np.ndarray  # (2**HASH_BITS + len(DENSE_NAMES), 3) float32: hashed rows, then dense rows
    bias: np.ndarray  # (3,) float32
    temperature: float
    meta: dict

    def probabilities(self, indices: Sequence[int], value: float, dense: Sequence[float]) -> tuple[float, ...]:
        """P(negative), P(neutral), P(positive) of one text's features."""
        # Plain Python over memoryviews of the weight columns: a text has a few dozen features,
        # and a numpy call costs more than the arithmetic (this runs once per sentence).
        logits = []
        for column, dense_column, bias in zip(self._columns, self._dense_columns, self._bias):
            hashed_sum = sum(map(column.__getitem__, indices)) * value
            logits.append((bias + hashed_sum + sum(map(operator.mul, dense, dense_column))) / self.temperature)
        top = max(logits)
        exp = [math.exp(v - top) for v in logits]
        total = sum(exp)
        return tuple(e / total for e in exp)

    def __post_init__(self) -> None:
        columns = [np.ascontiguousarray(self.weights[:, k], dtype=np.float32) for k in range(3)]
        object.__setattr__(self, "_columns", [memoryview(c) for c in columns])
        object.__setattr__(self, "_dense_columns", [c[self._hash_size :].tolist() for c in columns])
        object.__setattr__(self, "_bias", self.bias.tolist())

    @property
    def hashed(self) -> np.ndarray:
        """The hashed features' weights (2**HASH_BITS x 3)."""
        return self.weights[: self._hash_size]

    @property
    def dense(self) -> np.ndarray:
        """The dense features' weights (len(DENSE_NAMES) x 3)."""
        return self.weights[self._hash_size :]

    @property
    def _hash_size(self) -> int:
        return 1 << HASH_BITS



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
                "classes": list(CLASSES)}
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
    shapes = {"hashed": (hashed.shape, (1 << HASH_BITS, 3)), "dense": (dense.shape, (len(DENSE_NAMES), 3)),
              "bias": (bias.shape, (3,))}
    for name, (found, wanted) in shapes.items():
        if found != wanted:
            raise ModelError(f"the scorer's model file {path} is corrupt: {name} has shape {found}, not {wanted}")
    if not all(np.isfinite(a).all() for a in (hashed, dense, bias)):
        raise ModelError(f"the scorer's model file {path} is corrupt: weights that are not numbers")
    temperature = meta.get("temperature", 1.0)
    if not isinstance(temperature, (int, float)) or not 0 < temperature < 100:
        raise ModelError(f"{meta_path}: temperature must be a positive number, got {temperature!r}")
    return LearnedModel(np.vstack([hashed, dense]), bias, float(temperature), meta)
