"""Spiders per source type and the review platforms' API clients: they turn answers into items
(pipeline.items) and record each source's crawl state in the store (`state`).

Stands on pipeline only; the source types' config (`config`) lives here.
"""
