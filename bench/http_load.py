"""HTTP load against the production shape (``python -m api.production``) on PostgreSQL, from one run.

    .venv/bin/python -m bench.http_load [--pg postgresql://postgres@127.0.0.1:5432] [--cases 3000]

Prints and returns: cases created/s; user-task completions/s end to end (claim + complete + engine step
+ commit) while the worker processes serve the service tasks; p50/p99 of GET /api/v1/tasks with 100,000
open and 1,000,000 finished tasks bulk-generated; escalation firings/s with 100,000 pending task timers.
"""
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta

import requests
from sqlalchemy import text

from bench import bulk, qinbei
from bench.engine_overhead import fresh_pg

PORT = 8222
BASE = f"http://127.0.0.1:{PORT}"


def start_server(url: str, api_processes: int, background: bool = True, api_threads: int = 4) -> subprocess.Popen:
    """The production shape; without ``background`` only the API (no workers, no scheduler)."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-0123456789", "SEED_DEMO": "1",
           "PORT": str(PORT), "API_PROCESSES": str(api_processes), "API_THREADS": str(api_threads),
           "WORKER_PROCESSES": "2" if background else "0", "SCHEDULERS": "1" if background else "0",
           "LOGIN_MAX_FAILURES": "1000"}
    log = open("/tmp/bench-http-server.log", "a")
    process = subprocess.Popen([sys.executable, "-m", "api.production"], env=env, stdout=log, stderr=log,
                               start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if requests.get(f"{BASE}/ready", timeout=5).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.5)
    os.killpg(process.pid, 15)
    raise RuntimeError("the production shape did not become ready; see /tmp/bench-http-server.log")


def token(username: str) -> dict:
    response = requests.post(f"{BASE}/api/v1/auth/token", json={"username": username, "password": "demo"})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# ---- client processes (each with threads): one function per phase ----------------------------

def _threads(n: int, fn) -> list:
    results = [None] * n
    workers = [threading.Thread(target=lambda i=i: results.__setitem__(i, fn(i))) for i in range(n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results


def _timed(threads: int, jobs_of, call) -> tuple[int, list[float], int]:
    """``threads`` threads, each with its own HTTP session, timing ``call(session, job)`` (True when it
    succeeded) for every job of ``jobs_of(thread index)``: (calls, latencies, errors)."""
    def run(i):
        session, lat, errors = requests.Session(), [], 0
        for job in jobs_of(i):
            started = time.perf_counter()
            ok = call(session, job)
            lat.append(time.perf_counter() - started)
            errors += not ok
        return lat, errors
    out = _threads(threads, run)
    return sum(len(lat) for lat, _ in out), [x for lat, _ in out for x in lat], sum(e for _, e in out)


def create_cases(args) -> tuple[int, list[float], int]:
    headers, count, threads = args
    body = {"region": qinbei.REGION, "items": qinbei.ALL_ITEMS, "form": qinbei.sample_form()}
    return _timed(threads, lambda _: range(count // threads),
                  lambda session, _: session.post(f"{BASE}/api/v1/cases", headers=headers, json=body)
                  .status_code == 201)


def complete_tasks(args) -> tuple[int, list[float], int]:
    headers, task_ids, threads = args
    answer = {"data": qinbei.answer_for("acceptance_review")}

    def claim_and_complete(session, task_id) -> bool:
        claimed = session.post(f"{BASE}/api/v1/tasks/{task_id}/claim", headers=headers)
        completed = session.post(f"{BASE}/api/v1/tasks/{task_id}/complete", headers=headers, json=answer)
        return claimed.status_code == 200 and completed.status_code == 200
    return _timed(threads, lambda i: task_ids[i::threads], claim_and_complete)


def list_tasks(args) -> tuple[int, list[float], int]:
    headers_list, count, threads = args
    return _timed(threads, lambda i: (headers_list[(i + n) % len(headers_list)] for n in range(count // threads)),
                  lambda session, headers: session.get(f"{BASE}/api/v1/tasks", headers=headers).status_code == 200)


def in_parallel(fn, jobs: list) -> tuple[float, int, list[float], int]:
    started = time.perf_counter()
    with ProcessPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(fn, jobs))
    elapsed = time.perf_counter() - started
    return elapsed, sum(r[0] for r in results), [x for r in results for x in r[1]], sum(r[2] for r in results)


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000 if len(values) > 1 else 0.0


# ---- phases -------------------------------------------------------------------------------

def phase_cases(n: int, clients: int) -> dict:
    family = token(f"{qinbei.REGION}.family")
    elapsed, done, lat, errors = in_parallel(create_cases, [(family, n // clients, 4)] * clients)
    return {"cases": done, "errors": errors, "seconds": elapsed, "per_second": done / elapsed,
            "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99)}


def review_tasks(admin: dict) -> tuple[list[str], str]:
    ids, group, page = [], None, 1
    while True:
        r = requests.get(f"{BASE}/api/v1/tasks", headers=admin, params={
            "region": qinbei.REGION, "claimable": "true", "per_page": 500, "page": page}).json()
        ids += [t["id"] for t in r["items"] if t["form_key"] == "acceptance_review"]
        group = group or next((t["candidate_groups"][0] for t in r["items"]), None)
        if page * 500 >= r["total"]:
            return ids, group
        page += 1


def phase_completions(engine, clients: int) -> dict:
    ids, group = review_tasks(token("admin"))
    clerk = token(f"{qinbei.REGION}.{group}")
    service_before = _completed_service(engine)
    jobs = [(clerk, ids[i::clients], 4) for i in range(clients)]
    elapsed, done, lat, errors = in_parallel(complete_tasks, jobs)
    service_done = _completed_service(engine) - service_before
    return {"completions": done, "errors": errors, "seconds": elapsed, "per_second": done / elapsed,
            "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "service_tasks_done_meanwhile": service_done,
            "service_per_second_meanwhile": service_done / elapsed,
            # every task completed through HTTP in the window: clerks' claim + complete and the worker
            # processes' fetchAndLock + complete on /engine-rest
            "all_tasks_per_second": (done + service_done) / elapsed}


def _completed_service(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM tasks WHERE kind='service' AND state='completed'"))


def phase_list(url: str, clients: int, requests_total: int) -> dict:
    """First page (sorted by due date, the default) as supervisors, then as clerks (their groups, region)."""
    started = time.perf_counter()
    generated = bulk.generate(url, 100_000, 1_000_000, datetime.now())
    generation = time.perf_counter() - started
    regions = ["gx-qinzhou-qinbei", "cq-jiangjin", "sc-dazhou-tongchuan", "sc-province", "he-province"]
    out = {**generated, "generation_seconds": generation}
    for role, users in (("supervisor", [f"{r}.supervisor" for r in regions]), ("clerk", _clerk_names(regions))):
        headers = [token(u) for u in users]
        _, done, lat, errors = in_parallel(list_tasks, [(headers, requests_total // 4, 1)])  # one client
        out[role] = {"users": len(users), "serial_requests": done, "serial_errors": errors,
                     "serial_p50_ms": pct(lat, 50), "serial_p99_ms": pct(lat, 99)}
        elapsed, done, lat, errors = in_parallel(list_tasks, [(headers, requests_total // clients, 4)] * clients)
        out[role].update({"concurrent_clients": clients * 4, "requests": done, "errors": errors,
                          "per_second": done / elapsed, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99)})
    return out


def _clerk_names(regions) -> list[str]:
    from api.demo import region_lanes_and_topics
    from api.regions import RegionRegistry
    registry = RegionRegistry(qinbei.ROOT / "bpmn")
    return [f"{r}.{lane}" for r in regions for lane in list(region_lanes_and_topics(registry.get(r))[0])[:2]]


def phase_scheduler(engine, sample: int) -> dict:
    """Escalation firing with 100,000 pending task timers (the open tasks have limits and due times)."""
    from engine.deadlines import escalation
    from engine.deadlines.calendar import default_calendar
    from engine.deadlines.clock import VirtualClock
    from engine.store.db import make_session_factory
    calendar, factory = default_calendar(), make_session_factory(engine)
    clock = VirtualClock(datetime.now() + timedelta(days=3))
    with factory() as session:
        started = time.perf_counter()
        due = escalation.pending(session, calendar, clock.now(), timedelta(0))
        scan = time.perf_counter() - started
        timers = len(escalation.pending(session, calendar, clock.now(), timedelta(days=60)))
    fired, started = 0, time.perf_counter()
    with factory() as session:
        for firing in due[:sample]:
            fired += escalation.fire(session, clock, calendar, firing.subject, firing.level.value) is not None
    elapsed = time.perf_counter() - started
    return {"pending_timers": timers, "due_now": len(due), "scan_seconds": scan, "fired": fired,
            "fire_seconds": elapsed, "per_second": fired / elapsed if elapsed else 0}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0")
    pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
                        capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "memory_gb": round(int(mem) / 1048576, 1), "cpu": cpu,
            "python": sys.version.split()[0], "postgresql": pg}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4, help="client processes (4 threads each)")
    parser.add_argument("--api-processes", type=int, default=4)
    parser.add_argument("--list-requests", type=int, default=1000, help="per role")
    parser.add_argument("--fire", type=int, default=3000, help="escalations to fire")
    args = parser.parse_args(argv)
    from engine.store.db import make_engine
    url = fresh_pg(args.pg, "bench_http")
    server = start_server(url, args.api_processes)
    engine = make_engine(url)
    try:
        results = {"machine": machine(), "cases": phase_cases(args.cases, args.clients)}
        print("cases", results["cases"], flush=True)
        results["completions"] = phase_completions(engine, args.clients)
        print("completions", results["completions"], flush=True)
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)
    server = start_server(url, args.api_processes, background=False)  # the list alone: no worker backlog
    try:
        results["list"] = phase_list(url, args.clients, args.list_requests)
        print("list", results["list"], flush=True)
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)
    results["scheduler"] = phase_scheduler(engine, args.fire)
    print("scheduler", results["scheduler"], flush=True)
    return results


if __name__ == "__main__":
    main()
