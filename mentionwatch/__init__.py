"""mentionwatch: a self-hosted monitor of what the public says about a business."""

__version__ = "0.1.0"
