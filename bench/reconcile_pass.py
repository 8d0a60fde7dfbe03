"""CPU of one full and one incremental escalation reconcile pass (``escalation.pending``) over bulk rows.

    .venv/bin/python -m bench.reconcile_pass --build [--db bench_reconcile] [--open 100000] [--finished 0]
    .venv/bin/python -m bench.reconcile_pass [--db bench_reconcile]      # measure again on the same rows
    .venv/bin/python -m bench.reconcile_pass --drop                      # measure, then drop the database

The scheduler's passes as it runs them (engine/deadlines/scheduler.py): the full one (at start, hourly as a
repair) reads every open task and case due up to the horizon plus 40 days; the incremental one (every other
minute) reads the subjects due within the window between the previous pass's limit, a minute earlier, and
its own. Best of ``--repeat`` each: CPU of this process, CPU of its PostgreSQL backend, rows read, firings.
``bench.http_load``'s scheduler phase prints the same figures on its bulk rows.
"""
import argparse
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench import bulk, cpu
from bench.engine_overhead import fresh_pg

ROOT = Path(__file__).resolve().parents[1]
DEFINITION_IDS = text("SELECT id FROM definitions")


def measure(engine, now: datetime, interval: timedelta = timedelta(seconds=60), repeat: int = 3) -> dict:
    """A full and an incremental pass at ``now`` (the incremental one after a pass ``interval`` earlier)."""
    from engine.deadlines import escalation
    from engine.deadlines.calendar import default_calendar
    from engine.deadlines.scheduler import HORIZON
    from engine.store.db import make_session_factory
    calendar, factory = default_calendar(), make_session_factory(engine)
    since = now - interval + HORIZON
    full = _best(factory, engine.url.database, repeat,
                 lambda s: escalation.pending(s, calendar, now, HORIZON))
    incremental = _best(factory, engine.url.database, repeat,
                        lambda s: escalation.pending(s, calendar, now, HORIZON, since=since))
    with factory() as session:
        first, last = escalation.window(calendar, since, now + HORIZON,
                                        *escalation.reach(session, session.scalars(DEFINITION_IDS).all()))
        full["rows"] = _rows(session, escalation.PLANNED_TASKS, escalation.PLANNED_CASES,
                             {"until": now + HORIZON + escalation.LOOKAHEAD})
        incremental["rows"] = _rows(session, escalation.WINDOW_TASKS, escalation.WINDOW_CASES,
                                    {"since": first, "until": last})
    return {"full_pass": full, "incremental_pass": incremental, "window": [first.isoformat(), last.isoformat()],
            "cpu_ratio": full["cpu_ms"] / incremental["cpu_ms"] if incremental["cpu_ms"] else None}


def _best(factory, database: str, repeat: int, run) -> dict:
    best = None
    for _ in range(repeat):
        with factory() as session:
            session.connection()  # connected before the meter starts
            backends, started, wall = cpu.postgres_backends(database), time.process_time(), time.perf_counter()
            firings = len(run(session))
            measured = {"cpu_ms": (time.process_time() - started) * 1000,
                        "wall_ms": (time.perf_counter() - wall) * 1000,
                        "postgres_cpu_ms": 1000 * sum(v - backends.get(pid, 0.0)
                                                      for pid, v in cpu.postgres_backends(database).items()),
                        "firings": firings}
        if best is None or measured["cpu_ms"] < best["cpu_ms"]:
            best = measured
    return best


def _rows(session, tasks, cases, bounds: dict) -> dict:
    connection = session.connection()
    return {"tasks": len(connection.execute(tasks, bounds).all()),
            "cases": len(connection.execute(cases, bounds).all())}


def build(url: str, open_tasks: int, finished: int) -> dict:
    """Migrate, deploy every region, bulk-generate the rows (bench/bulk.py)."""
    from engine.definitions import deploy_folder
    from engine.store.db import make_session_factory, upgrade
    upgrade(url)
    with make_session_factory(url)() as session:
        deploy_folder(session, ROOT / "bpmn", datetime.now())
        session.commit()
    return bulk.generate(url, open_tasks, finished, datetime.now())


def generated_at(engine) -> datetime:
    """When the rows were generated: bulk cases were submitted up to a day before (bench/bulk.py)."""
    with engine.connect() as conn:
        return conn.scalar(text("SELECT max(submitted_at) FROM cases")) + timedelta(days=1)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--db", default="bench_reconcile")
    parser.add_argument("--build", action="store_true", help="drop and regenerate the database first")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--open", type=int, default=100_000, help="open tasks (and as many open cases)")
    parser.add_argument("--finished", type=int, default=0, help="finished tasks")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from engine.store.db import make_engine
    url = fresh_pg(args.pg, args.db) if args.build else f"{args.pg}/{args.db}"
    out = {"generated": build(url, args.open, args.finished)} if args.build else {}
    engine = make_engine(url)
    try:
        # as bench.http_load's scheduler phase: three days after generation, some work overdue
        out.update(measure(engine, generated_at(engine) + timedelta(days=3), repeat=args.repeat))
    finally:
        engine.dispose()
        if args.drop:
            _drop(args.pg, args.db)
    print(report(out))
    return out


def report(out: dict) -> str:
    full, incremental = out["full_pass"], out["incremental_pass"]
    return "\n".join([
        f"full pass:        {full['cpu_ms']:7.0f} CPU ms (PostgreSQL {full['postgres_cpu_ms']:.0f} ms), "
        f"rows {full['rows']}, {full['firings']} firings",
        f"incremental pass: {incremental['cpu_ms']:7.0f} CPU ms "
        f"(PostgreSQL {incremental['postgres_cpu_ms']:.0f} ms), rows {incremental['rows']}, "
        f"{incremental['firings']} firings; window {out['window'][0]} – {out['window'][1]}",
        f"full / incremental CPU: {out['cpu_ratio']:.1f}×"])


def _drop(base: str, name: str) -> None:
    from engine.store.db import make_engine
    admin = make_engine(f"{base}/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


if __name__ == "__main__":
    main()
