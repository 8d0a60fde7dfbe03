"""The server's CPU for a request that does (almost) nothing: what gunicorn, Flask and our hooks cost
before any view works, the floor under every completion's two HTTP requests.

    .venv/bin/python -m bench.request_floor [--pg postgresql://postgres@127.0.0.1:5432] [--requests 2400]

Starts the production shape's API alone (``python -m api.production``, no workers, no scheduler) and
sends ``GET /engine-rest/version`` (no authentication, no database) and ``GET
/api/v1/calendar/add-working-days`` (a bearer token, no database) from 8 keep-alive connections; prints
the server's CPU (user and system) per request, from /proc. Run it twice side by side to compare.
"""
import argparse
import time

from bench import cpu, http_load
from bench.engine_overhead import fresh_pg

CONNECTIONS = 8


def measure(server_pid: int, path: str, headers: dict | None, total: int) -> dict:
    before, started = cpu.tree_user_system(server_pid), time.perf_counter()
    sent, _, errors, _ = http_load.timed_calls(CONNECTIONS, lambda _: range(total // CONNECTIONS),
                                               lambda client, _: client.get(path, headers).status_code == 200)
    after, elapsed = cpu.tree_user_system(server_pid), time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{path}: {errors} of {sent} requests failed")
    return {"requests": sent, "per_second": sent / elapsed,
            "user_ms": 1000 * (after[0] - before[0]) / sent, "system_ms": 1000 * (after[1] - before[1]) / sent}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--requests", type=int, default=2400)
    args = parser.parse_args(argv)
    with http_load.running_server(fresh_pg(args.pg, "bench_floor"), 4, background=False) as server:
        admin = http_load.token("admin")
        paths = {"version": ("/engine-rest/version", None),
                 "add-working-days": ("/api/v1/calendar/add-working-days?from=2026-12-01&days=5", admin)}
        results = {}
        for name, (path, headers) in paths.items():
            measure(server.pid, path, headers, CONNECTIONS * 20)  # warm every process and connection
            results[name] = found = measure(server.pid, path, headers, args.requests)
            print(f"{name:18s} {found['per_second']:6.0f} requests/s, server CPU per request: "
                  f"user {found['user_ms']:.3f} ms, system {found['system_ms']:.3f} ms")
        return results


if __name__ == "__main__":
    main()
