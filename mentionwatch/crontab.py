"""`mentionwatch cron`: crontab lines with absolute paths, ready to paste into `crontab -e`."""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
DAY_NAMES = {"sun": "Sunday", "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
             "fri": "Friday", "sat": "Saturday"}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


def schedule(every_minutes: int) -> str:
    """The cron schedule for "every N minutes"; N must divide an hour or a day evenly."""
    if every_minutes < 60 and 60 % every_minutes == 0:
        return "* * * * *" if every_minutes == 1 else f"*/{every_minutes} * * * *"
    if every_minutes % 60 == 0 and 24 % (every_minutes // 60) == 0:
        hours = every_minutes // 60
        return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
    raise ValueError("cron repeats evenly only: use minutes that divide an hour (5, 10, 15, 20, 30, 60) "
                     "or a day (120, 180, 240, 360, 480, 720, 1440)")


def executable() -> list[str]:
    """The command that runs this very mentionwatch, as absolute paths."""
    script = Path(sys.argv[0])
    if script.name == "mentionwatch" and script.is_file():
        return [str(script.absolute())]
    found = shutil.which("mentionwatch")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "mentionwatch"]


def environment_names(config: Path) -> list[str]:
    """Variables the config reads from the environment: cron starts with almost none set."""
    try:
        text = config.read_text(encoding="utf-8")
    except OSError:
        return []
    names: list[str] = []
    for m in _VAR.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if text[line_start:m.start()].lstrip().startswith("#"):
            continue  # a comment
        if m.group(1) not in names:
            names.append(m.group(1))
    return names


def _command(words: list[str]) -> str:
    # In a crontab line an unescaped % ends the command.
    return " ".join(shlex.quote(w) for w in words).replace("%", "\\%")


def machine_time(report_day: str, report_time: tuple[int, int], zone: str,
                 now: datetime | None = None) -> tuple[str, tuple[int, int]]:
    """The day and time on this machine's clock of the next `report_day` at `report_time` in `zone`.

    Cron reads its schedule in the machine's zone; the owner thinks in the business's. The two
    can disagree by a day near midnight, and by an hour for the weeks their summer times differ.
    """
    now = now or datetime.now(UTC)
    local_now = now.astimezone(ZoneInfo(zone))
    ahead = (DAYS.index(report_day) - (local_now.isoweekday() % 7)) % 7
    day = local_now.date() + timedelta(days=ahead)
    wanted = datetime.combine(day, time(*report_time), ZoneInfo(zone)).astimezone()
    return DAYS[wanted.isoweekday() % 7], (wanted.hour, wanted.minute)


def crontab_lines(config: Path, every_minutes: int, report_day: str, report_time: tuple[int, int],
                  zone: str | None = None) -> list[str]:
    """Comment lines, then the run line and the weekly report line.

    With `zone` (the businesses' time zone) the report's day and time are meant there, and the
    line is written for the machine's clock; without it they are the machine's own.
    """
    command = executable()
    config = config.absolute()
    hour, minute = report_time
    machine_zone = datetime.now().astimezone().tzname()
    when = f"{DAY_NAMES[report_day]}s at {hour:02d}:{minute:02d} (this machine's time zone, {machine_zone})"
    if zone is not None:
        cron_day, (cron_hour, cron_minute) = machine_time(report_day, report_time, zone)
        when = (f"{DAY_NAMES[report_day]}s at {hour:02d}:{minute:02d} {zone}: {DAY_NAMES[cron_day]} "
                f"{cron_hour:02d}:{cron_minute:02d} on this machine's clock ({machine_zone})")
        report_day, hour, minute = cron_day, cron_hour, cron_minute
    lines = [
        f"# mentionwatch: crawl every {every_minutes} minutes; the weekly report on {when}.",
        "# Cron mails what a command prints: with --quiet a run prints only when something went wrong.",
    ]
    names = environment_names(config)
    if names:
        lines.append(f"# The config reads {', '.join(names)} from the environment: set "
                     f"{'it' if len(names) == 1 else 'them'} above these lines (NAME=value) or in an env file.")
    lines.append(f"{schedule(every_minutes)} {_command([*command, 'run', '--quiet', '--config', str(config)])}")
    lines.append(f"{minute} {hour} * * {DAYS.index(report_day)} "
                 f"{_command([*command, 'report', '--quiet', '--config', str(config)])}")
    return lines
