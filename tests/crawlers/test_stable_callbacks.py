"""Every request of a spider has the same callback object, so Scrapy's check of a callback's
source (is it a generator that returns a value?) is made once, not on every response."""

from __future__ import annotations

import inspect

import scrapy.utils.misc
from scrapy.settings import Settings
from scrapy.utils.misc import warn_on_generator_with_return_value

from crawlers.spiders.hackernews import HackerNewsSpider


def test_scrapy_reads_a_callback_s_source_once_however_many_responses(monkeypatch):
    spider = HackerNewsSpider(business="Joe's Donuts", query="Joe's Donuts")
    spider.settings = Settings()  # what a crawler gives it
    target = spider.targets[0]
    requests = [spider.page_request(target, f"https://hn.algolia.com/api/v1/search_by_date?page={n}", n)
                for n in range(5)]
    read = []
    real = inspect.getsource
    monkeypatch.setattr(scrapy.utils.misc.inspect, "getsource", lambda f: read.append(f) or real(f))
    for request in requests:  # what Scrapy's scraper does with each response
        warn_on_generator_with_return_value(spider, request.callback)
    assert len({id(request.callback) for request in requests}) == 1
    assert len(read) <= 1
    # The spider's own parser still gets each response, with its arguments.
    assert [request.cb_kwargs["page"] for request in requests] == [0, 1, 2, 3, 4]
    assert {request.cb_kwargs["parse"] for request in requests} == {spider.parse_hits}
