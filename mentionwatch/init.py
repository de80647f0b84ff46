"""`mentionwatch init`: a commented, working config.yaml for the owner's own business.

It asks (or takes as flags) the business's name, the phrases people use for it, its website, its
town, its time zone and how alerts should reach the owner; proposes sources from the answers
(news search feeds, Reddit, Hacker News, and what the website itself offers); writes the file
only after it loads as `check` would load it; and never overwrites a file without --force.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from mentionwatch.config_file import DEFAULT_CONFIG, config_path
from pipeline.errors import ConfigError, MentionwatchError

ALERT_CHOICES = ("console", "slack-token", "slack-webhook")
# Review platforms a small business's customers write on, as --platform takes them, and the type
# of the source block written for each.
PLATFORM_SOURCE_TYPES = {"google": "google_business", "yelp": "yelp", "trustpilot": "trustpilot",
                         "appstore": "appstore", "googleplay": "google_play"}
PLATFORM_CHOICES = tuple(PLATFORM_SOURCE_TYPES)


@dataclass
class Answers:
    business: str
    keywords: list[str]
    website: str | None = None
    town: str | None = None
    timezone: str = "UTC"
    alerts: str = "console"
    channel: str = "#reviews"
    contact: str | None = None
    """The owner's website or e-mail, for crawler.contact (site owners see it)."""
    platforms: list[str] = field(default_factory=list)
    """Review platforms (PLATFORM_CHOICES) whose source blocks are written commented out."""


@dataclass
class ProposedSource:
    """One source for config.yaml: its keys in order, and a comment saying what it is."""

    comment: str
    keys: dict[str, Any]
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- answers


def keyword_variants(name: str) -> list[str]:
    """The name and the spellings people write it in that matching does not already cover."""
    variants = [name.strip()]
    # "&" and "and" are different words to the matcher; apostrophes and accents are folded already.
    if "&" in name:
        variants.append(re.sub(r"\s*&\s*", " and ", name).strip())
    elif re.search(r"\band\b", name, re.I):
        variants.append(re.sub(r"\s+and\s+", " & ", name, flags=re.I).strip())
    return variants


def check_phrase(value: str) -> str:
    value = " ".join(value.split())
    if not any(c.isalnum() for c in value):
        raise click.BadParameter(f"{value!r} needs a letter or a digit")
    return value


def check_keywords(value: str | list[str]) -> list[str]:
    """Comma-separated (at the prompt) or repeated (as flags) phrases, each with a letter or digit."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    phrases = [check_phrase(p) for p in parts if p.strip()]
    if not phrases:
        raise click.BadParameter("give at least one name people use for the business")
    return list(dict.fromkeys(phrases))


def check_website(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    typed = value
    if "://" not in value:
        value = "https://" + value
    try:
        from pipeline.config import http_url

        return http_url(value)
    except ValueError as exc:
        raise click.BadParameter(f"{typed!r}: {exc}") from None


_EMAIL = re.compile(r"^(mailto:)?[^@\s:/]+@[^@\s/]+\.[^@\s/]+$", re.I)


def check_contact(value: str) -> str | None:
    """A website (read as https:// without a scheme) or an e-mail address; None for none."""
    value = value.strip()
    if not value:
        return None
    neither = click.BadParameter(f"{value!r} is neither a website nor an e-mail address", param_hint="--contact")
    if "@" in value and "://" not in value:
        if not _EMAIL.match(value):
            raise neither
        return value
    try:
        return check_website(value)
    except click.BadParameter:
        raise neither from None  # not "'https://...'": the user typed no URL


def check_platforms(value: str | list[str]) -> list[str]:
    """Comma-separated (at the prompt) or repeated (as flags) names of PLATFORM_CHOICES."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    names = [p.strip().lower() for p in parts if p.strip() and p.strip().lower() != "none"]
    unknown = [n for n in names if n not in PLATFORM_CHOICES]
    if unknown:
        raise click.BadParameter(f"unknown platform {unknown[0]!r} (choose from {', '.join(PLATFORM_CHOICES)})")
    return list(dict.fromkeys(names))


def check_zone(value: str) -> str:
    """An IANA zone, or the city one is named after ("Chicago" is America/Chicago)."""
    from mentionwatch.zones import resolve_zone

    try:
        return resolve_zone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def local_zone() -> str:
    """This machine's IANA time zone, or UTC when it has none that zoneinfo knows."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    try:
        candidates.append(str(Path("/etc/localtime").resolve()).split("/zoneinfo/", 1)[1])
    except (OSError, IndexError):
        pass
    for name in candidates:
        try:
            if name and name not in ("localtime",):
                ZoneInfo(name)
                return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


def _ask(flag_value: Any, no_input: bool, ask: Callable[[], Any], default: Any) -> Any:
    if flag_value is not None:
        return flag_value
    return default if no_input else ask()


def _flag(check: Callable[[Any], Any], value: Any, option: str) -> Any:
    """`check(value)` for a flag's value: its error names the flag (at a prompt it needs no name)."""
    try:
        return check(value)
    except click.BadParameter as exc:
        exc.param_hint = exc.param_hint or option
        raise


def gather(business: str | None, keywords: tuple[str, ...], website: str | None, town: str | None,
           timezone: str | None, alerts: str | None, channel: str | None, no_input: bool,
           contact: str | None = None, platforms: tuple[str, ...] = ()) -> Answers:
    """The answers: flags first, then prompts (or, with --no-input, the defaults)."""
    if business is None and no_input:
        raise click.UsageError("--business is required with --no-input")
    name = _flag(check_phrase, business, "--business") if business is not None else click.prompt(
        "Business name (as customers write it)", value_proc=check_phrase)
    if keywords:
        phrases = _flag(check_keywords, list(keywords), "--keyword")
    elif no_input:
        phrases = keyword_variants(name)
    else:
        phrases = click.prompt("Names people use for it, comma-separated",
                               default=", ".join(keyword_variants(name)), value_proc=check_keywords)
    site = _flag(check_website, website, "--website") if website is not None else _ask(
        None, no_input, lambda: click.prompt("Its website (Enter for none)", default="", show_default=False,
                                             value_proc=check_website), None)
    reach = check_contact(contact) if contact is not None else _ask(
        None, no_input, lambda: click.prompt(
            "Your website or e-mail, for the owners of the sites mentionwatch reads"
            + (" (Enter for none)" if site is None else ""),
            default=site or "", show_default=site is not None, value_proc=check_contact), site)
    place = town if town is not None else _ask(
        None, no_input, lambda: click.prompt("Its town or city (Enter to skip)", default="", show_default=False), "")
    from mentionwatch.zones import zone_of_place

    # The town names its zone when a zone is named after it (Chicago); else this machine's.
    usual = zone_of_place(place) or local_zone()
    zone = _flag(check_zone, timezone, "--timezone") if timezone is not None else _ask(
        None, no_input, lambda: click.prompt("Its time zone", default=usual, value_proc=check_zone), usual)
    where_reviewed = check_platforms(list(platforms)) if platforms else _ask(
        None, no_input, lambda: click.prompt(
            f"Where do customers review it? {', '.join(PLATFORM_CHOICES)}; comma-separated (Enter for none)",
            default="", show_default=False, value_proc=check_platforms), [])
    how = _ask(alerts, no_input, lambda: click.prompt(
        "How should alerts reach you? console (printed; cron mails them), slack-token (a Slack app), "
        "slack-webhook (an incoming webhook)", type=click.Choice(ALERT_CHOICES), default="console"), "console")
    where = "#reviews"
    if how == "slack-token":
        where = _ask(channel, no_input, lambda: click.prompt("Slack channel for alerts", default="#reviews"), "#reviews")
    return Answers(name, phrases, site, (place or "").strip() or None, zone, how, where, reach, where_reviewed)


# --------------------------------------------------------------------------- sources


def is_comment_feed(feed: Any) -> bool:
    """A site's feed of its visitors' comments (WordPress's /comments/feed/, "Comments on ..."),
    as against the feed of the business's own posts."""
    return "comment" in f"{feed.title or ''} {feed.url}".lower()


def propose_sources(answers: Answers, findings: Any | None) -> list[ProposedSource]:
    """One news search and Reddit and Hacker News for the names; the website's comments and reviews.

    The names go into one query each (`"A" OR "B"`), so more spellings cost no more searches. The
    website's own posts are the business talking, not mentions: only its comment feeds are proposed.
    """
    proposed: list[ProposedSource] = []
    either = " OR ".join(json.dumps(p, ensure_ascii=False) for p in answers.keywords)
    news = ProposedSource(f"Google News search for {' or '.join(answers.keywords)}", {"type": "feed", "query": either})
    news.notes.append("engine: bing    # Bing News instead of Google News, with the same query")
    proposed.append(news)
    reddit_query = either
    reddit = ProposedSource("Reddit posts naming the business (set REDDIT_CLIENT_ID / REDDIT_CLIENT_SECRET "
                            "for OAuth)", {"type": "reddit", "query": reddit_query})
    if answers.town:
        sub = re.sub(r"[^A-Za-z0-9_]", "", answers.town).lower()
        if sub:
            reddit.notes.append(f"subreddit: {sub}    # only if r/{sub} is your town's subreddit: "
                                "then its newest comments are read too")
    proposed.append(reddit)
    proposed.append(ProposedSource("Hacker News stories and comments",
                                   {"type": "hackernews", "query": answers.keywords[0]}))
    if findings is not None:
        for feed in findings.feeds:
            if not is_comment_feed(feed):
                continue
            label = f"{feed.title} (your website's comments)" if feed.title else "your website's comments"
            proposed.append(ProposedSource(f"{label}: every comment is about you, so none is dropped",
                                           {"type": "feed", "url": feed.url, "match": False}))
        for page, count in findings.review_pages:
            proposed.append(ProposedSource(
                f"schema.org reviews on your website ({count} on the page when `init` looked)",
                {"type": "reviews", "url": page}))
    return proposed


# --------------------------------------------------------------------------- the file


_PLAIN = re.compile(r"^[A-Za-z][\w./:?&=%+~-]*$")
_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


def _q(value: Any) -> str:
    """A YAML scalar: plain when that cannot be misread, else JSON (a valid YAML double-quoted string)."""
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def render(answers: Answers, sources: list[ProposedSource], today: date) -> str:
    """The commented config.yaml for these answers."""
    slack = {
        "console": (
            "# Alerts print on the console (and reach you by mail when cron runs mentionwatch).\n"
            "# For Slack, uncomment these and export SLACK_BOT_TOKEN (docs/slack.md: \"Creating the Slack app\"):\n"
            "# slack:\n"
            "#   token: ${SLACK_BOT_TOKEN:-}\n"
            "#   channel: \"#reviews\"\n"
        ),
        "slack-token": (
            "# Alerts go to Slack with a bot token (docs/slack.md: \"Creating the Slack app\"). The token is read\n"
            "# from the environment, never written here: export SLACK_BOT_TOKEN=xoxb-...\n"
            "# Until it is set, alerts print on the console and `check` and every run say so.\n"
            "slack:\n"
            "  token: ${SLACK_BOT_TOKEN:-}\n"
            f"  channel: {_q(answers.channel)}\n"
            "  # urgent_channel: \"#urgent\"   # urgent mentions (food poisoning, a lawsuit, ...) also go here\n"
        ),
        "slack-webhook": (
            "# Alerts go to a Slack incoming webhook (posting only, to the webhook's own channel). The URL\n"
            "# is a secret, read from the environment: export SLACK_WEBHOOK_URL=https://hooks.slack.com/...\n"
            "# Until it is set, alerts print on the console and `check` and every run say so.\n"
            "slack:\n"
            "  webhook_url: ${SLACK_WEBHOOK_URL:-}\n"
        ),
    }[answers.alerts]
    lines = [
        f"# mentionwatch configuration for {answers.business}, written by `mentionwatch init` on {today:%Y-%m-%d}.",
        "# docs/configuration.md and docs/sources.md document every key. After an edit:",
        "#   mentionwatch check --fetch",
        "# ${VAR} and ${VAR:-default} are read from the environment, so secrets stay out of this file.",
        "",
        "# Where mentions are stored, relative to this file's folder (PostgreSQL works too; see docs/operations.md).",
        "database: sqlite:///mentionwatch.db",
        "",
        slack.rstrip("\n"),
        "",
        "alerts:",
        "  # threshold: -0.05        # score (-1..1) at or below which a mention is negative; left out:",
        "                            # each kind of writing's own (docs/scoring.md); {social: -0.3}: one kind's",
        "  max_age_days: 7           # older finds are stored, not alerted",
        "  # quiet_hours: {start: \"22:00\", end: \"07:00\"}   # only urgent alerts then, in the business's time zone",
        "",
        *(["crawler:",
           "  # Site owners see this in the User-Agent: a URL or e-mail address where they can reach you.",
           f"  contact: {_q(answers.contact)}"] if answers.contact else
          ["# Site owners see crawler.contact in the User-Agent: a URL or e-mail address where they can",
           "# reach you. Not set yet (`mentionwatch check` reminds you): uncomment both lines with yours.",
           "# crawler:",
           "#   contact: you@example.com"]),
        "",
        "businesses:",
        f"  - name: {_q(answers.business)}",
        "    # Phrases that mean the business: case-insensitive, whole words; ' and ’, accents folded.",
        f"    keywords: [{', '.join(_q(k) for k in answers.keywords)}]",
        "    # A find containing any of these is not about the business:",
        "    # exclude: [\"recipe\"]",
    ]
    if answers.town:
        lines += [
            "    # A common name? Keep only finds that also name the town:",
            f"    # require_any: [{_q(answers.town)}]",
        ]
    lines += [
        f"    timezone: {_q(answers.timezone)}",
        "    sources:",
    ]
    for source in sources:
        lines.append(f"      # {source.comment}")
        first = True
        for key, value in source.keys.items():
            prefix = "      - " if first else "        "
            lines.append(f"{prefix}{key}: {_q(value) if not isinstance(value, bool) else str(value).lower()}")
            first = False
        lines += [f"        # {note}" for note in source.notes]
    for platform in answers.platforms:
        lines += [f"      # {line}" if line else "      #" for line in platform_block(platform, answers)]
    lines += [
        "      # More kinds (docs/sources.md): reviews and html pages of review sites, mastodon,",
        "      # bluesky, appstore. For Google Alerts, create an alert delivered to an RSS feed and add:",
        "      # - type: feed",
        "      #   url: https://www.google.com/alerts/feeds/...",
    ]
    return "\n".join(lines) + "\n"


def platform_block(platform: str, answers: Answers) -> list[str]:
    """The commented-out source block for one review platform: what it needs, and its keys."""
    source_type = f"- type: {PLATFORM_SOURCE_TYPES[platform]}"
    if platform == "google":
        return ["Google Business Profile reviews (docs/platforms.md): set GOOGLE_CLIENT_ID,",
                "GOOGLE_CLIENT_SECRET and MENTIONWATCH_SECRET_KEY, run `mentionwatch connect google`, then",
                "`mentionwatch connect google --list` prints your location: put it here and uncomment.",
                source_type,
                "  location: accounts/123456789/locations/987654321"]
    if platform == "yelp":
        return ["Yelp: the three newest review excerpts (docs/platforms.md, \"Yelp\"), with YELP_API_KEY set.",
                source_type,
                "  business_id: your-business-alias    # the id or alias in yelp.com/biz/..."]
    if platform == "trustpilot":
        domain = re.sub(r"^www\.", "", urlsplit(answers.website).hostname or "") if answers.website else ""
        if not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
            domain = ""
        return ["Trustpilot: your public page's reviews, no key needed (docs/platforms.md, \"Trustpilot\").",
                source_type,
                f"  domain: {domain or 'example.com'}    # trustpilot.com/review/DOMAIN"]
    if platform == "appstore":
        return ["Apple App Store reviews of your app (for every review and replies, with an App Store",
                "Connect key: type appstore_connect, docs/platforms.md, \"App Store Connect\").",
                source_type,
                "  app_id: \"1234567890\"    # the number in the app's apps.apple.com URL (id1234567890)",
                "  country: us"]
    return ["Google Play reviews of your app: the public ones, or all of them and replies with",
            "GOOGLE_PLAY_SERVICE_ACCOUNT_FILE set (docs/platforms.md, \"Google Play\").",
            source_type,
            "  package: com.example.app    # the app's package name, in its play.google.com URL (id=...)"]


def write_config(target: Path, text: str, force: bool) -> None:
    """Write `text` to `target` only once it loads as `check` loads it; refuse to overwrite without force."""
    if target.exists() and not force:
        raise MentionwatchError(f"{target} already exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.init-{os.getpid()}")
    scratch.write_text(text, encoding="utf-8")
    try:
        from mentionwatch.config import load_settings

        load_settings(scratch)
        os.replace(scratch, target)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace(str(scratch), str(target))) from None
    finally:
        scratch.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the command


def register(cli: click.Group) -> None:
    """Add `init` to the main command group."""

    @cli.command(short_help="Write a commented config.yaml for your business.")
    @click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
                  help="Where to write it (default: $MENTIONWATCH_CONFIG, else ./config.yaml).")
    @click.option("--business", help="The business's name, as customers write it.")
    @click.option("--keyword", "keywords", multiple=True,
                  help="A phrase people use for it; repeat for each (default: the name and its spellings).")
    @click.option("--website", help="Its website: its feeds and schema.org reviews are proposed as sources.")
    @click.option("--contact", help="Your website or e-mail, shown to the sites mentionwatch reads "
                  "(crawler.contact; default: the website).")
    @click.option("--town", help="Its town or city: suggested to tell it from namesakes.")
    @click.option("--timezone", help="Its IANA time zone or the city it is named after (default: the town's zone "
                  "when one is named after it, else this machine's).")
    @click.option("--alerts", type=click.Choice(ALERT_CHOICES),
                  help="How alerts reach you (default: console).")
    @click.option("--channel", help="Slack channel for alerts, with --alerts slack-token (default: #reviews).")
    @click.option("--platform", "platforms", multiple=True, type=click.Choice(PLATFORM_CHOICES),
                  help="A review platform your customers write on: its source is written commented out, "
                  "ready to fill in; repeat for each (default with --no-input: none).")
    @click.option("--no-input", is_flag=True, help="Ask nothing: use the flags and the defaults (--business is required).")
    @click.option("--force", is_flag=True, help="Overwrite an existing file.")
    @click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debugging).")
    def init(config_file: str | None, business: str | None, keywords: tuple[str, ...], website: str | None,
             contact: str | None, town: str | None, timezone: str | None, alerts: str | None, channel: str | None,
             platforms: tuple[str, ...], no_input: bool, force: bool, verbose: int) -> None:
        """Write a commented config.yaml for your business, with sources proposed for it.

        Asks for the business's name, the phrases people use for it, its website, your website or
        e-mail for the sites it reads, its town, its time zone, the review platforms its customers
        write on (Google Business Profile, Yelp, Trustpilot, the app stores) and how alerts should
        reach you (each has a flag, for scripts). Proposes Google News and Bing News search feeds,
        Reddit and Hacker News searches and, with a website, the feeds the site links to and its
        pages with schema.org reviews; each chosen platform's source is written commented out, to
        fill in. Secrets are read from the environment, never written. Never overwrites a file
        without --force.

        \b
        Examples:
          mentionwatch init
          mentionwatch init --business "Joe's Donuts" --town Springfield --no-input --config joes.yaml
          mentionwatch init --business "Joe's Donuts" --contact owner@joesdonuts.example --platform google --platform yelp --no-input --config joes.yaml
        """
        from mentionwatch.logs import setup_logging

        setup_logging(verbose)
        target = config_path(config_file)
        if target.exists() and not force:
            raise MentionwatchError(f"{target} already exists; pass --force to overwrite it")
        answers = gather(business, keywords, website, town, timezone, alerts, channel, no_input, contact, platforms)
        findings = None
        if answers.website:
            from crawlers.settings import USER_AGENT, user_agent
            from mentionwatch.site_discovery import discover

            click.echo(f"Looking at {answers.website} for feeds and reviews ...")
            findings = discover(answers.website, agent=user_agent(answers.contact) if answers.contact else USER_AGENT)
        sources = propose_sources(answers, findings)
        write_config(target, render(answers, sources, date.today()), force)
        _report(target, config_file, answers, sources, findings)


def _report(target: Path, config_file: str | None, answers: Answers, sources: list[ProposedSource],
            findings: Any | None) -> None:
    click.echo(f"Wrote {target} for {answers.business}: {len(sources)} sources.")
    for source in sources:
        click.echo(f"  {source.keys['type']:<11}{source.comment}")
    for platform in answers.platforms:
        # Written but inactive until filled in: say so, or a chosen platform seems forgotten.
        click.echo(f"  {PLATFORM_SOURCE_TYPES[platform]} is commented out in {target.name}: fill in its fields, "
                   "then uncomment it")
    if findings is not None:
        from mentionwatch.site_discovery import plain_title

        if findings.error:
            # The reason may quote the server (an HTTP reason phrase): shown as plain text only.
            click.echo(f"Could not read {findings.url}: {plain_title(findings.error, 300)}. No feeds or reviews were proposed "
                       "from it; add them later (docs/sources.md).")
        else:
            feeds = len(findings.feeds)
            pages = len(findings.review_pages)
            click.echo(f"On {findings.url}: {feeds} feed{'' if feeds == 1 else 's'}, "
                       + (f"schema.org reviews on {pages} page{'' if pages == 1 else 's'}." if pages
                          else "no schema.org reviews."))
        for feed in findings.feeds:
            if not is_comment_feed(feed):
                click.echo(f"  skipped {plain_title(feed.title or feed.url, 300)}: your own posts are not mentions")
        for note in findings.notes:
            click.echo(f"  skipped {plain_title(note, 300)}")
    if answers.alerts == "slack-token":
        click.echo("Slack: export SLACK_BOT_TOKEN=xoxb-... (docs/slack.md: \"Creating the Slack app\"); "
                   "`mentionwatch check` tests it.")
    elif answers.alerts == "slack-webhook":
        click.echo("Slack: export SLACK_WEBHOOK_URL=https://hooks.slack.com/services/...")
    option = "" if config_file is None and target == Path(DEFAULT_CONFIG) and "MENTIONWATCH_CONFIG" not in os.environ \
        else f" --config {_shell_word(str(target))}"
    me = this_command()
    click.echo("Next:")
    if "google" in answers.platforms:
        click.echo(f"  {me} connect google{option}  # sign in to Google once; then `connect google --list` "
                   "prints the location to put in config.yaml")
    click.echo(f"  {me} check --fetch{option}   # fetch every source once; stores nothing, alerts nobody")
    click.echo(f"  {me} run{option}             # the first run: stores what is there, one baseline summary")
    click.echo(f"  {me} cron{option}            # crontab lines to run it every 15 minutes")


def this_command() -> str:
    """How to run this very mentionwatch from here, as typed: `mentionwatch` when the shell finds
    this one on PATH, else its path (`.venv/bin/mentionwatch`), relative to here when inside it."""
    import shutil

    from mentionwatch.crontab import executable

    words = executable()
    script = Path(words[0])
    found = shutil.which("mentionwatch")
    if len(words) == 1 and found and Path(found).resolve() == script.resolve():
        return "mentionwatch"
    if script.is_relative_to(Path.cwd()):
        words[0] = str(script.relative_to(Path.cwd()))
    return " ".join(_shell_word(w) for w in words)


def _shell_word(text: str) -> str:
    import shlex

    return shlex.quote(text)
