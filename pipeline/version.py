"""The version of mentionwatch: in the bottom room, since every room names it (the crawler's User-Agent)."""

__version__ = "0.1.0"
