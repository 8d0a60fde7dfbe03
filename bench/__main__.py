"""The whole bench in one command, each phase on a fresh database; writes bench/RESULTS.md.

    .venv/bin/python -m bench [--quick] [--pg postgresql://postgres@127.0.0.1:5432] [--out bench/RESULTS.md]

Phases: engine cost per case against the bare SpiffWorkflow floor (SQLite, PostgreSQL); the production
shape over HTTP on PostgreSQL (cases created; clerks' claim + complete with the worker processes'
fetchAndLock + complete meanwhile, CPU of every process, a py-spy profile of the API processes);
GET /api/v1/tasks at 100k open / 1M finished tasks; escalation firing; the 1,000-case month replay.
``--quick`` shrinks every phase (a smoke run, about 3 minutes); its figures are not the targets'.
"""
import argparse
import json
import os
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import cpu, engine_overhead, http_load, results, simulation

HERE = Path(__file__).parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small phases: a smoke run, not the figures")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    stamp = datetime.now(timezone.utc)
    profile = HERE / "profiles" / f"api-{stamp:%Y%m%d-%H%M}.collapsed.txt"
    run = {"started": stamp.isoformat(timespec="seconds"), "quick": args.quick, "load": {}}
    began = time.perf_counter()

    def phase(name, fn):
        run["load"][name] = os.getloadavg()
        print(f"== {name}: load average {run['load'][name][0]:.2f} {run['load'][name][1]:.2f}", flush=True)
        run[name] = fn()

    phase("engine", lambda: engine_overhead.main(["--cases", "5" if args.quick else "20", "--pg", args.pg]))
    http_args = ["--pg", args.pg, "--profile", str(profile)]
    http_args += (["--cases", "200", "--list-requests", "100", "--fire", "300", "--open", "10000",
                   "--finished", "100000"] if args.quick else ["--cases", "800", "--list-requests", "600"])
    phase("http", lambda: http_load.main(http_args))
    phase("simulation", lambda: simulation.run(["--cases", "200" if args.quick else "1000"]))
    run["load"]["end"] = os.getloadavg()
    run["seconds"] = time.perf_counter() - began
    if profile.exists():
        summary = profile.with_name(profile.name.replace(".collapsed.txt", ".summary.txt"))
        summary.write_text(cpu.summarise(profile))
        subprocess.run(["gzip", "-9", "-f", str(profile)], check=True)  # 2-3 MB of text: kept compressed
        profile = profile.with_name(profile.name + ".gz")
        run["profile"] = {"collapsed": str(profile.relative_to(HERE.parent)),
                          "summary": str(summary.relative_to(HERE.parent))}
    (HERE / "profiles" / "last-run.json").write_text(json.dumps(run, indent=1, default=str))
    args.out.write_text(results.render(run))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
