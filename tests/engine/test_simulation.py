"""The simulation CLI: a small replay writes its table and PNG, and its counts match the rows it wrote."""
import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from engine.simulation import escalation_counts

pytestmark = pytest.mark.no_db   # its own temporary SQLite database
ROOT = Path(__file__).resolve().parents[2]


def test_simulation_cli_counts_match_escalation_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "engine", "simulate", "--cases", "40", "--days", "30",
                          "--capacity", "police=2,hrss=1", "--failure-rate", "0.05",
                          "--database-url", url, "--out", str(out), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "police" in run.stdout and "40 件办件" in run.stdout
    png = (out / "forecast.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    with (out / "forecast.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len({r["day"] for r in rows}) == 30
    fired = Counter()
    for row in rows:
        fired[row["department"]] += int(row["escalated"])
    written = escalation_counts(url)
    assert +fired == +written and sum(written.values()) > 0
    assert written["police"] > 0    # two hukou registrations a day cannot keep up with 40 cases
    last_police = [r for r in rows if r["department"] == "police"][-1]
    assert int(last_police["open"]) > 0 and int(last_police["overdue"]) > 0
