"""mentionwatch: a self-hosted monitor of what the public says about a business."""

from pipeline.version import __version__

__all__ = ["__version__"]
