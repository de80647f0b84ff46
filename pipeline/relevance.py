"""Learning from "not about us": `exclude:` / `require_any:` terms that would have filtered the
mentions the team dismissed, without losing any mention it kept.

Only mentions of sources that must name the business count (search-type sources: the terms apply
to them alone). Candidate terms are the words and two-word phrases of the dismissed mentions that
no kept mention contains; each is then checked with the pipeline's own matcher (BusinessMatcher
with the term added, through `names_business`): it must stop at least MIN_FILTERED dismissed
mentions from matching and leave every kept one matching. Terms are chosen greedily, each for the
dismissed mentions the earlier ones leave. A `require_any:` term is suggested only when none is
configured (adding one to a list can only let more through) and when it is in every kept mention.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import BaseBusiness
from pipeline.flow import names_business
from pipeline.match import BusinessMatcher, fold
from pipeline.models import Business, Mention, Source

MIN_FILTERED = 2  # one dismissed mention is an anecdote; a term is suggested for two or more
MAX_TERMS = 3
CANDIDATES_CHECKED = 40  # the most promising candidates are checked with the matcher
_WORD = re.compile(r"\w(?:[\w']*\w)?")
# Words too common to mean anything on their own, in the languages businesses mostly write in.
STOPWORDS = frozenset("""
a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or our
out she so than that the their them then there these they this to too up us was we were what when which
who will with you your just about after all also any been can did do does had how more most new now one
only other over said some such very would could should into off own same still way get got like de la le
les des et en un une der die das und ein eine el los las y
""".split())


@dataclass(frozen=True)
class Suggestion:
    key: str
    """"exclude" or "require_any": the config key to add `term` to."""
    term: str
    filtered: int
    """Dismissed mentions it filters that the terms suggested before it leave."""


@dataclass
class RelevanceAdvice:
    business: str
    dismissed: int
    """Dismissed mentions of sources that must name the business."""
    kept: int
    """Mentions of those sources not dismissed (every one must still match)."""
    already_filtered: int = 0
    """Dismissed mentions today's terms would already filter."""
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def filtered(self) -> int:
        """Dismissed mentions the suggestions filter together."""
        return sum(s.filtered for s in self.suggestions)


def advise(session: Session, business: BaseBusiness) -> RelevanceAdvice | None:
    """The advice for one business, or None when nothing of it was dismissed."""
    needs_match = {source.identity(): source.needs_match for source in business.sources}
    dismissed_any = session.scalar(
        select(Mention.id).join(Business, Business.id == Mention.business_id)
        .where(Business.name == business.name, Mention.dismissed_at.is_not(None)).limit(1)
    )
    if dismissed_any is None:
        return None  # the common case, answered without reading every mention
    rows = session.execute(
        select(Mention.title, Mention.text, Mention.dismissed_at.is_not(None), Source.identity)
        .join(Business, Business.id == Mention.business_id)
        .join(Source, Source.id == Mention.source_id)
        .where(Business.name == business.name)
    ).all()
    dismissed_texts, kept_texts = [], []
    for title, text, dismissed, identity in rows:
        if needs_match.get(identity):
            (dismissed_texts if dismissed else kept_texts).append(f"{title or ''} | {text}")
    if not dismissed_texts:
        return None
    current = BusinessMatcher(business.keywords, business.exclude, business.require_any)
    still = [t for t in dismissed_texts if _matches(current, t)]
    kept = [t for t in kept_texts if _matches(current, t)]
    advice = RelevanceAdvice(business.name, len(dismissed_texts), len(kept_texts),
                             already_filtered=len(dismissed_texts) - len(still))
    kept_terms = [_terms(t) for t in kept]
    seen_in_kept = set().union(*kept_terms) if kept_terms else set()
    exclude = list(business.exclude)
    remaining = still
    for _ in range(MAX_TERMS):
        best = _best_exclude(business, exclude, remaining, kept, seen_in_kept)
        if best is None:
            break
        term, removed = best
        advice.suggestions.append(Suggestion("exclude", term, len(removed)))
        exclude.append(term)
        remaining = [t for t in remaining if t not in removed]
    if not business.require_any and kept and remaining:
        require = _best_require(business, exclude, remaining, kept, kept_terms)
        if require is not None:
            advice.suggestions.append(Suggestion("require_any", require[0], len(require[1])))
    return advice


def _matches(matcher: BusinessMatcher, combined: str) -> bool:
    title, _, text = combined.partition(" | ")
    return names_business(matcher, title, text)


def _terms(text: str) -> set[str]:
    """The folded words (3+ characters, not stopwords, not numbers) and two-word phrases of a text."""
    words = _WORD.findall(fold(text))
    single = {w for w in words if len(w) >= 3 and w not in STOPWORDS and not w.isdigit()}
    pairs = {f"{a} {b}" for a, b in zip(words, words[1:])
             if not (a in STOPWORDS and b in STOPWORDS) and not (a.isdigit() or b.isdigit())}
    return single | pairs


def _keyword_words(business: BaseBusiness) -> set[str]:
    return {w for keyword in business.keywords for w in _WORD.findall(fold(keyword))}


def _ranked(counts: Counter[str], business: BaseBusiness) -> list[str]:
    own = _keyword_words(business)
    candidates = [t for t, n in counts.items() if n >= MIN_FILTERED and not set(t.split()) <= own]
    # Most dismissed first; then the shorter (a word before a phrase that contains it).
    return sorted(candidates, key=lambda t: (-counts[t], len(t.split()), t))[:CANDIDATES_CHECKED]


def _best_exclude(business: BaseBusiness, exclude: list[str], remaining: list[str], kept: list[str],
                  seen_in_kept: set[str]) -> tuple[str, set[str]] | None:
    counts: Counter[str] = Counter(t for text in remaining for t in _terms(text) if t not in seen_in_kept)
    for term in _ranked(counts, business):
        matcher = BusinessMatcher(business.keywords, [*exclude, term], business.require_any)
        removed = {t for t in remaining if not _matches(matcher, t)}
        if len(removed) < MIN_FILTERED:
            continue
        if all(_matches(matcher, t) for t in _might_contain(kept, term)):
            return term, removed
    return None


def _best_require(business: BaseBusiness, exclude: list[str], remaining: list[str], kept: list[str],
                  kept_terms: list[set[str]]) -> tuple[str, set[str]] | None:
    in_every_kept = set.intersection(*kept_terms)
    remaining_terms = [_terms(text) for text in remaining]
    counts: Counter[str] = Counter(t for t in in_every_kept for terms in remaining_terms if t not in terms)
    for term in _ranked(counts, business):
        matcher = BusinessMatcher(business.keywords, exclude, [term])
        removed = {t for t in remaining if not _matches(matcher, t)}
        if len(removed) >= MIN_FILTERED and all(_matches(matcher, t) for t in kept):
            return term, removed
    return None


def _might_contain(texts: list[str], term: str) -> list[str]:
    """The texts a term could match in: its first word must be there (apostrophes being optional).

    Only these can lose their match to an exclude term, so only these need the matcher.
    """
    first = term.split()[0].replace("'", "")
    return [t for t in texts if first in fold(t).replace("'", "")]
