"""`mentionwatch --help` answers at once: starting the CLI loads no database layer, crawler,
numeric library or config models (each command imports what it needs when it runs)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sqlalchemy", "scrapy", "twisted", "numpy", "pydantic")

PROBE = """
import json, sys
from mentionwatch.cli import cli
try:
    cli(["--help"], prog_name="mentionwatch")
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def test_help_loads_no_database_crawler_numpy_or_config_models():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    assert "report" in done.stdout and "Usage: mentionwatch" in done.stdout
    assert [name for name in HEAVY if name in result["loaded"]] == []


def test_importing_the_cli_loads_none_of_them_either():
    probe = "import json, sys, mentionwatch.cli; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    assert [name for name in HEAVY if name in loaded] == []
