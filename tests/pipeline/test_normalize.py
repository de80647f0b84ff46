"""normalize: plain text, canonical URLs, UTC dates, fingerprints. Pure functions, no network."""

from __future__ import annotations

import base64
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pipeline.normalize import (
    MIN_TEXT_WORDS,
    canonical_url,
    content_hash,
    fingerprint_is_distinctive,
    html_to_text,
    text_fingerprint,
    to_utc,
    unwrap_redirect,
)

# =========================================================================== html_to_text


def test_review_html_becomes_separate_lines() -> None:
    html = (
        '<div class="review"><h3>Best donuts in town</h3>'
        "<p>Joe&rsquo;s Donuts never disappoints.<br>The maple bar is&nbsp;&nbsp;perfect.</p>"
        "<p>Staff was rude though &amp; the line was long.</p>"
        "<script>window.dataLayer.push({event: 'review'})</script>"
        "<style>.review{color:red}</style>"
        "<!-- tracking pixel --></div>"
    )
    assert html_to_text(html) == (
        "Best donuts in town\n\n"
        "Joe’s Donuts never disappoints.\n"
        "The maple bar is perfect.\n\n"
        "Staff was rude though & the line was long."
    )


def test_list_items_and_divs_break_lines() -> None:
    html = "<ul><li>Great coffee</li><li>Slow service</li></ul><div>Would go again</div>"
    assert html_to_text(html).splitlines() == ["Great coffee", "Slow service", "", "Would go again"]


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        ("5 < 6 and 7 > 3", "5 < 6 and 7 > 3"),
        ("Prices went <10% up", "Prices went <10% up"),
        ("R&D at Acme Bakery", "R&D at Acme Bakery"),
        ("  line one  \r\n\r\n\r\n\r\n  line   two\t here ", "line one\n\nline two here"),
    ],
)
def test_plain_text_survives(plain: str, expected: str) -> None:
    assert html_to_text(plain) == expected


@pytest.mark.parametrize("empty", [None, "", "   ", "<br>", "<!-- nothing -->", "<script>x()</script>"])
def test_nothing_readable_gives_empty_string(empty: str | None) -> None:
    assert html_to_text(empty) == ""


def test_entities_are_decoded_but_escaped_markup_stays_text() -> None:
    assert html_to_text("&lt;script&gt;alert(1)&lt;/script&gt; &eacute;t&eacute;") == "<script>alert(1)</script> été"


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("<p>unclosed <b>bold <i>italic</p> after", "unclosed bold italic\n\nafter"),
        ("</div></div>stray closers<p>", "stray closers"),
        ('<?xml version="1.0" encoding="iso-8859-1"?><p>declared</p>', "declared"),
        ("nul\x00 and\x07 bell", "nul and bell"),
        ("broken \ud800 surrogate <b>x</b>", "broken \ufffd surrogate x"),
        ("&#0; &#xD800; &#99999999; ok", "� � � ok"),
    ],
)
def test_hostile_markup_does_not_raise(hostile: str, expected: str) -> None:
    assert html_to_text(hostile) == expected


def test_deep_sloppy_nesting_keeps_the_text() -> None:
    # 1000 unclosed tags: past libxml2's default depth limit, which silently drops the rest.
    assert html_to_text("<p>start</p>" + "<b>" * 1000 + "deep text") == "start\n\ndeep text"


# =========================================================================== canonical_url

ARTICLE = "https://www.sj-r.com/story/news/local/2024/03/12/joes-donuts-to-close/72934"


@pytest.mark.parametrize(
    "variant",
    [
        ARTICLE,
        ARTICLE + "/",
        "HTTPS://WWW.SJ-R.COM:443/story/news/local/2024/03/12/joes-donuts-to-close/72934/",
        ARTICLE + "?utm_source=twitter&utm_medium=social&utm_campaign=share",
        ARTICLE + "/?fbclid=IwAR2xQk7xY0&mc_cid=a1b2c3&mc_eid=d4e5f6#comments",
        ARTICLE + "?gclid=Cj0KCQjw&_ga=2.1234.5678&si=AbCd&igshid=MzRlODBi&UTM_SOURCE=newsletter",
        ARTICLE + "?msclkid=abc&dclid=xyz&yclid=123&ref_src=twsrc%5Etfw#:~:text=donuts",
        # AMP renderings of the same article
        ARTICLE + "/amp/",
        "https://www.sj-r.com/amp/story/news/local/2024/03/12/joes-donuts-to-close/72934",
        ARTICLE + "?amp=1",
        ARTICLE + "?amp",
        ARTICLE + "?outputType=amp",
        ARTICLE + ".amp",
        "https://amp.sj-r.com/story/news/local/2024/03/12/joes-donuts-to-close/72934",
        "https://www.google.com/amp/s/www.sj-r.com/story/news/local/2024/03/12/joes-donuts-to-close/72934/amp/",
        "https://www-sj--r-com.cdn.ampproject.org/c/s/www.sj-r.com/story/news/local/2024/03/12/joes-donuts-to-close/72934/amp/?amp_js_v=0.1&usqp=mq331AQIKAGwASCAAgM%3D",
        # redirect wrappers
        "https://www.google.com/url?sa=t&rct=j&q=&esrc=s&source=web&cd=&cad=rja&uact=8&ved=2ahUKEwi&url=https%3A%2F%2Fwww.sj-r.com%2Fstory%2Fnews%2Flocal%2F2024%2F03%2F12%2Fjoes-donuts-to-close%2F72934%2F&usg=AOvVaw3",
        "https://www.google.co.uk/url?q=https://www.sj-r.com/story/news/local/2024/03/12/joes-donuts-to-close/72934&sa=D&source=docs",
        "https://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=66F0A1B2&url=https%3a%2f%2fwww.sj-r.com%2fstory%2fnews%2flocal%2f2024%2f03%2f12%2fjoes-donuts-to-close%2f72934%3fcmpid%3drss&c=1234567890&mkt=en-us",
        "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.sj-r.com%2Fstory%2Fnews%2Flocal%2F2024%2F03%2F12%2Fjoes-donuts-to-close%2F72934%3Ffbclid%3DIwAR0&h=AT0abc",
        "https://out.reddit.com/t3_1b2c3d?url=https%3A%2F%2Fwww.sj-r.com%2Fstory%2Fnews%2Flocal%2F2024%2F03%2F12%2Fjoes-donuts-to-close%2F72934&token=AQAAabc&app_name=reddit.com",
    ],
)
def test_variants_of_one_article_share_a_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == ARTICLE


def test_amp_subdomain_is_taken_for_www() -> None:
    # A guess (right for amp.theguardian.com, amp.cnn.com...), documented as such.
    assert canonical_url("https://amp.theguardian.com/food/2024/mar/12/joes-donuts") == (
        "https://www.theguardian.com/food/2024/mar/12/joes-donuts"
    )
    assert canonical_url("https://amp.co/x") == "https://amp.co/x"  # a site called amp.co


def test_query_is_sorted_and_meaningful_parameters_stay() -> None:
    url = "https://reviews.example.com/biz/joes-donuts-springfield?sort_by=date_desc&start=20&utm_source=yelp&ref=nav"
    # "ref" is too generic to drop: it selects content on some sites.
    assert canonical_url(url) == "https://reviews.example.com/biz/joes-donuts-springfield?ref=nav&sort_by=date_desc&start=20"


def test_only_scheme_and_host_are_lowercased() -> None:
    assert canonical_url("HTTP://Example.COM:8080/Reviews/Joes?ID=A1") == "http://example.com:8080/Reviews/Joes?ID=A1"


def test_root_keeps_its_slash_and_dot_segments_resolve() -> None:
    assert canonical_url("https://Example.com") == "https://example.com/"
    assert canonical_url("https://example.com/a/../b/./c/?q=caf%c3%a9") == "https://example.com/b/c?q=caf%C3%A9"


def test_international_host_is_punycoded() -> None:
    assert canonical_url("https://bäckerei-müller.de/bewertungen/") == "https://xn--bckerei-mller-bfb28a.de/bewertungen"


def _google_news_id(target: str) -> str:
    # The classic Google News RSS article id: base64url of a small protobuf holding the URL.
    payload = b"\x08\x13\x22" + bytes([len(target)]) + target.encode() + b"\xd2\x01\x00"
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def test_google_news_classic_article_ids_are_decoded() -> None:
    feed_link = f"https://news.google.com/rss/articles/{_google_news_id(ARTICLE + '/')}?oc=5"
    assert feed_link.startswith("https://news.google.com/rss/articles/CBMi")
    assert unwrap_redirect(feed_link) == ARTICLE + "/"
    assert canonical_url(feed_link) == ARTICLE


def test_google_news_opaque_ids_are_left_alone() -> None:
    # Newer ids hold a token ("AU_yqL...") that only Google's servers can resolve.
    opaque = base64.urlsafe_b64encode(b"\x08\x13\x22\x1aAU_yqLNx0ZKpYtOo5q2s8Ecg3s").decode().rstrip("=")
    link = f"https://news.google.com/rss/articles/{opaque}?oc=5"
    assert unwrap_redirect(link) == link
    assert canonical_url(link) == f"https://news.google.com/rss/articles/{opaque}?oc=5"


def test_bing_click_links_are_decoded() -> None:
    encoded = base64.urlsafe_b64encode(b"https://www.example.com/reviews/joes-donuts?page=2").decode().rstrip("=")
    link = f"https://www.bing.com/ck/a?!&&p=4f1c2e&ptn=3&ver=2&hsh=3&fclid=1a2b&u=a1{encoded}&ntb=1"
    assert unwrap_redirect(link) == "https://www.example.com/reviews/joes-donuts?page=2"


def test_nested_wrappers_unwrap_all_the_way() -> None:
    inner = "https://www.google.com/amp/s/www.example.com/news/joes-donuts.amp"
    outer = "https://l.facebook.com/l.php?u=" + inner.replace(":", "%3A").replace("/", "%2F") + "&h=AT1"
    assert unwrap_redirect(outer) == "https://www.example.com/news/joes-donuts.amp"
    assert canonical_url(outer) == "https://www.example.com/news/joes-donuts"


def test_unwrap_redirect_returns_the_target_as_written() -> None:
    link = "https://www.google.com/url?q=https://www.example.com/a?utm_source%3Dx%26id%3D7&sa=D"
    assert unwrap_redirect(link) == "https://www.example.com/a?utm_source=x&id=7"


@pytest.mark.parametrize(
    "opaque",
    [
        "https://t.co/AbCdEf1234",  # shortener: the target is not in the URL
        "https://www.google.com/search?q=joes+donuts",  # not a wrapper at all
        "https://www.google.com/url?q=joes+donuts",  # q is a search, not a URL
        "https://l.facebook.com/l.php?u=javascript%3Aalert(1)",  # not a web target
        "https://www.bing.com/news/search?q=joes+donuts",
    ],
)
def test_urls_that_carry_no_target_are_not_unwrapped(opaque: str) -> None:
    assert unwrap_redirect(opaque) == opaque


@pytest.mark.parametrize(
    "junk",
    ["", "   ", "not a url", "javascript:alert(1)", "mailto:joe@example.com", "http://[::1", "http://example.com:99999/",
     "https://", "//example.com/x", "ftp://example.com/file", "http://exa mple.com/%zz"],
)
def test_junk_comes_back_stripped_and_never_raises(junk: str) -> None:
    assert canonical_url(f"  {junk}\n") == junk.strip()
    assert isinstance(unwrap_redirect(junk), str)


def test_canonical_url_is_idempotent() -> None:
    for url in [ARTICLE + "/amp/?utm_source=x", "HTTPS://Example.com:443/a%2fb/?z=1&a=2#f", "https://amp.example.co.uk/x.amp"]:
        once = canonical_url(url)
        assert canonical_url(once) == once


# =========================================================================== to_utc

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
MOMENT = datetime(2024, 3, 12, 10, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        MOMENT,
        datetime(2024, 3, 12, 10, 15),  # naive = UTC
        datetime(2024, 3, 12, 12, 15, tzinfo=timezone(timedelta(hours=2))),
        time.gmtime(1710238500),  # feedparser's published_parsed
        1710238500,
        1710238500.0,
        1710238500000,  # milliseconds
        "1710238500",
        "2024-03-12T10:15:00Z",
        "2024-03-12T10:15:00.000+00:00",
        "2024-03-12T05:15:00-05:00",
        "2024-03-12 10:15:00",
        "Tue, 12 Mar 2024 10:15:00 GMT",
        "Tue, 12 Mar 2024 11:15:00 +0100",
        "12 Mar 2024 10:15:00 -0000",
        "March 12, 2024 10:15 AM",
        "12.03.2024 10:15",  # day first with dots
    ],
)
def test_known_moment_in_every_shape(value: object) -> None:
    result = to_utc(value, NOW)
    assert result == MOMENT
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3 days ago", NOW - timedelta(days=3)),
        ("2 hours ago", NOW - timedelta(hours=2)),
        ("yesterday", NOW - timedelta(days=1)),
        ("12 March 2024", datetime(2024, 3, 12, tzinfo=UTC)),
        ("12.03.2024", datetime(2024, 3, 12, tzinfo=UTC)),
        ("03/12/2024", datetime(2024, 3, 12, tzinfo=UTC)),  # month first, as dateparser reads it
        ("14/03/2024", datetime(2024, 3, 14, tzinfo=UTC)),  # only day first makes sense
        ("12/03/2024", datetime(2024, 3, 12, tzinfo=UTC)),  # month first would be December: ahead
        ("March 10", datetime(2024, 3, 10, tzinfo=UTC)),
        ("20240312", datetime(2024, 3, 12, tzinfo=UTC)),
        (date(2024, 3, 12), datetime(2024, 3, 12, tzinfo=UTC)),
    ],
)
def test_free_form_dates(value: object, expected: datetime) -> None:
    assert to_utc(value, NOW) == expected


def test_other_languages() -> None:
    assert to_utc("vor 3 Tagen", NOW, languages=["de"]) == NOW - timedelta(days=3)
    assert to_utc("12 mars 2024", NOW) == datetime(2024, 3, 12, tzinfo=UTC)


def test_relative_dates_count_from_an_aware_now_in_any_zone() -> None:
    new_york_now = NOW.astimezone(timezone(timedelta(hours=-4)))
    assert to_utc("2 hours ago", new_york_now) == NOW - timedelta(hours=2)


@pytest.mark.parametrize(
    "junk",
    [None, "", "  ", "N/A", "unknown", "hello", "0", "5", 0, -1, 5, True, float("nan"), float("inf"), 10**30,
     [], {"date": "x"}, "x" * 500, "2024-13-45", "Tue, 32 Foo 2024"],
)
def test_junk_is_none(junk: object) -> None:
    assert to_utc(junk, NOW) is None


def test_the_future_is_unknown_but_a_clock_skew_is_not() -> None:
    assert to_utc("2024-03-16T11:00:00Z", NOW) == datetime(2024, 3, 16, 11, tzinfo=UTC)  # < 1 day ahead
    assert to_utc("2024-03-16T13:00:00Z", NOW) is None
    assert to_utc("2030-01-01", NOW) is None
    assert to_utc(NOW + timedelta(days=400), NOW) is None


def test_without_now_the_current_time_is_used() -> None:
    result = to_utc("1 hour ago")
    assert result is not None
    assert abs(datetime.now(UTC) - timedelta(hours=1) - result) < timedelta(minutes=5)


def test_naive_means_utc_whatever_the_machine_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert to_utc("2024-03-12 10:15:00", NOW) == MOMENT
        assert to_utc(datetime(2024, 3, 12, 10, 15), NOW) == MOMENT
        assert to_utc("Tue, 12 Mar 2024 10:15:00 -0000", NOW) == MOMENT
    finally:
        monkeypatch.undo()
        time.tzset()


# =========================================================================== text_fingerprint

AP_BODY = (
    "A family-owned doughnut shop that has served glazed rings on the corner of Fifth and Elm for four "
    "decades will close at the end of the month, its owners said Tuesday. Joe's Donuts, opened in 1984 by "
    "Joe and Maria Russo, cited rising rent and a shortage of bakers. \"We never thought we'd see this day,\" "
    "Maria Russo said. Regulars lined up before dawn on Wednesday to buy a last dozen, and the shop expects "
    "to sell out every morning until it closes on March 31."
)
HEADLINE = "Springfield's Joe's Donuts to close after 40 years"


def test_one_story_syndicated_five_ways_has_one_fingerprint() -> None:
    curly = AP_BODY.replace("'", "’").replace('"', "“", 1)
    cut = curly.index(" Joe’s Donuts, opened")  # an ad slot between two paragraphs
    copies = [
        # the wire copy, dateline and teaser link included
        (f"{HEADLINE} - WAND TV", f"SPRINGFIELD, Ill. (AP) — {AP_BODY} Read more »"),
        # a newspaper site: curly quotes, an ad slot, HTML, WordPress footer
        (
            f"Springfield’s Joe’s Donuts to close after 40 years | Chicago Tribune",
            html_to_text(
                f"<p>{curly[:cut]}</p><p>ADVERTISEMENT</p><p>{curly[cut:]}</p>"
                f"<p>The post <a href='https://x'>{HEADLINE}</a> appeared first on <a href='https://y'>Springfield Daily</a>.</p>"
            ),
        ),
        # a WordPress feed excerpt: the first 55 words and "[…]"
        (HEADLINE, " ".join(AP_BODY.split()[:55]) + " [&hellip;]"),
        # headline repeated on top of the text, dash dateline, different case/spacing
        (f"{HEADLINE.upper()} — The State Journal-Register", f"{HEADLINE}\n\nSPRINGFIELD (AP) - {AP_BODY}"),
        # Reuters-style dateline and "Continue reading"
        (f"{HEADLINE} :: KHQA", f"(Reuters) - {AP_BODY}\nContinue reading “{HEADLINE}” at KHQA"),
    ]
    fingerprints = {text_fingerprint(title, text) for title, text in copies}
    assert len(fingerprints) == 1
    [fingerprint] = fingerprints
    assert len(fingerprint) == 32 and int(fingerprint, 16) >= 0


def test_headline_only_feeds_agree() -> None:
    # Google News: "Headline - Source" and a description that is only the headline and the source.
    google_news = text_fingerprint(f"{HEADLINE} - The State Journal-Register", f"{HEADLINE}  The State Journal-Register")
    bare = text_fingerprint(HEADLINE, "")
    other_site = text_fingerprint(f"{HEADLINE} | WAND TV", None)
    assert google_news == bare == other_site


def test_different_stories_differ() -> None:
    follow_up = AP_BODY.replace("will close at the end of the month", "will stay open after a buyer stepped in")
    assert text_fingerprint(HEADLINE, AP_BODY) != text_fingerprint(HEADLINE, follow_up)
    assert text_fingerprint(HEADLINE, "") != text_fingerprint("Springfield's Joe's Donuts to stay open", "")
    # the same opening words but a different story after them
    other = AP_BODY.split()
    other[30] = "quietly"
    assert text_fingerprint(None, AP_BODY) != text_fingerprint(None, " ".join(other))


def test_a_title_suffix_is_only_dropped_when_it_looks_like_a_site_name() -> None:
    # "Review - Joe's Donuts" is the whole headline, not "Review" from a site called "Joe's Donuts".
    assert text_fingerprint("Review - Joe's Donuts", "") != text_fingerprint("Review", "")
    long_tail = "Bakery closes - and the neighbours say it was a long time coming for the whole street"
    assert text_fingerprint(long_tail, "") != text_fingerprint("Bakery closes", "")


def test_short_reviews_use_title_and_text_and_say_they_are_weak() -> None:
    loved = text_fingerprint("Great place", "Loved the maple bar!")
    hated = text_fingerprint("Great place", "Not anymore. Rude staff.")
    assert loved != hated
    assert text_fingerprint("great place!", "Loved  the maple bar") == loved
    assert not fingerprint_is_distinctive("Great place", "Loved the maple bar!")
    assert not fingerprint_is_distinctive(None, "")
    assert fingerprint_is_distinctive(HEADLINE, "")  # 8 words
    assert fingerprint_is_distinctive(None, AP_BODY)


def test_min_text_words_threshold() -> None:
    words = [f"word{i}" for i in range(MIN_TEXT_WORDS)]
    # at the threshold the text alone decides, whatever the title
    assert text_fingerprint("Title A", " ".join(words)) == text_fingerprint("Title B", " ".join(words))
    # below it, the title counts
    assert text_fingerprint("Title A", " ".join(words[:-1])) != text_fingerprint("Title B", " ".join(words[:-1]))


def test_fingerprint_folds_accents_and_apostrophes() -> None:
    a = text_fingerprint("Café Lola’s brunch review", "")
    assert text_fingerprint("CAFE LOLAS BRUNCH REVIEW", "") == a
    assert text_fingerprint("Cafe\u0301 Lola's brunch review", None) == a


def test_fingerprint_of_huge_input_is_bounded_and_stable() -> None:
    huge = AP_BODY + " filler" * 200_000
    assert text_fingerprint(HEADLINE * 500, huge) == text_fingerprint(None, AP_BODY)


# =========================================================================== content_hash


def test_content_hash_ignores_rendering_noise() -> None:
    base = content_hash("Great place", "Loved the maple bar.\nWill return.", 5)
    assert content_hash("Great place", "  Loved the maple bar.  Will return. ", 5.0) == base
    assert content_hash("Cafe\u0301", "x", 5) == content_hash("Café", "x", 5)  # NFD vs NFC
    assert content_hash(None, "", None) == content_hash("", None, None)


def test_content_hash_sees_edits() -> None:
    base = content_hash("Great place", "Loved the maple bar.", 5)
    assert content_hash("Great place", "Loved the maple bar.", 4) != base
    assert content_hash("Great place", "Loved the maple bar.", None) != base
    assert content_hash("Great place", "Loved the maple bar!", 5) != base
    assert content_hash("Great place", "loved the maple bar.", 5) != base
    assert content_hash("Great place!", "Loved the maple bar.", 5) != base
    # moving text between title and body is an edit too
    assert content_hash("Great", "place Loved the maple bar.", 5) != content_hash("Great place", "Loved the maple bar.", 5)
