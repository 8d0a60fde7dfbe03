"""p50/p99 of GET /api/v1/tasks (first page, default sort) on a kept bulk database, one client.

    .venv/bin/python -m bench.list_latency --build      # fresh database, 100k open + 1M finished tasks
    .venv/bin/python -m bench.list_latency              # measure again on the same database

The API alone (``python -m api.production`` without workers or scheduler, as bench.http_load's list
phase); the five regions' supervisors, then every clerk of the five regions and a hospital clerk
(institution scope) per region, in turn. Keeping the database lets a change to the list query be
measured before and after on the same rows.
"""
import argparse
import time
from datetime import datetime

import requests
from sqlalchemy import text

from bench import bulk, http_load
from bench.engine_overhead import fresh_pg
from bench.http_load import pct, running_server, token
from engine.store.db import make_engine

# a port of its own: bench.http_load (8222) may be running for someone else on this shared machine
http_load.PORT, http_load.BASE = 8232, "http://127.0.0.1:8232"
BASE = http_load.BASE
REGIONS = ["gx-qinzhou-qinbei", "cq-jiangjin", "sc-dazhou-tongchuan", "sc-province", "he-province"]


def callers(url: str) -> dict[str, list[str]]:
    """The supervisors; every clerk (lanes with much, little or no open work) and a hospital clerk of each
    region's health lane (institution H03 of the bulk data's 20)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO users (username, password_hash, display_name, role, region, groups, institution, active)
            SELECT username || '.h03', password_hash, display_name, role, region, groups, 'H03', true
            FROM users WHERE role = 'clerk' AND groups::text = '["health"]' AND institution IS NULL
            ON CONFLICT (username) DO NOTHING"""))
        clerks = conn.scalars(text("SELECT username FROM users WHERE role = 'clerk' ORDER BY username")).all()
    engine.dispose()
    return {"supervisor": [f"{r}.supervisor" for r in REGIONS], "clerk": clerks}


def measure(users: list[str], count: int, params: dict) -> dict:
    """``count`` requests round-robin over ``users``, one at a time; one unmeasured request each first."""
    session, headers = requests.Session(), [token(u) for u in users]
    for h in headers:  # connection pools and per-process caches, not the query, on the first hit
        session.get(f"{BASE}/api/v1/tasks", headers=h, params=params).raise_for_status()
    latencies, totals, per_user = [], {}, {u: [] for u in users}
    for n in range(count):
        started = time.perf_counter()
        response = session.get(f"{BASE}/api/v1/tasks", headers=headers[n % len(headers)], params=params)
        latencies.append(time.perf_counter() - started)
        per_user[users[n % len(users)]].append(latencies[-1])
        response.raise_for_status()
        body = response.json()
        totals[users[n % len(users)]] = body["total"], body.get("total_capped")
    slowest = sorted(per_user, key=lambda u: -pct(per_user[u], 50))[:3]
    return {"requests": count, "p50_ms": round(pct(latencies, 50), 1), "p99_ms": round(pct(latencies, 99), 1),
            "max_ms": round(max(latencies) * 1000, 1),
            "slowest_p50_ms": {u: round(pct(per_user[u], 50), 1) for u in slowest}, "totals": totals}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="bench_list")
    parser.add_argument("--build", action="store_true", help="drop and regenerate the database first")
    parser.add_argument("--requests", type=int, default=600, help="per role")
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--page", type=int, default=1)
    args = parser.parse_args(argv)
    url = fresh_pg(args.pg, args.db) if args.build else f"{args.pg}/{args.db}"
    with running_server(url, args.api_processes, background=False):  # migrates, deploys, seeds users
        results = {}
        if args.build:
            started = time.perf_counter()
            results["generated"] = bulk.generate(url, 100_000, 1_000_000, datetime.now())
            results["generated"]["seconds"] = round(time.perf_counter() - started, 1)
            print("generated", results["generated"], flush=True)
        for role, users in callers(url).items():
            results[role] = measure(users, args.requests, {"page": args.page})
            print(role, results[role], flush=True)
        return results


if __name__ == "__main__":
    main()
