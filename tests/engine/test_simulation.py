"""The simulation CLI: a small replay writes its table and PNG, and its counts match the rows it wrote.

It replays on the suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL), through the
real entry point in a subprocess; a second test replays on the CLI's default temporary database.
"""
import csv
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from engine.simulation.replay import escalation_counts

ROOT = Path(__file__).resolve().parents[2]


def simulate(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "engine", "simulate", "--quiet", *args],
                         cwd=ROOT, capture_output=True, text=True, timeout=240, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def read_rows(out: Path) -> list[dict]:
    with (out / "forecast.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def fired_per_department(rows: list[dict]) -> Counter:
    fired = Counter()
    for row in rows:
        fired[row["department"]] += int(row["escalated"])
    return fired


def test_simulation_cli_counts_match_escalation_rows(clean_db, tmp_path):
    out = tmp_path / "out"
    run = simulate("--cases", "40", "--days", "30", "--capacity", "police=2,hrss=1", "--failure-rate", "0.05",
                   "--database-url", clean_db, "--out", str(out))
    assert "police" in run.stdout and "40 件办件" in run.stdout
    png = (out / "forecast.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    rows = read_rows(out)
    assert len({r["day"] for r in rows}) == 30
    written = escalation_counts(clean_db)
    assert +fired_per_department(rows) == +written and sum(written.values()) > 0
    assert written["police"] > 0    # two hukou registrations a day cannot keep up with 40 cases
    last_police = [r for r in rows if r["department"] == "police"][-1]
    assert int(last_police["open"]) > 0 and int(last_police["overdue"]) > 0


@pytest.mark.no_db   # its own temporary database
def test_a_month_of_a_thousand_cases_on_the_default_database(tmp_path):
    """Issue 8's replay, whole: 1,000 Qinbei cases over 30 days on the CLI's own SQLite file, left for
    inspection; its table and PNG are written and its counts are the escalation rows in that file."""
    out = tmp_path / "out"
    run = simulate("--cases", "1000", "--days", "30", "--capacity", "health=60,police=40", "--out", str(out),
                   env={**os.environ, "TMPDIR": str(tmp_path)})  # its temporary file goes with the test's
    assert "1000 件办件" in run.stdout and (out / "forecast.png").read_bytes()[:4] == b"\x89PNG"
    assert len({r["day"] for r in read_rows(out)}) == 30
    url = re.search(r"数据库：(\S+)", run.stdout).group(1)
    path = Path(url.removeprefix("sqlite:///"))
    assert url.startswith("sqlite:///") and path.is_file() and tmp_path in path.parents
    written = escalation_counts(url)
    assert +fired_per_department(read_rows(out)) == +written
    assert written["health"] > 0  # reviews fall behind their limits in this month: escalations were fired
    assert re.search(r"（\d+ 步，每秒 \d+ 步）", run.stdout)
