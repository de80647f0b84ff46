"""Which language a mention is written in, so that the scorer never pretends to read another one.

Detection is py3langid (a maintained fork of langid.py; its naive Bayes model, 97 languages,
ships inside the wheel, so nothing is downloaded at run time). Two rules keep it honest and cheap:

* **Short texts are not guessed.** Below ``MIN_LETTERS`` Latin letters ("Terrible service", "meh")
  character statistics say little (langid calls "Terrible service" French), so the language is
  left unknown (None) and the text is scored: VADER and the model read such English fragments,
  emoji and emoticons well. A detection below ``MIN_CONFIDENCE`` is unknown too.
* **Plain English is recognised without the model.** A text in which at least
  ``ENGLISH_SHARE`` of the words are English function words ("the", "and", "with" ... words no
  other common language writes that way) is English. That is most mentions, and it costs a few
  microseconds where py3langid costs over a hundred; the model is loaded only the
  first time a text needs it.

py3langid ships its model LZMA-compressed: unpacking it costs 0.35 s of CPU, paid by every process
that needs the model (each cron run with new texts, each worker). The unpacked copy is kept in the
user's cache folder (``$XDG_CACHE_HOME/mentionwatch``, 0700), read in 0.06 s; the copy is plain
NumPy arrays, read without pickle, and any doubt about it falls back to the shipped file.
"""

from __future__ import annotations

import contextlib
import hashlib
import lzma
import os
import re
import threading
from pathlib import Path

ENGLISH = "en"
# Languages the scorer reads (VADER's lexicon and the learned model are English).
READABLE = frozenset({ENGLISH})
MIN_LETTERS = 20
MIN_SCRIPT_LETTERS = 4
MIN_CONFIDENCE = 0.8
ENGLISH_SHARE = 0.12

# English function words that are not words of Spanish, French, German, Italian, Portuguese or
# Dutch: "was", "is", "we" and "had" are Dutch, "was", "will" and "an" German, "i" Italian, "do"
# Portuguese, "he" Spanish ("he comido"), "a", "no", "me", "so", "as" and "die" several; none of
# them is here, so a text in those languages scores next to nothing.
_ENGLISH_WORDS = frozenset(
    """the and it this that with for of to my you they were have has but not are be at our your
    would been their there what when which who just very from about because i'm it's don't
    didn't can't won't wasn't isn't got get could should than then them its his her him she by
    how all into out only like more some if does did can while where whose""".split()
)
_WORD = re.compile(r"[a-z']+")
_NOT_LANGUAGE = re.compile(r"\S*(?:https?://|www\.)\S*|[@#]\w+")
_LETTER = re.compile(r"[^\W\d_]")


class LanguageDetector:
    """Tells a text's language: an ISO 639-1 code, or None when it cannot be told."""

    def __init__(self) -> None:
        self._identifier = None
        self._lock = threading.Lock()

    def detect(self, text: str) -> str | None:
        """The language of ``text`` (see the module docstring for the rules)."""
        # Addresses, @handles and #tags are no language's words.
        text = _NOT_LANGUAGE.sub(" ", text) if ("/" in text or "@" in text or "#" in text) else text
        words = _WORD.findall(text.lower())
        if words and sum(w in _ENGLISH_WORDS for w in words) >= ENGLISH_SHARE * len(words):
            return ENGLISH
        letters = _LETTER.findall(text)
        # One letter of a syllabary or of Han script says as much as a Latin word: a short
        # Japanese or Chinese review can be told, a short Latin-script one cannot.
        latin = all(letter <= "\u024f" for letter in letters)
        if len(letters) < (MIN_LETTERS if latin else MIN_SCRIPT_LETTERS):
            return None
        language, confidence = self._model().classify(text)
        return language if confidence >= MIN_CONFIDENCE else None

    def load(self) -> None:
        """Load py3langid's model now rather than at the first text that needs it."""
        self._model()

    def _model(self):
        with self._lock:
            if self._identifier is None:
                self._identifier = _load_identifier()
            return self._identifier


def _load_identifier():  # type: ignore[no-untyped-def]
    """py3langid's identifier, from the unpacked copy in the cache when there is a good one."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    shipped = Path(MODEL_FILE) if Path(MODEL_FILE).is_absolute() else MODEL_DIR / MODEL_FILE
    # The copy is only a speed-up: without a cache folder, on a full disk, with a damaged copy or
    # another py3langid's layout, the shipped file is read as before (a damaged copy is removed,
    # for the next process to write it again).
    try:
        unpacked = _unpacked_copy(shipped)
    except Exception:  # noqa: BLE001
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    try:
        ptc, pc, classes, nextmove, row, output = _read_unpacked(unpacked)
        return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)
    except Exception:  # noqa: BLE001
        with contextlib.suppress(OSError):
            unpacked.unlink()
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _unpacked_copy(shipped: Path) -> Path:
    """The unpacked model in the cache folder, written first if missing (named by the shipped
    file's size and time, so an upgraded py3langid gets a copy of its own)."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mentionwatch"
    stat = shipped.stat()
    key = hashlib.sha256(f"{shipped}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    copy = folder / f"py3langid-{key}.npz"
    if not copy.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = copy.with_suffix(f".{os.getpid()}.part")
        try:
            partial.write_bytes(lzma.decompress(shipped.read_bytes()))
            partial.replace(copy)  # whole or not at all, whoever else writes it at the same time
        finally:
            partial.unlink(missing_ok=True)
        for old in folder.glob("py3langid-*.npz"):  # an earlier py3langid's copy
            if old != copy:
                old.unlink(missing_ok=True)
    return copy


def _read_unpacked(path: Path) -> tuple:
    """The model's arrays, as py3langid's own loader (py3langid.modelio.load_model) reads them."""
    import numpy as np
    from py3langid.modelio import _to_array

    with path.open("rb") as file, np.load(file, allow_pickle=False) as data:
        return (data["ptc"], data["pc"], data["classes"].tolist(), _to_array(data["nextmove"]),
                _to_array(data["nextmove_row"]), data["out_feat"].tolist())


def readable(language: str | None) -> bool:
    """Whether the scorer can read text in ``language`` (unknown counts as readable)."""
    return language is None or language in READABLE
