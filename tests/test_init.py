"""`mentionwatch init`: from the owner's answers (typed or as flags) to a config that `check` accepts,
against a local web server standing in for the owner's website."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mentionwatch.config import load_settings
from mentionwatch.sandbox.web import LocalHTTPServer
from tests.conftest import MENTIONWATCH, feed_fixture, run_cli

REVIEWS_JSONLD = {
    "@context": "https://schema.org",
    "@type": "Bakery",
    "name": "Joe's Donuts",
    "review": [
        {"@type": "Review", "author": {"@type": "Person", "name": "Ann"}, "reviewBody": "Lovely glaze.",
         "reviewRating": {"@type": "Rating", "ratingValue": 5}},
        {"@type": "Review", "author": {"@type": "Person", "name": "Bo"}, "reviewBody": "Cold coffee.",
         "reviewRating": {"@type": "Rating", "ratingValue": 2}},
    ],
}

HOME_WITH_FEEDS = """<!doctype html><html><head><title>Joe's Donuts</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Joe's Donuts &raquo; Feed" href="/feed/">
<link rel="alternate" type="application/atom+xml" title="Comments" href="/comments.atom">
<link rel="alternate" hreflang="fr" href="/fr/">
</head><body><h1>Joe's Donuts</h1>
<a href="/menu">Menu</a> <a href="/reviews">What our customers say (reviews)</a> <a href="/contact">Contact</a>
</body></html>"""

REVIEWS_PAGE = f"""<!doctype html><html><head>
<script type="application/ld+json">{json.dumps(REVIEWS_JSONLD)}</script></head>
<body><h1>Reviews</h1></body></html>"""

MICRODATA_HOME = """<!doctype html><html><body itemscope itemtype="https://schema.org/Bakery">
<span itemprop="name">Joe's Donuts</span>
<div itemprop="review" itemscope itemtype="https://schema.org/Review">
  <span itemprop="author">Cy</span>
  <div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating"><meta itemprop="ratingValue" content="4"></div>
  <p itemprop="reviewBody">Good crullers.</p>
</div></body></html>"""

PLAIN_HOME = "<!doctype html><html><head><title>Joe's</title></head><body><p>Donuts.</p></body></html>"


@pytest.fixture
def site() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as server:
        yield server


def written(folder: Path, name: str = "config.yaml") -> dict:
    return yaml.safe_load((folder / name).read_text(encoding="utf-8"))


def sources_of(config: dict) -> list[dict]:
    return config["businesses"][0]["sources"]


def init(folder: Path, *args: str, input: str | None = None, path: str | None = None):  # noqa: A002
    """`mentionwatch init ARGS` in `folder`, with the tool on PATH as in an activated venv (or `path`)."""
    search = path if path is not None else f"{MENTIONWATCH.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return run_cli("init", *args, cwd=folder, input=input, timeout=60, env={"PATH": search})


def assert_check_accepts(folder: Path, name: str = "config.yaml") -> None:
    result = run_cli("check", "--config", str(folder / name), cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr


def test_flags_and_a_website_with_feed_links_and_reviews(site, tmp_path):
    site.add("/", HOME_WITH_FEEDS, content_type="text/html; charset=utf-8")
    site.add("/reviews", REVIEWS_PAGE, content_type="text/html; charset=utf-8")
    site.add("/menu", PLAIN_HOME, content_type="text/html")
    result = init(tmp_path, "--business", "Joe's Donuts", "--keyword", "Joe's Donuts", "--keyword", "Joes Donuts",
                  "--website", site.url + "/", "--town", "Springfield", "--timezone", "America/Chicago",
                  "--no-input")
    assert result.returncode == 0, result.stderr
    config = written(tmp_path)
    business = config["businesses"][0]
    assert business["name"] == "Joe's Donuts" and business["keywords"] == ["Joe's Donuts", "Joes Donuts"]
    assert business["timezone"] == "America/Chicago"
    # One news search for both spellings; the site's comments, not its own posts.
    assert sources_of(config) == [
        {"type": "feed", "query": '"Joe\'s Donuts" OR "Joes Donuts"'},
        {"type": "reddit", "query": '"Joe\'s Donuts" OR "Joes Donuts"'},
        {"type": "hackernews", "query": "Joe's Donuts"},
        {"type": "feed", "url": f"{site.url}/comments.atom", "match": False},
        {"type": "reviews", "url": f"{site.url}/reviews"},
    ]
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert "# Comments (your website's comments)" in text
    assert "# engine: bing" in text
    assert "skipped Joe's Donuts » Feed: your own posts are not mentions" in result.stdout
    assert "schema.org reviews on your website (2 on the page" in text
    assert "# require_any: [Springfield]" in text  # the town, offered for a common name
    assert f"contact: {site.url}/" in text
    assert f"On {site.url}/: 2 feeds, schema.org reviews on 1 page." in result.stdout
    # Polite: identified, robots.txt asked first, only pages that might hold reviews read.
    paths = [r.path for r in site.requests]
    assert paths[0] == "/robots.txt" and "/reviews" in paths and "/menu" not in paths and "/contact" not in paths
    # ...with the contact it wrote (here the website), as the crawler will be.
    assert all(r.headers["User-Agent"].startswith("mentionwatch/") and r.headers["User-Agent"].endswith(f"(+{site.url}/)")
               for r in site.requests)
    assert_check_accepts(tmp_path)


def test_the_site_is_read_with_the_contact_given_and_an_http_only_site_typed_bare_is_explained(site, tmp_path):
    site.add("/", PLAIN_HOME, content_type="text/html")
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", site.url + "/",
                  "--contact", "owner@joesdonuts.example", "--no-input")
    assert result.returncode == 0, result.stderr
    assert site.requests and all(r.headers["User-Agent"].endswith("(+owner@joesdonuts.example)") for r in site.requests)

    bare = init(tmp_path, "--business", "Joe's Donuts", "--website", site.url.removeprefix("http://"), "--no-input",
                "--force")
    assert bare.returncode == 0, bare.stderr
    assert (f"Could not read https://{site.url.removeprefix('http://')}: no https connection could be made" in bare.stdout
            and "if the site has no https, give its address with http://" in bare.stdout), bare.stdout


def test_reviews_in_the_home_page_microdata_are_proposed(site, tmp_path):
    site.add("/", MICRODATA_HOME, content_type="text/html")
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", site.url, "--no-input")
    assert result.returncode == 0, result.stderr
    assert sources_of(written(tmp_path))[-1] == {"type": "reviews", "url": site.url}
    assert f"On {site.url}: 0 feeds, schema.org reviews on 1 page." in result.stdout
    assert_check_accepts(tmp_path)


def test_a_site_with_neither_feeds_nor_reviews(site, tmp_path):
    site.add("/", PLAIN_HOME, content_type="text/html")
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", site.url, "--no-input")
    assert result.returncode == 0, result.stderr
    assert [s["type"] for s in sources_of(written(tmp_path))] == ["feed", "reddit", "hackernews"]
    assert f"On {site.url}: 0 feeds, no schema.org reviews." in result.stdout


def test_a_site_that_is_down_still_gives_a_working_config(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", f"http://127.0.0.1:{port}", "--no-input")
    assert result.returncode == 0, result.stderr
    assert (f"Could not read http://127.0.0.1:{port}: connection refused (is the site down?). No feeds or reviews "
            "were proposed from it") in result.stdout
    assert len(sources_of(written(tmp_path))) == 3  # one news search, Reddit, Hacker News
    assert_check_accepts(tmp_path)


def test_a_site_answering_an_error_or_forbidding_robots_is_named(site, tmp_path):
    site.add("/", "gone", status=500)
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", site.url, "--no-input")
    assert f"Could not read {site.url}: HTTP 500" in result.stdout and result.returncode == 0
    site.add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    site.add("/", HOME_WITH_FEEDS, content_type="text/html")
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", site.url, "--no-input", "--force")
    assert "its robots.txt asks crawlers not to read the home page" in result.stdout
    assert [r.path for r in site.requests].count("/") == 1  # only the first attempt read it


def test_typed_answers_with_defaults_and_a_retyped_mistake(site, tmp_path, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    site.add("/", HOME_WITH_FEEDS, content_type="text/html")
    answers = "\n".join([
        "Smith & Sons Bakery",    # name
        "!!!",                    # names people use: refused, asked again
        "",                       # ... the default: the name and its "and" spelling
        site.url,                 # website
        "",                       # contact: the default, the website
        "Springfield",            # town
        "Mars/Olympus",           # an unknown time zone: asked again
        "Europe/Paris",
        "yelp, myspace",          # platforms: an unknown one refused, asked again
        "Trustpilot, yelp",
        "slack-token",            # alerts
        "#smith",                 # channel
    ]) + "\n"
    result = init(tmp_path, input=answers)
    assert result.returncode == 0, result.stderr
    assert "'!!!' needs a letter or a digit" in result.stdout + result.stderr
    assert "unknown time zone 'Mars/Olympus'" in result.stdout + result.stderr
    assert "unknown platform 'myspace'" in result.stdout + result.stderr
    config = written(tmp_path)
    business = config["businesses"][0]
    assert business["keywords"] == ["Smith & Sons Bakery", "Smith and Sons Bakery"]
    assert business["timezone"] == "Europe/Paris"
    assert config["slack"] == {"token": "${SLACK_BOT_TOKEN:-}", "channel": "#smith"}  # from the environment
    assert load_settings(tmp_path / "config.yaml").slack.token is None  # unset: alerts print on the console
    assert "token: ${SLACK_BOT_TOKEN:-}" in (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert "# subreddit: springfield" in (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert "export SLACK_BOT_TOKEN=xoxb-..." in result.stdout
    assert config["crawler"] == {"contact": site.url}
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert "# - type: trustpilot\n      #   domain: 127.0.0.1" in text and "# - type: yelp" in text
    assert "google_business" not in text and "connect google" not in result.stdout
    # Slack chosen and its token not set: check says so (and exits 1) instead of passing quietly.
    checked = run_cli("check", "--config", str(tmp_path / "config.yaml"), cwd=tmp_path)
    assert checked.returncode == 1 and "but no token is set: is SLACK_BOT_TOKEN exported" in checked.stdout


def test_the_webhook_choice_reads_the_url_from_the_environment(tmp_path):
    result = init(tmp_path, "--business", "Joe's Donuts", "--alerts", "slack-webhook", "--no-input")
    assert result.returncode == 0, result.stderr
    assert "webhook_url: ${SLACK_WEBHOOK_URL:-}" in (tmp_path / "config.yaml").read_text(encoding="utf-8")
    hook = "https://hooks.slack.com/services/T0/B0/secret"
    settings_env = run_cli("check", "--config", str(tmp_path / "config.yaml"), env={"SLACK_WEBHOOK_URL": hook})
    assert settings_env.returncode == 0 and "incoming webhook set" in settings_env.stdout
    assert hook not in settings_env.stdout + settings_env.stderr


def test_it_never_overwrites_without_force(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("# the owner's own\n", encoding="utf-8")
    result = init(tmp_path, "--business", "Joe's Donuts", "--no-input")
    assert result.returncode == 1
    assert result.stderr == "Error: config.yaml already exists; pass --force to overwrite it\n"
    assert config.read_text(encoding="utf-8") == "# the owner's own\n"
    # Refused before asking anything: no answers are wasted.
    result = init(tmp_path, input="Joe's Donuts\n")
    assert result.returncode == 1 and "Business name" not in result.stdout
    result = init(tmp_path, "--business", "Joe's Donuts", "--no-input", "--force")
    assert result.returncode == 0
    assert load_settings(config).businesses[0].name == "Joe's Donuts"


def test_no_input_needs_the_business_name(tmp_path):
    result = init(tmp_path, "--no-input")
    assert result.returncode == 2 and "--business is required with --no-input" in result.stderr
    assert not (tmp_path / "config.yaml").exists()


def test_it_ends_with_the_next_three_commands_for_the_file_it_wrote(tmp_path):
    result = init(tmp_path, "--business", "Joe's Donuts", "--no-input")
    assert result.stdout.splitlines()[-4:] == [
        "Next:",
        "  mentionwatch check --fetch   # fetch every source once; stores nothing, alerts nobody",
        "  mentionwatch run             # the first run: stores what is there, one baseline summary",
        "  mentionwatch cron            # crontab lines to run it every 15 minutes",
    ]
    result = init(tmp_path, "--business", "Cafe Lola", "--no-input", "--config", "lola/my config.yaml")
    assert result.returncode == 0, result.stderr
    assert "  mentionwatch run --config 'lola/my config.yaml'" in result.stdout
    assert_check_accepts(tmp_path / "lola", "my config.yaml")
    cron = run_cli("cron", "--config", "lola/my config.yaml", cwd=tmp_path)
    assert cron.returncode == 0 and "mentionwatch run --quiet" in cron.stdout


def test_the_next_commands_work_as_printed_when_the_tool_is_not_on_path(tmp_path):
    # Installed in .venv and not activated: the commands name .venv/bin/mentionwatch, as typed from here.
    here = MENTIONWATCH.parents[2]
    result = run_cli("init", "--business", "Joe's Donuts", "--no-input", "--config", str(tmp_path / "joes.yaml"),
                     cwd=here, env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 0, result.stderr
    typed = MENTIONWATCH.relative_to(here)
    line = next(line for line in result.stdout.splitlines() if "check --fetch" in line)
    assert line.startswith(f"  {typed} check --fetch --config ")
    command = line.split("#")[0].split()
    checked = subprocess.run(command + ["--help"], cwd=here, capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PATH": "/usr/bin:/bin"})
    assert checked.returncode == 0 and "Usage: mentionwatch check" in checked.stdout


def test_the_written_file_is_commented_and_keeps_secrets_out(tmp_path):
    result = init(tmp_path, "--business", "Joe's Donuts", "--alerts", "slack-token", "--no-input")
    assert result.returncode == 0
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 15 and "xoxb-" not in text.replace("xoxb-...", "")
    assert "mentionwatch check --fetch" in text


def test_text_from_the_website_cannot_add_lines_to_the_config_or_colour_the_terminal(site, tmp_path):
    title = "Blog&#10;      - type: feed&#10;        url: http://evil.example/x.xml \x1b[31mred\u202e"
    site.add("/", f'<html><head><link rel="alternate" type="application/rss+xml" title="{title}" '
                  'href="/comments/feed.xml"></head><body></body></html>', content_type="text/html")
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", site.url, "--no-input")
    assert result.returncode == 0, result.stderr
    assert [s.get("url") for s in sources_of(written(tmp_path))][-1] == f"{site.url}/comments/feed.xml"
    assert "evil.example" not in str(sources_of(written(tmp_path)))
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "# Blog - type: feed url: http://evil.example/x.xml [31mred (your website's comments)" in \
        (tmp_path / "config.yaml").read_text(encoding="utf-8")


def test_an_empty_or_broken_home_page_is_no_failure(site, tmp_path):
    site.add("/", b"", content_type="text/html")
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", site.url, "--no-input")
    assert result.returncode == 0, result.stderr
    assert f"On {site.url}: 0 feeds, no schema.org reviews." in result.stdout


def test_a_website_without_a_scheme_is_read_as_https_and_a_bad_one_refused(tmp_path):
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", "not a site", "--no-input")
    assert result.returncode == 2 and "expected an http:// or https:// URL" in result.stderr
    assert "Invalid value for --website: 'not a site': " in result.stderr  # as typed, and which flag
    assert not (tmp_path / "config.yaml").exists()
    from mentionwatch.init import check_website

    assert check_website("joesdonuts.example") == "https://joesdonuts.example"
    assert check_website("  ") is None


def test_the_sources_found_on_the_website_work_with_the_crawlers(site, tmp_path):
    """What init proposes from the site is fetched by `check --fetch` (the news searches, which
    would leave 127.0.0.1, are set aside for this check)."""
    site.add("/", HOME_WITH_FEEDS, content_type="text/html; charset=utf-8")
    site.add("/reviews", REVIEWS_PAGE, content_type="text/html; charset=utf-8")
    site.add("/feed/", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    site.add("/comments.atom", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", site.url, "--no-input")
    assert result.returncode == 0, result.stderr
    config = written(tmp_path)
    config["businesses"][0]["sources"] = [s for s in sources_of(config) if s.get("url", "").startswith(site.url)]
    assert len(sources_of(config)) == 2  # the comments feed and the reviews page, not the site's own posts
    (tmp_path / "local.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    fetched = run_cli("check", "--fetch", "--config", str(tmp_path / "local.yaml"), cwd=tmp_path)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert f"ok fetch reviews Joe's Donuts / {site.url.removeprefix('http://')}/reviews: 2 items" in fetched.stdout
    assert fetched.stdout.count("ok fetch feed") == 1


def test_the_prompts_in_a_terminal(tmp_path):
    """A person at a terminal (a pseudo-terminal): each question is asked, Enter takes its default."""
    import os
    import pty
    import select
    import subprocess

    from tests.conftest import MENTIONWATCH

    master, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}
    process = subprocess.Popen([str(MENTIONWATCH), "init"], stdin=terminal, stdout=terminal, stderr=terminal,
                               cwd=tmp_path, env=env, close_fds=True)
    os.close(terminal)
    transcript = b""

    def answer(question: str, typed: str) -> None:
        nonlocal transcript
        while question.encode() not in transcript:
            ready, _, _ = select.select([master], [], [], 30)
            assert ready, f"no {question!r} in {transcript.decode(errors='replace')!r}"
            transcript += os.read(master, 4096)
        transcript = transcript.split(question.encode(), 1)[1]
        os.write(master, typed.encode() + b"\r")

    try:
        answer("Business name (as customers write it):", "Cafe Lola")
        answer("Names people use for it, comma-separated [Cafe Lola]:", "Cafe Lola, Café Lola")
        answer("Its website (Enter for none):", "")
        answer("Your website or e-mail, for the owners of the sites mentionwatch reads (Enter for none):", "")
        answer("Its town or city (Enter to skip):", "")
        answer("Its time zone [", "Europe/Paris")
        answer("Where do customers review it? google, yelp, trustpilot, appstore, googleplay; "
               "comma-separated (Enter for none):", "")
        answer("How should alerts reach you?", "")
        assert process.wait(timeout=60) == 0
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            transcript += chunk
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
    assert b"Wrote config.yaml for Cafe Lola: 3 sources." in transcript
    business = written(tmp_path)["businesses"][0]
    assert business["keywords"] == ["Cafe Lola", "Café Lola"] and business["timezone"] == "Europe/Paris"


def test_the_contact_is_asked_for_and_check_says_when_it_is_missing_or_the_projects(tmp_path):
    # No website and no --contact: no contact is made up, and check says so.
    result = init(tmp_path, "--business", "Joe's Donuts", "--no-input")
    assert result.returncode == 0, result.stderr
    assert "crawler" not in written(tmp_path) and "github.com" not in (tmp_path / "config.yaml").read_text()
    missing = "note crawler.contact is not set: sites you crawl cannot reach you; set it to your website or e-mail"
    checked = run_cli("check", cwd=tmp_path)
    assert checked.returncode == 0 and missing in checked.stdout, checked.stdout
    # --contact: an e-mail (or a website) is written, and check is content.
    result = init(tmp_path, "--business", "Joe's Donuts", "--website", "http://127.0.0.1:9",
                  "--contact", "owner@joesdonuts.example", "--no-input", "--force")
    assert result.returncode == 0, result.stderr
    assert written(tmp_path)["crawler"] == {"contact": "owner@joesdonuts.example"}
    checked = run_cli("check", cwd=tmp_path)
    assert checked.returncode == 0 and "crawler.contact" not in checked.stdout, checked.stdout
    result = init(tmp_path, "--business", "Joe's Donuts", "--contact", "nobody at all", "--no-input", "--force")
    assert result.returncode == 2 and result.stderr.strip().endswith(
        "Invalid value for --contact: 'nobody at all' is neither a website nor an e-mail address"), result.stderr
    result = init(tmp_path, "--business", "Joe's Donuts", "--contact", "bad@", "--no-input", "--force")
    assert result.returncode == 2 and "neither a website nor an e-mail address" in result.stderr
    # The project's own address, as every config init wrote before: check says it is not yours.
    config = tmp_path / "config.yaml"
    config.write_text(config.read_text().replace("owner@joesdonuts.example",
                                                 "https://github.com/mentionwatch/mentionwatch"))
    checked = run_cli("check", cwd=tmp_path)
    assert "note crawler.contact is mentionwatch's own address (https://github.com/mentionwatch/mentionwatch), " \
           "not yours: sites you crawl cannot reach you" in checked.stdout, checked.stdout


def test_chosen_review_platforms_get_commented_source_blocks_that_load_once_filled_in(tmp_path):
    result = init(tmp_path, "--business", "Joe's Donuts", "--contact", "owner@joesdonuts.example",
                  *[arg for p in ("google", "yelp", "trustpilot", "appstore", "googleplay") for arg in ("--platform", p)],
                  "--no-input")
    assert result.returncode == 0, result.stderr
    assert_check_accepts(tmp_path)  # commented out: the file loads as it is
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    for block in ("# - type: google_business\n      #   location: accounts/", "# - type: yelp\n      #   business_id: ",
                  "# - type: trustpilot\n      #   domain: ", "# - type: appstore\n      #   app_id: ",
                  "# - type: google_play\n      #   package: "):
        assert block in text
    # Uncommented, each block is a source config.yaml accepts, with every field it needs.
    uncommented = "\n".join(line.replace("      # - ", "      - ").replace("      #   ", "        ")
                            for line in text.splitlines())
    (tmp_path / "filled.yaml").write_text(uncommented, encoding="utf-8")
    types = [source.type for source in load_settings(tmp_path / "filled.yaml").businesses[0].sources]
    assert [t for t in types if t not in ("feed", "reddit", "hackernews")] == [
        "google_business", "yelp", "trustpilot", "appstore", "google_play"]
    assert "  mentionwatch connect google  # sign in to Google once" in result.stdout
    # Each chosen platform is named as waiting to be filled in, not silently left in the file.
    for kind in ("google_business", "yelp", "trustpilot", "appstore", "google_play"):
        assert f"  {kind} is commented out in config.yaml: fill in its fields, then uncomment it" in result.stdout
    assert result.stdout.splitlines().index("Next:") == result.stdout.splitlines().index(
        "  mentionwatch connect google  # sign in to Google once; then `connect google --list` prints the location "
        "to put in config.yaml") - 1
    # --no-input without --platform: none.
    result = init(tmp_path, "--business", "Joe's Donuts", "--no-input", "--force")
    assert "# - type: yelp" not in (tmp_path / "config.yaml").read_text() and "connect google" not in result.stdout


def test_a_town_names_its_time_zone_and_a_city_is_taken_for_its_zone(tmp_path):
    result = init(tmp_path, "--business", "Harbor Lane Bakery", "--town", "Chicago", "--no-input")
    assert result.returncode == 0, result.stderr
    assert written(tmp_path)["businesses"][0]["timezone"] == "America/Chicago"
    result = init(tmp_path, "--business", "Harbor Lane Bakery", "--timezone", "Chicago", "--no-input", "--force")
    assert result.returncode == 0 and written(tmp_path)["businesses"][0]["timezone"] == "America/Chicago"
    refused = init(tmp_path, "--business", "Harbor Lane Bakery", "--timezone", "Chicgo", "--no-input", "--force")
    assert refused.returncode == 2 and "did you mean America/Chicago?" in refused.stderr
    assert "Invalid value for --timezone: unknown time zone 'Chicgo'" in refused.stderr


def test_three_spellings_make_one_news_search(tmp_path):
    result = init(tmp_path, "--business", "Harbor Lane Bakery", "--keyword", "Harbor Lane Bakery", "--keyword",
                  "Harbor Lane", "--keyword", "HLB Bakery", "--no-input")
    assert result.returncode == 0, result.stderr
    news = [s for s in sources_of(written(tmp_path)) if s["type"] == "feed"]
    assert news == [{"type": "feed", "query": '"Harbor Lane Bakery" OR "Harbor Lane" OR "HLB Bakery"'}]


def test_a_public_website_redirecting_into_a_private_address_is_not_followed(site, tmp_path):
    """`public.test` stands for a site on the internet (MENTIONWATCH_PUBLIC_TEST_HOSTS, tests only)."""
    port = site.url.rsplit(":", 1)[1]
    site.add("/", "", status=302, headers={"Location": f"{site.url}/admin"})
    site.add("/admin", HOME_WITH_FEEDS, content_type="text/html; charset=utf-8")
    website = f"http://public.test:{port}/"
    result = run_cli("init", "--business", "Joe's Donuts", "--website", website, "--no-input", cwd=tmp_path,
                     timeout=60, env={"MENTIONWATCH_PUBLIC_TEST_HOSTS": "public.test=127.0.0.1"})
    assert result.returncode == 0, result.stderr
    assert (f"Could not read {website}: redirect from public.test to a private address refused: 127.0.0.1 is "
            "loopback, private or link-local.") in result.stdout
    assert not site.requests_for("/admin")  # nothing was asked of the private address
    assert "127.0.0.1" not in (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert [r.path for r in site.requests] == ["/robots.txt", "/"]
