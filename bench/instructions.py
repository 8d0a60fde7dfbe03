"""Instructions per Qinbei case through the engine, counted by valgrind (cachegrind): the A/B figure for a
machine whose speed moves by a fifth within minutes (bench/NOTES.md).

    .venv/bin/python -m bench.instructions [--cases 5] [--warm 2] [--pg postgresql://postgres@127.0.0.1:5432]

Runs this module's driver twice under ``valgrind --tool=cachegrind --cache-sim=no``: ``--warm`` cases
only, then ``--warm`` and ``--cases`` more (as ``bench.engine_overhead`` runs them: a clerk's claim +
complete, a worker's fetchAndLock + complete, no HTTP), and prints the difference per case. It counts this
process only (PostgreSQL's backend not), on a fresh SQLite file or, with ``--pg``, a fresh database.
Repeated runs agree within about 4 % (dict order, UUIDs, the collector's timing); a change is judged by
running it in both trees. About a minute per run. Needs valgrind (Debian's package).
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5)
    parser.add_argument("--warm", type=int, default=2, help="cases run first (imports, caches) in both runs")
    parser.add_argument("--pg", default=None, help="server URL, no database: run on PostgreSQL")
    parser.add_argument("--drive", nargs=2, type=int, metavar=("WARM", "CASES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        drive(*args.drive, args.pg)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    before = count(args.warm, 0, args.pg)
    after = count(args.warm, args.cases, args.pg)
    per_case = (after - before) / args.cases
    print(f"{'PostgreSQL' if args.pg else 'SQLite'}: {per_case / 1e6:.1f} M instructions per case "
          f"({args.cases} cases after {args.warm}; {before / 1e9:.2f} G for start-up and the warm cases)")
    return 0


def count(warm: int, cases: int, pg: str | None) -> int:
    """Instructions of one run of the driver under cachegrind."""
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
               sys.executable, "-m", "bench.instructions", "--drive", str(warm), str(cases)]
    if pg:
        command += ["--pg", pg]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def drive(warm: int, cases: int, pg: str | None) -> None:
    from bench import qinbei
    from bench.engine_overhead import engine_case, fresh_pg, prepare_database
    from engine import SimulatedDepartment
    url = fresh_pg(pg, "bench_instructions") if pg else f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    factory, definition_id = prepare_database(url)
    facts, form, department = qinbei.facts(), qinbei.sample_form(), SimulatedDepartment(seed=1)
    for _ in range(warm + cases):
        engine_case(factory, definition_id, facts, form, department, {})


if __name__ == "__main__":
    raise SystemExit(main())
