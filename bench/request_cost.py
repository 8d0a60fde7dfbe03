"""CPU and statements per request kind, without a server: the app (production configuration) under
Flask's test client on a fresh PostgreSQL database, one thread, so each request's thread CPU is its own.

    .venv/bin/python -m bench.request_cost [--cases 40] [--cache 128]

Families file Qinbei cases, a clerk claims and completes each acceptance review, a worker fetches and
locks up to 5 tasks of every topic and completes each with the simulated department's answer. Prints,
per kind, thread CPU ms (p50, mean), the CPU ms of PostgreSQL's backends meanwhile (mean; from their
schedstat) and statements. ``--cache 0`` turns the workflow cache off, so
every step loads its workflow as three in four do under ``make serve`` (4 API processes).
Noise: compare runs only side by side; alternate base and change (a worktree of the base).
"""
import argparse
import collections
import os
import statistics
import time

from sqlalchemy import event

from bench import qinbei
from bench.cpu import on_cpu_ns
from bench.engine_overhead import fresh_pg


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--cache", type=int, default=None, help="workflows kept per process (0: none)")
    args = parser.parse_args(argv)
    url = fresh_pg(args.pg, "bench_requests")
    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench-secret-key-0123456789", SEED_DEMO="1",
                      LOGIN_MAX_FAILURES="1000")
    from api import create_app
    from api.config import Config
    from api.extensions import db
    from api.production import prepare, settings
    from engine import SimulatedDepartment
    from engine.store.workflow_cache import workflow_cache
    from workers.client import plain_variables, typed_variables
    if args.cache is not None:
        workflow_cache.size = args.cache
    topics = prepare(settings())
    app = create_app(Config(RUN_WORKERS=False, RUN_SCHEDULER=False))
    statements, backends = [0], set()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
        event.listen(db.engine, "connect", lambda dbapi, _record: backends.add(dbapi.info.backend_pid))
    client, cpu, counted = app.test_client(), collections.defaultdict(list), collections.defaultdict(list)
    backend_cpu = collections.defaultdict(list)

    def backend_ns():
        return sum(on_cpu_ns(pid) for pid in backends)

    def login(username):
        token = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"}).json
        return {"Authorization": f"Bearer {token['access_token']}"}

    def timed(kind, call):
        before, started, in_backends = statements[0], time.thread_time(), backend_ns()
        response = call()
        cpu[kind].append((time.thread_time() - started) * 1000)
        backend_cpu[kind].append((backend_ns() - in_backends) / 1e6)
        counted[kind].append(statements[0] - before)
        if response.status_code >= 300:
            raise RuntimeError(f"{kind}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        return response

    family, admin, worker = login(f"{qinbei.REGION}.family"), login("admin"), login("worker")
    body = {"region": qinbei.REGION, "items": qinbei.ALL_ITEMS, "form": qinbei.sample_form()}
    for _ in range(args.cases):
        timed("create case", lambda: client.post("/api/v1/cases", headers=family, json=body))
    listed = client.get("/api/v1/tasks", headers=admin, query_string={
        "region": qinbei.REGION, "claimable": "true", "per_page": 500}).json["items"]
    reviews = [t["id"] for t in listed if t["form_key"] == "acceptance_review"]
    clerk = login(f"{qinbei.REGION}.{listed[0]['candidate_groups'][0]}")
    answer = {"data": qinbei.answer_for("acceptance_review")}
    for task_id in reviews:
        timed("claim", lambda: client.post(f"/api/v1/tasks/{task_id}/claim", headers=clerk))
        timed("complete (review)", lambda: client.post(f"/api/v1/tasks/{task_id}/complete", headers=clerk,
                                                       json=answer))
    department, fetch = SimulatedDepartment(seed=1), {
        "workerId": "bench", "maxTasks": 5, "topics": [{"topicName": t, "lockDuration": 60_000} for t in topics]}
    while True:
        locked = timed("fetchAndLock", lambda: client.post("/engine-rest/external-task/fetchAndLock",
                                                           headers=worker, json=fetch)).json
        if not locked:
            break
        for task in locked:
            answer = department.call(task["topicName"], plain_variables(task.get("variables") or {}), task["id"])
            timed("complete (worker)", lambda: client.post(
                f"/engine-rest/external-task/{task['id']}/complete", headers=worker,
                json={"workerId": "bench", "variables": typed_variables(answer)}))
    results = {kind: {"requests": len(values), "cpu_ms_p50": statistics.median(values),
                      "cpu_ms_mean": statistics.fmean(values), "backend_cpu_ms_mean": statistics.fmean(backend_cpu[kind]),
                      "statements": statistics.fmean(counted[kind])}
               for kind, values in cpu.items()}
    for kind, r in results.items():
        print(f"{kind:18s} {r['requests']:5d} requests  CPU p50 {r['cpu_ms_p50']:6.2f} ms, "
              f"mean {r['cpu_ms_mean']:6.2f} ms  backend mean {r['backend_cpu_ms_mean']:5.2f} ms  "
              f"statements {r['statements']:.1f}")
    return results


if __name__ == "__main__":
    main()
