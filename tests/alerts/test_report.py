"""`mentionwatch report`: what the HTML says, its chart, the Slack post and upload, the e-mail."""

from __future__ import annotations

import re
import struct
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest
from sqlalchemy.orm import Session

from mentionwatch.sandbox.slack import channel_id_for
from pipeline.models import AggregateRating, Run, SourceRun
from tests.alerts.helpers import Store, settings_for
from tests.alerts.smtp import LocalSMTPServer

# The period: Mon 16 - Sun 22 Nov 2026 in Paris, i.e. from 15 Nov 23:00 UTC to 22 Nov 23:00 UTC.
WEEK = ("--since", "2026-11-16", "--until", "2026-11-22")
DAY = timedelta(days=1)
MON = datetime(2026, 11, 16, 9, 0, tzinfo=timezone.utc)


def joes_with_reviews() -> dict:
    return {"name": "Joe's Donuts", "keywords": ["Joe's Donuts"], "timezone": "Europe/Paris",
            "sources": [{"type": "feed", "url": "https://news.example.com/joes.xml"},
                        {"type": "reviews", "url": "https://reviews.example.com/joes", "name": "Town reviews"}]}


def config(workspace, **sections) -> None:
    workspace.write_config(database="sqlite:///store.db", businesses=[joes_with_reviews()], **sections)


def week_of_mentions(s: Store) -> dict[str, int]:
    """A week with praise, complaints (one urgent, handled in 2 h) and a hostile title; and the week before."""
    feed, reviews = _source_ids(s)
    ids = {
        "urgent": s.add(urgent=True, sentiment=-0.5, title="Sick after eating there", published_at=MON,
                        alerted_at=MON + timedelta(minutes=5), handled_at=MON + timedelta(hours=2, minutes=5),
                        handled_by="U0DANA"),
        "worst": s.add(sentiment=-0.9, title="Worst service ever", published_at=MON + 2 * DAY,
                       alerted_at=MON + 2 * DAY),
        "hostile": s.add(sentiment=-0.3, title="<script>alert(1)</script> & <b>Co</b>", published_at=MON + 3 * DAY,
                         source=reviews),
        "praise": s.add(label="positive", sentiment=0.9, title="Best crullers in town", published_at=MON + DAY,
                        rating=5.0, source=reviews),
        "good": s.add(label="positive", sentiment=0.6, title="Friendly staff", published_at=MON + 4 * DAY,
                      rating=4.0, source=reviews),
        "neutral": s.add(label="neutral", sentiment=0.0, title="Opening hours change", published_at=MON + 5 * DAY),
        # The week before.
        "before1": s.add(sentiment=-0.4, published_at=MON - 3 * DAY),
        "before2": s.add(sentiment=-0.4, published_at=MON - 4 * DAY),
        "before3": s.add(label="positive", sentiment=0.5, rating=3.0, published_at=MON - 5 * DAY, source=reviews),
        # After the period: not counted.
        "later": s.add(published_at=MON + 8 * DAY),
    }
    with Session(s.engine) as session, session.begin():
        for when, value, count in ((MON + DAY, 4.3, 120), (MON + 4 * DAY, 4.2, 125), (MON + 4 * DAY + timedelta(hours=6), 4.1, 130)):
            session.add(AggregateRating(source_id=reviews, recorded_at=when, value=value, count=count))
        for day, ok in ((1, False), (2, False), (3, True)):
            run = Run(started_at=MON + day * DAY)
            session.add(run)
            session.flush()
            session.add(SourceRun(run_id=run.id, source_id=feed, ok=ok, error=None if ok else "HTTP 503 Service Unavailable",
                                  finished_at=MON + day * DAY, not_modified=False, items_fetched=0, new_mentions=0))
    return ids


def _source_ids(s: Store) -> tuple[int, int]:
    from sqlalchemy import select

    from pipeline.models import Source

    with Session(s.engine) as session:
        return tuple(session.scalars(select(Source.id).order_by(Source.id)))  # type: ignore[return-value]


@pytest.fixture
def week(store, slack) -> Store:
    s = store(settings_for(slack.api_url, [joes_with_reviews()]))
    week_of_mentions(s)
    return s


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_report_file_says_how_the_week_went(week, slack, workspace, tmp_path):
    config(workspace)
    result = workspace.cli("report", *WEEK, "--out", "out", "--no-send")
    assert result.returncode == 0, result.stderr
    html_path = tmp_path / "out" / "report-2026-11-22.html"
    assert result.stdout == f"report written to {html_path}\n"
    html = html_path.read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\s+", " ", text)

    assert "16-22 Nov 2026, compared with 9-15 Nov 2026." in text
    assert "Mentions 6 +3 on the previous period" in text
    assert "Negative 3 +1" in text and "Positive 2 +1" in text and "Neutral 1 +1" in text
    assert "Average stars 4.5 from 2 rated mentions; +1.5 on the previous period" in text
    assert "Alerts handled 1 of 2 median time to handle 2.0 h" in text
    assert "Town reviews (reviews) 3 +2 news.example.com/joes.xml (feed) 3 +1" in text
    # The review site's overall rating: the last reading of each day.
    assert "Town reviews 4.30 4.10 Tue 17: 4.30 (120 reviews) · Fri 20: 4.10 (130 reviews)" in text
    # Top negatives: urgent first, then the most negative; with whether and how fast handled.
    negatives = text.split("Top negative mentions")[1].split("Top praise")[0]
    assert negatives.index("Sick after eating there") < negatives.index("Worst service ever") < negatives.index("alert(1)")
    assert "handled in 2.0 h by U0DANA" in negatives and "not handled" in negatives and "not alerted" in negatives
    praise = text.split("Top praise")[1].split("Sources that failed")[0]
    assert praise.index("Best crullers in town") < praise.index("Friendly staff")
    assert "news.example.com/joes.xml 2 of 3 HTTP 503 Service Unavailable" in text and "working again" in text
    # Web text is escaped, never markup.
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    # The chart beside it, referenced by the page.
    chart = tmp_path / "out" / "report-2026-11-22-joe-s-donuts.png"
    assert f'src="{chart.name}"' in html
    assert png_size(chart.read_bytes()) == (800, 300)
    assert slack.requests == []  # --no-send


def test_the_report_goes_to_the_business_channel_with_the_chart_uploaded(week, slack, workspace, tmp_path):
    config(workspace, slack={"token": "${TOKEN}", "api_url": slack.api_url, "post_interval": 0})
    result = workspace.cli("report", *WEEK, env={"TOKEN": "xoxb-report-secret"})
    assert result.returncode == 0, result.stderr
    assert "posted to Slack for 1 business (1 chart uploaded)" in result.stdout
    assert (tmp_path / "reports" / "report-2026-11-22.html").exists()  # report.out_dir by default

    [summary] = slack.posted
    assert summary["channel"] == "#reviews"
    assert summary["text"] == "Weekly report for Joe's Donuts: 6 mentions, 3 negative; 1 of 2 alerts handled"
    blocks = summary["blocks"]
    assert blocks[0]["text"]["text"] == "Weekly report: Joe's Donuts"
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert fields[:2] == ["*Mentions*\n6 (+3)", "*:red_circle: Negative*\n3 (+1)"]
    assert "*Alerts handled*\n1 of 2, median 2.0 h" in fields
    body = str(blocks)
    assert "Sick after eating there" in body and "Best crullers in town" in body and "HTTP 503" in body
    assert "&lt;script&gt;" in body and "<script>" not in body

    [upload] = slack.uploads
    chart = tmp_path / "reports" / "report-2026-11-22-joe-s-donuts.png"
    assert upload["filename"] == chart.name and upload["content"] == chart.read_bytes()
    assert upload["channel_id"] == channel_id_for("#reviews")
    assert upload["alt_txt"].startswith("Mentions of Joe's Donuts per day: 2 positive, 1 neutral, 3 negative")
    assert [r.method for r in slack.requests] == ["chat.postMessage", "files.getUploadURLExternal", "upload",
                                                  "files.completeUploadExternal"]
    assert "report-secret" not in result.stdout + result.stderr


def test_through_a_webhook_the_summary_is_posted_and_the_chart_stays_in_the_file(week, slack, workspace):
    config(workspace, slack={"webhook_url": slack.webhook_url, "post_interval": 0})
    result = workspace.cli("report", *WEEK)
    assert result.returncode == 0, result.stderr
    assert [m["via"] for m in slack.posted] == ["webhook"]
    assert slack.uploads == []
    assert "note: chart not uploaded: an incoming webhook cannot upload files (it is in the HTML file)" in result.stdout


def email_settings(smtp: LocalSMTPServer, **changes) -> dict:
    settings = {"to": ["owner@example.com", "manager@example.com"], "sender": "mentionwatch@example.com",
                "host": "127.0.0.1", "port": smtp.port, "username": "mw", "password": "${SMTP_PASSWORD}",
                "ca_file": str(smtp.certificate)}
    settings.update(changes)
    return settings


def test_the_report_is_emailed_over_starttls_with_the_chart_inline(week, workspace, tmp_path):
    with LocalSMTPServer(tmp_path) as smtp:
        config(workspace, report={"email": email_settings(smtp)})
        result = workspace.cli("report", *WEEK, env={"SMTP_PASSWORD": smtp.password})
    assert result.returncode == 0, result.stderr
    assert "e-mailed to owner@example.com, manager@example.com" in result.stdout
    assert "note: no Slack token or webhook configured: not posted" in result.stdout
    [mail] = smtp.received
    assert mail.tls and mail.login == "mw"
    assert mail.recipients == ["owner@example.com", "manager@example.com"]
    message: EmailMessage = mail.message
    assert message["Subject"] == "mentionwatch report: Joe's Donuts, 16-22 Nov 2026"
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()  # type: ignore[misc]
    assert plain.get_content_type() == "text/plain" and "Mentions: 6 (+3 on the previous period)" in plain.get_content()
    html_part, image = related.get_payload()
    cid = re.search(r'src="cid:([^"]+)"', html_part.get_content()).group(1)
    assert image.get_content_type() == "image/png" and image["Content-ID"] == f"<{cid}>"
    chart = tmp_path / "reports" / "report-2026-11-22-joe-s-donuts.png"
    assert image.get_content() == chart.read_bytes()
    assert smtp.password not in result.stdout + result.stderr


def test_a_refused_login_or_an_unverifiable_certificate_fails_loudly(week, workspace, tmp_path):
    with LocalSMTPServer(tmp_path) as smtp:
        config(workspace, report={"email": email_settings(smtp)})
        wrong = workspace.cli("report", *WEEK, env={"SMTP_PASSWORD": "not-the-password"})
        config(workspace, report={"email": email_settings(smtp, ca_file=None)})
        untrusted = workspace.cli("report", *WEEK, env={"SMTP_PASSWORD": smtp.password})
    assert wrong.returncode == 1
    assert "failed: e-mail not sent: 127.0.0.1 refused the login for mw (535)" in wrong.stderr
    assert untrusted.returncode == 1
    assert "certificate of 127.0.0.1 cannot be verified" in untrusted.stderr
    assert smtp.received == []
    assert (tmp_path / "reports" / "report-2026-11-22.html").exists()  # the file is written all the same
    for output in (wrong.stdout, wrong.stderr, untrusted.stdout, untrusted.stderr):
        assert "not-the-password" not in output and smtp.password not in output


def test_an_unknown_business_is_an_error_and_a_known_one_is_named_in_any_case(week, workspace, tmp_path):
    config(workspace)
    folded = workspace.cli("report", *WEEK, "--business", "  JOE'S   donuts", "--no-send")
    assert folded.returncode == 0, folded.stderr
    html = (tmp_path / "reports" / "report-2026-11-22-joe-s-donuts.html").read_text(encoding="utf-8")
    assert "Joe&#39;s Donuts" in html and "Worst service ever" in html
    result = workspace.cli("report", "--business", "Nobody", "--no-send")
    assert result.returncode == 1
    assert result.stderr == "Error: no business named 'Nobody' in the config (there are: Joe's Donuts)\n"


def test_the_chart_draws_each_label_in_its_colour_with_ticks_that_reach_the_busiest_day(tmp_path):
    from types import SimpleNamespace

    from PIL import Image

    from alerts.report.chart import COLORS, daily_chart, integer_ticks

    days = [date(2026, 11, 16) + timedelta(days=i) for i in range(7)]
    report = SimpleNamespace(name="Joe's Donuts", daily=[(day, 3, 0, 2 if i == 3 else 0) for i, day in enumerate(days)])
    with Image.open(daily_chart(report, tmp_path / "chart.png")) as image:
        pixels = {"#%02x%02x%02x" % rgb: count for count, rgb in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    # Bars of positive and negative mentions; neutral, with none, only in the legend's swatch.
    assert pixels[COLORS["positive"]] > 5000 and pixels[COLORS["negative"]] > 1000
    assert 0 < pixels.get(COLORS["neutral"], 0) < 200
    for busiest in (0, 1, 5, 6, 11, 49, 51, 999, 4321):
        ticks = integer_ticks(busiest)
        assert ticks[0] == 0 and ticks[-1] >= busiest and len(ticks) <= 6
        assert len({b - a for a, b in zip(ticks, ticks[1:])}) == 1  # evenly spaced


def test_by_default_the_report_covers_the_seven_whole_days_before_today(store, slack, workspace):
    # Cron runs it on Monday morning: the week it names is Monday to Sunday, in the business's
    # own calendar; what came in this morning waits for next week's report.
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    today = datetime.now(paris).date()
    midnight = datetime.combine(today, datetime.min.time(), paris)
    s = store(settings_for(slack.api_url, [joes_with_reviews()]))
    s.add(title="Late on Sunday", published_at=midnight - timedelta(minutes=1))
    s.add(title="Early on the first day", published_at=midnight - timedelta(days=7))
    s.add(title="Just before the week", published_at=midnight - timedelta(days=7, minutes=1))
    s.add(title="This morning", published_at=midnight + timedelta(minutes=1))
    config(workspace)

    result = workspace.cli("report")

    assert result.returncode == 0, result.stderr
    first, last = today - timedelta(days=7), today - timedelta(days=1)
    heading = result.stdout.splitlines()[0]
    assert heading.startswith(f"mentionwatch report, {first.day} ") and f"{last.day} {last:%b %Y} (" in heading
    assert "Mentions: 2" in result.stdout
    assert "Late on Sunday" in result.stdout and "Early on the first day" in result.stdout
    assert "This morning" not in result.stdout and "Just before the week" not in result.stdout
    assert f"report-{last:%Y-%m-%d}.html" in result.stdout
