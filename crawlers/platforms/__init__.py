"""The review platforms' own APIs: authentication, error answers and reply calls, one module each.

Spiders (crawlers/spiders/) read reviews through Scrapy; the reply calls here are made once, on
the owner's command, through respond.actions.
"""
