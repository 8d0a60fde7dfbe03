"""The month replay's speed: 1,000 Qinbei cases over 30 virtual days (the issue's "under a minute").

    .venv/bin/python -m bench.simulation [--cases 1000] [--days 30] [--capacity health=60,police=40]
                                         [--failure-rate 0.05] [--database-url URL] [--profile 30]

Runs ``engine.simulation.replay.Simulation`` as ``python -m engine simulate`` does (default: a temporary
SQLite file without fsync) and prints wall time, cases/s and engine steps/s
(case starts plus task completions, counted by an engine listener), with the load average
before and after: the machine is shared, so a figure means little without it. ``--profile N``
runs under cProfile and prints the N most expensive functions (cumulative); the times are then
about twice the real ones. Not a test: nothing here asserts a time.
"""
import argparse
import cProfile
import os
import pstats
import time
from datetime import datetime

from engine.simulation.replay import Simulation, SimulationConfig, totals
from engine.simulation.cli import parse_capacity


def main(argv=None) -> int:
    run(argv)
    return 0


def run(argv=None) -> dict:
    """The replay once; prints and returns its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.simulation")
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--capacity", default="", help="department=tasks per working day")
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--database-url", default=None, help="default: in-memory SQLite")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    args = parser.parse_args(argv)
    config = SimulationConfig(cases=args.cases, days=args.days, capacity=parse_capacity(args.capacity),
                              failure_rate=args.failure_rate, start=datetime(2025, 9, 29),
                              database_url=args.database_url)
    load_before = os.getloadavg()
    profiler = cProfile.Profile() if args.profile else None
    began = time.perf_counter()
    if profiler:
        profiler.enable()
    result = Simulation(config).run()
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - began
    load_after = os.getloadavg()
    print(f"simulation: {result.started} cases, {config.days} virtual days, {result.steps} engine steps")
    print(f"  wall {elapsed:.1f} s   {result.started / elapsed:.1f} cases/s   {result.steps / elapsed:.0f} steps/s"
          f"{'   (under cProfile)' if profiler else ''}")
    print(f"  escalations fired: {dict(sorted(totals(result.rows).items()))}")
    print(f"  load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min); {os.cpu_count()} cores")
    print(f"  database: {result.database_url}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    return {"cases": result.started, "days": config.days, "steps": result.steps, "seconds": elapsed,
            "load_before": load_before[0], "load_after": load_after[0]}


if __name__ == "__main__":
    raise SystemExit(main())
