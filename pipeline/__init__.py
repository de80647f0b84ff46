"""The bottom room: the item contract between crawl and store (`items`), the models and the store,
dedup, matching and scoring, the lock, and the tool's base error (`errors`).

It imports no other room: every room above stands on it.
"""
