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
  microseconds where py3langid costs over a hundred; the model (2 s to load) is loaded only the
  first time a text needs it.
"""

from __future__ import annotations

import re
import threading

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
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            return self._identifier


def readable(language: str | None) -> bool:
    """Whether the scorer can read text in ``language`` (unknown counts as readable)."""
    return language is None or language in READABLE
