"""What `mentionwatch report` did: the files it wrote, what it posted and e-mailed, what failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alerts.report.data import BusinessReport


@dataclass
class ReportOutcome:
    """Told to the user by the command, which exits 1 when `problems` is not empty."""

    html: Path
    """The report's HTML file (the first one written, when an agency's clients each get theirs)."""
    charts: list[Path]
    reports: list[BusinessReport]
    posted: int = 0
    uploaded: int = 0
    emailed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    htmls: list[Path] = field(default_factory=list)
    """Every HTML file written: one for the businesses of no client, one per client."""
