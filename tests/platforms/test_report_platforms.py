"""The weekly report's review platforms section, from real runs and replies against a local Google."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta

from tests.crawlers.helpers import run
from tests.platforms.conftest import LOCATION, google_env, write_google_config


def test_report_shows_new_reviews_stars_rating_trend_reply_rate_and_time_to_reply(google, workspace):
    now = datetime.now(UTC)
    google.add_review(LOCATION, "a", stars=1, comment="Cold coffee <again>.", reviewer="Ann",
                      created=now - timedelta(days=2))
    google.add_review(LOCATION, "b", stars=5, comment="Wonderful crullers.", reviewer="Bo",
                      created=now - timedelta(days=1), reply="Thank you, Bo!")
    google.add_review(LOCATION, "c", stars=3, comment="Fine.", reviewer="Cy", created=now - timedelta(hours=3))
    google.add_review(LOCATION, "old", stars=2, comment="Meh.", reviewer="Di", created=now - timedelta(days=30))
    env = google_env(google, google.grant())
    write_google_config(workspace, google)
    run(workspace, env=env)
    mentions = {m["author"]: m["id"] for m in map(json.loads,
                                                     workspace.cli("mentions", "--format", "json", env=env)
                                                     .stdout.splitlines())}
    assert workspace.cli("reply", str(mentions["Ann"]), "Sorry, Ann.", env=env).returncode == 0
    google.add_review(LOCATION, "d", stars=5, comment="Great again.", reviewer="Ed", created=now - timedelta(hours=1))
    run(workspace, env=env)  # a second reading of Google's overall rating

    since = (now - timedelta(days=6)).strftime("%Y-%m-%d")
    until = now.strftime("%Y-%m-%d")
    result = workspace.cli("report", "--since", since, "--until", until, "--no-send", "--out", "reports", env=env)

    assert result.returncode == 0, result.stderr
    (page,) = (workspace.folder / "reports").glob("*.html")
    text = html.unescape(page.read_text(encoding="utf-8"))
    row = text.split("<h3>Review platforms</h3>", 1)[1].split("</table>", 1)[0]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in row.split("<td")[1:]]
    # Four reviews in the week (not the month-old one), 1+5+3+5 stars; Google's rating moved from
    # 2.8 (4 reviews) to 3.2 (5); two of four answered: Bo's on Google at once, Ann's two days later.
    assert cells[:4] == ["Google Business Profile", "4", "3.5", "2.80 → 3.20 (5 reviews)"]
    assert cells[4] == "2 of 4 (50%)"
    assert cells[5] == "24.0 h"


def test_the_e_mail_text_part_has_the_same_figures():
    from alerts.report.platforms import PlatformFigures, platform_text_lines
    from alerts.when import duration

    figures = [PlatformFigures("Google Business Profile", 4, 3.5, 2.8, 3.2, 5, 2, timedelta(hours=24)),
               PlatformFigures("Yelp", 0, None, 4.5, 4.5, 212, 0, None)]

    assert platform_text_lines(figures, duration) == [
        "Review platforms:",
        "  Google Business Profile: 4 new reviews, 3.5 stars on average; rating 2.80 -> 3.20; 2 of 4 replied, "
        "median 24.0 h",
        "  Yelp: 0 new reviews; rating 4.50 -> 4.50",
    ]
