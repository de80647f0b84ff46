"""Where config.yaml is: the one part of the config every command, `--help` included, needs.

Kept apart from mentionwatch.config (pydantic's models of every room) so that the CLI can start,
and print its help, without building them.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_ENV = "MENTIONWATCH_CONFIG"
DEFAULT_CONFIG = "config.yaml"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, else $MENTIONWATCH_CONFIG, else ./config.yaml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
