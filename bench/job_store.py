"""CPU of reading the escalation job store the way each reconcile pass needs it (job id, next run).

    .venv/bin/python -m bench.job_store [--jobs 5000]

The scheduler (engine/deadlines/scheduler.py) compares the firings it wants with the jobs stored; the
store holds the next day's firings. APScheduler's ``get_jobs`` unpickles every job for that; the
scheduler's ``stored_run_times`` reads the two columns. Best of 3 each, this process's CPU.
"""
import argparse
import time
from datetime import datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bench.engine_overhead import fresh_pg


def _best(fn, repeat: int = 3) -> float:
    best = None
    for _ in range(repeat):
        started = time.process_time()
        fn()
        used = (time.process_time() - started) * 1000
        best = used if best is None else min(best, used)
    return best


def main(argv=None) -> dict:
    from engine.deadlines.scheduler import CHINA_ZONE, JOB_FUNCTION, stored_run_times
    from engine.store.db import make_engine
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--jobs", type=int, default=5000)
    args = parser.parse_args(argv)
    engine = make_engine(fresh_pg(args.pg, "bench_jobs"))
    store = SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")
    scheduler = BackgroundScheduler(timezone=CHINA_ZONE, jobstores={"default": store})
    scheduler.start(paused=True)  # stores jobs, runs none
    try:
        first = datetime.now(CHINA_ZONE) + timedelta(hours=1)
        for i in range(args.jobs):
            scheduler.add_job(JOB_FUNCTION, "date", run_date=first + timedelta(seconds=i),
                              args=[f"task:{i}", "warning", "registry"], id=f"task:{i}|warning")
        unpickled = _best(lambda: {job.id: job.next_run_time for job in scheduler.get_jobs(jobstore="default")})
        columns = _best(lambda: stored_run_times(store))
        assert len(stored_run_times(store)) == args.jobs
    finally:
        scheduler.shutdown(wait=False)
        engine.dispose()
    result = {"jobs": args.jobs, "get_jobs_cpu_ms": unpickled, "stored_run_times_cpu_ms": columns,
              "ratio": unpickled / columns if columns else None}
    print(f"{args.jobs} stored jobs: get_jobs {unpickled:.1f} CPU ms, stored_run_times {columns:.1f} CPU ms "
          f"({result['ratio']:.1f}x less)")
    return result


if __name__ == "__main__":
    main()
