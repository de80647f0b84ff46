"""Relevance from dismissals: terms that would have filtered what the team dismissed as "not about
us" and nothing it kept; shown by `mentionwatch check` and in the weekly report."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from alerts.report.data import Period, build_reports
from alerts.report.summary import summary_message
from pipeline.relevance import advise
from respond import actions
from respond.config import Business
from tests.alerts.conftest import store  # noqa: F401  (the real SQLite store of the alerts tests)
from tests.alerts.helpers import Store, joes, settings_for

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

KEPT = [
    "Joe's Donuts in Springfield has the best crullers.",
    "Long queue at Joe's Donuts on Main Street, Springfield, this morning.",
    "Joes Donuts Springfield opens a second shop near the station.",
    "Cold coffee at Joe's Donuts (Springfield) again.",
]
RECIPES = ["Copycat Joe's Donuts recipe: glaze at home", "The Joe's Donuts recipe everyone asks for"]
ELSEWHERE = ["Joe's Donuts of Shelbyville wins a fair prize", "Shelbyville mourns as Joe's Donuts closes"]


def stored(s: Store, texts: list[str], dismissed: bool) -> list[int]:
    ids = [s.add(title=text, text=text, label="neutral", sentiment=0.0, due=False) for text in texts]
    if dismissed:
        with Session(s.engine) as session:
            for mention_id in ids:
                actions.dismiss(session, mention_id, "dana", via="cli")
            session.commit()
    return ids


def business(**extra) -> Business:
    return Business.model_validate(joes(**extra))


def test_excludes_are_suggested_greedily_with_counts_and_checked_against_every_kept_mention(store):
    s = store(settings_for())
    stored(s, KEPT, dismissed=False)
    stored(s, RECIPES + ELSEWHERE, dismissed=True)
    with Session(s.engine) as session:
        advice = advise(session, business())
    assert advice is not None
    assert (advice.dismissed, advice.kept, advice.already_filtered) == (4, 4, 0)
    assert [(x.key, x.term, x.filtered) for x in advice.suggestions] == [
        ("exclude", "recipe", 2), ("exclude", "shelbyville", 2)]
    assert advice.filtered == 4


def test_a_term_that_a_kept_mention_contains_is_never_suggested(store):
    s = store(settings_for())
    stored(s, KEPT + ["Joe's Donuts shared their glaze recipe with Springfield schools"], dismissed=False)
    stored(s, RECIPES, dismissed=True)
    with Session(s.engine) as session:
        advice = advise(session, business())
    assert advice is not None
    assert "recipe" not in [x.term for x in advice.suggestions]
    # What is suggested instead (if anything) keeps the kept mention about the recipe.
    for suggestion in advice.suggestions:
        assert suggestion.term not in "joe's donuts shared their glaze recipe with springfield schools"


def test_require_any_when_the_kept_mentions_share_a_word_the_dismissed_lack(store):
    s = store(settings_for())
    stored(s, KEPT, dismissed=False)
    stored(s, ["Joe's Donuts, the band, announces a tour", "Lyrics of Joe's Donuts by The Glazed",
               "Joe's Donuts the movie: a review"], dismissed=True)
    with Session(s.engine) as session:
        advice = advise(session, business())
        assert [(x.key, x.term, x.filtered) for x in advice.suggestions] == [("require_any", "springfield", 3)]
        # With require_any already set, adding a term could only let more through: none is suggested.
        assert advise(session, business(require_any=["Main Street"])).suggestions == []


def test_already_filtered_and_nothing_dismissed(store):
    s = store(settings_for())
    stored(s, KEPT, dismissed=False)
    with Session(s.engine) as session:
        assert advise(session, business()) is None
    stored(s, RECIPES, dismissed=True)
    with Session(s.engine) as session:
        advice = advise(session, business(exclude=["recipe"]))
    assert (advice.dismissed, advice.already_filtered, advice.suggestions) == (2, 2, [])


def test_check_prints_the_suggestions_after_dismissals_from_the_cli(store, workspace):
    s = store(settings_for())
    stored(s, KEPT, dismissed=False)
    ids = stored(s, RECIPES + ELSEWHERE, dismissed=False)
    workspace.write_config(database=s.engine.url.render_as_string(), businesses=[joes()])
    dismissed = workspace.cli("dismiss", *map(str, ids), "--by", "dana")
    assert dismissed.returncode == 0, dismissed.stderr
    result = workspace.cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "dismissed as not about us" in line)
    assert lines[at] == ("note Joe's Donuts: 4 mentions dismissed as not about us; adding these would have "
                         "filtered 4 of them and kept all 4 other mentions:")
    assert lines[at + 1:at + 3] == ['    exclude: "recipe"  (2 dismissed mentions)',
                                    '    exclude: "shelbyville"  (2 dismissed mentions)']


def test_the_report_leaves_dismissed_mentions_out_and_points_to_the_suggestion(store):
    s = store(settings_for())
    stored(s, KEPT, dismissed=False)
    stored(s, RECIPES + ELSEWHERE, dismissed=True)
    with Session(s.engine) as session:
        [report] = build_reports(session, s.settings, Period(NOW - timedelta(days=7), NOW + timedelta(days=1)))
    assert report.total.current == 4  # the four kept, not the four dismissed
    # The terms are `check`'s work (they read the whole history); the report counts and points there.
    assert report.relevance == ("4 mentions of this period dismissed as not about Joe's Donuts; `mentionwatch "
                                "check` suggests exclude: or require_any: terms that would have filtered them.")
    _, blocks = summary_message(report, "this week", "report.html")
    assert any(":bulb: 4 mentions of this period dismissed" in e["text"] for b in blocks if b["type"] == "context"
               for e in b["elements"])
