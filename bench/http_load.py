"""HTTP load against the production shape (``python -m api.production``) on PostgreSQL, from one run.

    .venv/bin/python -m bench.http_load [--pg postgresql://postgres@127.0.0.1:5432] [--cases 3000]

Prints and returns: cases created/s; user-task completions/s end to end (claim + complete + engine step
+ commit) while the worker processes serve the service tasks; p50/p99 of GET /api/v1/tasks with 100,000
open and 1,000,000 finished tasks bulk-generated; escalation firings/s with 100,000 pending task timers.
"""
import argparse
import collections
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import text

from bench import bulk, cpu, qinbei, reconcile_pass
from bench.http_client import KeepAliveClient
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


@contextmanager
def running_server(url: str, api_processes: int, background: bool = True, api_threads: int = 4):
    """``start_server``'s process, stopped (its whole group) when the block ends."""
    server = start_server(url, api_processes, background, api_threads)
    try:
        yield server
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)


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


def timed_calls(threads: int, jobs_of, call) -> tuple[int, list[float], int, float]:
    """``threads`` threads, each with its own keep-alive connection, timing ``call(client, job)`` (True
    when it succeeded) for every job of ``jobs_of(thread index)``: (calls, latencies, errors, CPU seconds
    of this client process meanwhile)."""
    cpu = time.process_time()
    def run(i):
        client, lat, errors = KeepAliveClient(BASE), [], 0
        for job in jobs_of(i):
            started = time.perf_counter()
            ok = call(client, job)
            lat.append(time.perf_counter() - started)
            errors += not ok
        client.close()
        return lat, errors
    out = _threads(threads, run)
    return (sum(len(lat) for lat, _ in out), [x for lat, _ in out for x in lat], sum(e for _, e in out),
            time.process_time() - cpu)


def create_cases(args) -> tuple[int, list[float], int]:
    headers, count, threads = args
    body = {"region": qinbei.REGION, "items": qinbei.ALL_ITEMS, "form": qinbei.sample_form()}
    return timed_calls(threads, lambda _: range(count // threads),
                       lambda client, _: client.post("/api/v1/cases", headers, body).status_code == 201)


def complete_tasks(args) -> tuple[int, list[float], int]:
    headers, task_ids, threads = args
    answer = {"data": qinbei.answer_for("acceptance_review")}

    def claim_and_complete(client, task_id) -> bool:
        claimed = client.post(f"/api/v1/tasks/{task_id}/claim", headers)
        completed = client.post(f"/api/v1/tasks/{task_id}/complete", headers, answer)
        return claimed.status_code == 200 and completed.status_code == 200
    return timed_calls(threads, lambda i: task_ids[i::threads], claim_and_complete)


def list_tasks(args) -> tuple[int, list[float], int]:
    headers_list, count, threads = args
    return timed_calls(threads, lambda i: (headers_list[(i + n) % len(headers_list)] for n in range(count // threads)),
                       lambda client, headers: client.get("/api/v1/tasks", headers).status_code == 200)


def in_parallel(fn, jobs: list, client_cpu: list | None = None) -> tuple[float, int, list[float], int]:
    """Run the client processes; ``client_cpu`` (if given) receives their CPU seconds."""
    with ProcessPoolExecutor(len(jobs)) as pool:
        list(pool.map(time.sleep, [0.2] * len(jobs)))  # the processes started (and imported) first
        started = time.perf_counter()
        results = list(pool.map(fn, jobs))
        elapsed = time.perf_counter() - started
    if client_cpu is not None:
        client_cpu.append(sum(r[3] for r in results))
    return elapsed, sum(r[0] for r in results), [x for r in results for x in r[1]], sum(r[2] for r in results)


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000 if len(values) > 1 else 0.0


# ---- phases -------------------------------------------------------------------------------

def phase_cases(n: int, clients: int) -> dict:
    family = token(f"{qinbei.REGION}.family")
    elapsed, done, lat, errors = in_parallel(create_cases, [(family, n // clients, 4)] * clients)
    return {"cases": done, "errors": errors, "seconds": elapsed, "per_second": done / elapsed,
            "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99)}


def analyze(engine) -> None:
    """The database's statistics as a running system has them: autovacuum gathers them within a minute or
    so of a table's growth, while the bench fills a fresh database in seconds and would otherwise time
    plans made for empty tables (a claim scanning a region's 600 open tasks for its one)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


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


def phase_completions(engine, clients: int, server_pid: int = 0, profile: Path | None = None) -> dict:
    """Clerks claim + complete the acceptance reviews while the worker processes fetchAndLock + complete
    service tasks; with ``profile``, a quarter of the reviews first run under py-spy (not counted)."""
    ids, group = review_tasks(token("admin"))
    clerk = token(f"{qinbei.REGION}.{group}")
    out = {}
    if profile is not None:
        warm, ids = ids[:len(ids) // 4], ids[len(ids) // 4:]
        spy = cpu.start_profile(server_pid, profile, 600)
        in_parallel(complete_tasks, [(clerk, warm[i::clients], 4) for i in range(clients)])
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
            out["profile"] = str(profile)
    meter, client_cpu = cpu.Meter(server_pid, engine.url.database), []
    service_before, log_at = _completed_service(engine), _log_size()
    meter.start()
    jobs = [(clerk, ids[i::clients], 4) for i in range(clients)]
    elapsed, done, lat, errors = in_parallel(complete_tasks, jobs, client_cpu)
    used = meter.stop()
    service_done = _completed_service(engine) - service_before
    cpu_s = used["server_cpu_s"] + used["postgres_cpu_s"] + client_cpu[0]
    out.update({"completions": done, "errors": errors, "seconds": elapsed, "per_second": done / elapsed,
                "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "service_tasks_done_meanwhile": service_done,
                "service_per_second_meanwhile": service_done / elapsed,
                "server_errors": _log_errors(log_at),
                # every task completed through HTTP in the window: clerks' claim + complete and the worker
                # processes' fetchAndLock + complete on /engine-rest
                "all_tasks_per_second": (done + service_done) / elapsed,
                **used, "clients_cpu_s": client_cpu[0], "cpu_s": cpu_s,
                "cpu_ms_per_completion": 1000 * cpu_s / max(done + service_done, 1)})
    return out


SERVER_LOG = Path("/tmp/bench-http-server.log")


def _log_size() -> int:
    return SERVER_LOG.stat().st_size if SERVER_LOG.exists() else 0


def _log_errors(offset: int) -> dict:
    """Responses of 400 and above in gunicorn's access log since ``offset``, by status and path shape."""
    with SERVER_LOG.open("rb") as log:
        log.seek(offset)
        found = collections.Counter()
        for line in log.read().decode(errors="replace").splitlines():
            match = re.search(r'"(GET|POST|PUT|DELETE|PATCH) (\S+) [^"]*" (\d{3}) ', line)
            if match and int(match.group(3)) >= 400:
                found[f"{match.group(3)} {match.group(1)} {re.sub(r'[0-9a-f-]{36}', '{id}', match.group(2))}"] += 1
    return dict(found)


def _completed_service(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM tasks WHERE kind='service' AND state='completed'"))


def phase_list(url: str, clients: int, requests_total: int, open_tasks: int = 100_000,
               finished: int = 1_000_000) -> dict:
    """First page (sorted by due date, the default) as supervisors, then as clerks (their groups, region)."""
    started = time.perf_counter()
    generated = bulk.generate(url, open_tasks, finished, datetime.now())
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
            "fire_seconds": elapsed, "per_second": fired / elapsed if elapsed else 0,
            "reconcile": reconcile_pass.measure(engine, clock.now())}  # a full pass against an incremental one


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
    parser.add_argument("--api-threads", type=int, default=4)
    parser.add_argument("--list-requests", type=int, default=1000, help="per role")
    parser.add_argument("--fire", type=int, default=3000, help="escalations to fire")
    parser.add_argument("--open", type=int, default=100_000, help="open tasks of the list phase")
    parser.add_argument("--finished", type=int, default=1_000_000, help="finished tasks of the list phase")
    parser.add_argument("--no-list", action="store_true", help="cases and completions only (a quick A/B)")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy collapsed stacks of the API here")
    args = parser.parse_args(argv)
    from engine.store.db import make_engine
    url = fresh_pg(args.pg, "bench_http")
    engine = make_engine(url)
    with running_server(url, args.api_processes, api_threads=args.api_threads) as server:
        results = {"machine": machine(), "cases": phase_cases(args.cases, args.clients)}
        print("cases", results["cases"], flush=True)
        results["load_before_completions"] = os.getloadavg()
        analyze(engine)
        results["completions"] = phase_completions(engine, args.clients, server.pid, args.profile)
        results["load_after_completions"] = os.getloadavg()
        print("completions", results["completions"], flush=True)
    if args.no_list:
        return results
    # the list alone: no worker backlog
    with running_server(url, args.api_processes, background=False, api_threads=args.api_threads):
        results["list"] = phase_list(url, args.clients, args.list_requests, args.open, args.finished)
        print("list", results["list"], flush=True)
    results["scheduler"] = phase_scheduler(engine, args.fire)
    print("scheduler", results["scheduler"], flush=True)
    print(reconcile_pass.report(results["scheduler"]["reconcile"]), flush=True)
    return results


if __name__ == "__main__":
    main()
