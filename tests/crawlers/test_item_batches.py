"""Under `mentionwatch run` a page's items reach the pipeline together, as one MentionBatch;
by hand (`scrapy crawl`, `check --fetch`) they come one by one, as Scrapy's exporters expect."""

from __future__ import annotations

from types import SimpleNamespace

from scrapy.http import Request, TextResponse
from scrapy.settings import Settings

from crawlers.spiders.base import MentionSpider
from crawlers.spiders.feed import FeedSpider
from pipeline.items import MentionBatch, MentionItem

FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
    + "".join(f"<item><title>Visit {i}</title><link>https://news.example.com/{i}</link>"
              f"<description>We went to Joe's Donuts, visit {i}.</description></item>" for i in range(5))
    + "</channel></rss>"
)


def crawled_by(spider: MentionSpider, in_a_run: bool) -> MentionSpider:
    """`spider` as a crawler gives it: with a run's pipeline context, or without (by hand)."""
    settings = Settings({"MENTIONWATCH_CONTEXT": object()} if in_a_run else {})
    spider.crawler = SimpleNamespace(settings=settings)  # type: ignore[assignment]
    spider.settings = settings
    return spider


def answer(spider: MentionSpider, body: str, parse) -> list[object]:
    """What the spider gives Scrapy for one response to its request."""
    target = spider.targets[0]
    request = spider.request(target, "https://news.example.com/feed.xml", parse)
    response = TextResponse(request.url, body=body.encode(), encoding="utf-8", request=request)
    return list(spider._guarded(response, **request.cb_kwargs))


def test_in_a_run_a_page_s_items_go_on_as_one_batch():
    spider = crawled_by(FeedSpider(business="Joe's Donuts", url="https://news.example.com/feed.xml"), in_a_run=True)
    results = answer(spider, FEED, spider.parse_feed)
    assert len(results) == 1 and isinstance(results[0], MentionBatch)
    assert [item.url for item in results[0].items] == [f"https://news.example.com/{i}" for i in range(5)]
    assert spider.targets[0].fetched == 5 and spider.targets[0].error is None


def test_by_hand_the_items_come_one_by_one():
    spider = crawled_by(FeedSpider(business="Joe's Donuts", url="https://news.example.com/feed.xml"), in_a_run=False)
    results = answer(spider, FEED, spider.parse_feed)
    assert [type(r) for r in results] == [MentionItem] * 5


class BreakingSpider(MentionSpider):
    """Two entries, then a page it cannot read further, and a request for the next page before that."""

    name = "breaking"
    source_type = "feed"

    def parse_page(self, response, target):
        yield self.item(target, url="https://news.example.com/1", text="Joe's Donuts, one.")
        yield Request("https://news.example.com/feed.xml?page=2")
        yield self.item(target, url="https://news.example.com/2", text="Joe's Donuts, two.")
        raise ValueError("the third entry is cut off")


def test_what_a_page_gave_before_it_broke_is_kept_and_the_source_fails():
    spider = crawled_by(BreakingSpider(business="Joe's Donuts", url="https://news.example.com/feed.xml"),
                        in_a_run=True)
    results = answer(spider, "<rss/>", spider.parse_page)
    # The request went on at once; the two items together after it, as they did one by one before.
    assert isinstance(results[0], Request)
    assert isinstance(results[1], MentionBatch)
    assert [item.url for item in results[1].items] == ["https://news.example.com/1", "https://news.example.com/2"]
    assert "the third entry is cut off" in (spider.targets[0].error or "")
