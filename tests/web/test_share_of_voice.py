"""The Trends page compares a business with its competitors (share of voice, ratings)."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy.orm import Session

from pipeline.models import AggregateRating, Business, Mention, Source, utcnow
from pipeline.store import open_engine
from tests.conftest import MENTIONWATCH, Workspace, business
from tests.web.conftest import PASSWORD, seed, start_server, stop_server
from tests.web.test_exports import signed_in
from tests.web.test_serve import get

RIVAL = "http://127.0.0.1:9/rival.xml"


def test_the_trends_page_shows_share_of_voice_against_each_competitor(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.write_config(businesses=[business(
        sources=[{"type": "feed", "url": "http://127.0.0.1:9/news.xml"}],
        competitors=[{"name": "Donut Palace", "sources": [{"type": "feed", "url": RIVAL}]}])])
    seed(workspace.database)  # Joe's Donuts: 5 mentions, 3 negative, none rated; its site shows 4.1
    added = subprocess.run([str(MENTIONWATCH), "user", "add", "dana", "--password-stdin", "--config",
                            str(workspace.config)], input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    process, url = start_server(workspace)
    try:
        # The competitor as a run stores it: 15 mentions, 3 negative, each rated 4 stars.
        engine = open_engine(f"sqlite:///{workspace.database}")
        with Session(engine) as session:
            rival = Business(name="Donut Palace", competitor=True)
            session.add(rival)
            session.flush()
            source = Source(business_id=rival.id, type="feed", identity=f"feed:{RIVAL}")
            session.add(source)
            session.flush()
            for n in range(15):
                session.add(Mention(business_id=rival.id, source_id=source.id, source_type="feed",
                                    url=f"https://rival.example/{n}", canonical_url=f"https://rival.example/{n}",
                                    title=f"Donut Palace {n}", text="…", label="negative" if n < 3 else "positive",
                                    rating=4.0, first_seen_at=utcnow() - timedelta(hours=n + 1)))
            session.add(AggregateRating(source_id=source.id, recorded_at=utcnow() - timedelta(hours=1), value=4.3))
            session.commit()
        engine.dispose()

        status, html = get(signed_in(SimpleNamespace(url=url)), url + "/trends?days=7")
        assert status == 200
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")
        assert "Share of voice" in text
        assert "Joe's Donuts 5 25% 3 60% n/a 4.10" in text
        assert "Donut Palace (competitor) 15 75% 3 20% 4.0 4.30" in text
    finally:
        stop_server(process)
