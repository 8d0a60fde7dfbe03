"""``python -m workers --url http://127.0.0.1:5000 --user worker --password demo --topics a,b``"""
import argparse
import json
import logging
import os
import socket

from workers.adapters import configured_adapter
from workers.client import EngineRestClient
from workers.process import ExternalWorker, pause_from_env


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m workers", description="外部任务工作者（部门系统适配器）")
    parser.add_argument("--url", default=os.environ.get("ENGINE_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--user", default=os.environ.get("WORKER_USER", "worker"))
    parser.add_argument("--password", default=os.environ.get("WORKER_PASSWORD", "demo"))
    parser.add_argument("--token", default=os.environ.get("WORKER_TOKEN"), help="bearer token instead of Basic")
    parser.add_argument("--topics", required=True, help="comma-separated topics")
    parser.add_argument("--adapter", choices=["simulated", "http"], default="simulated")
    parser.add_argument("--department-url", default=os.environ.get("DEPARTMENT_URL", "http://127.0.0.1:8900"))
    parser.add_argument("--topic-urls", default="{}", help='JSON {"topic": "url"} overriding --department-url')
    parser.add_argument("--timeout", type=float, default=10.0, help="department call timeout, seconds")
    parser.add_argument("--ca-file", help="CA bundle to verify the department's TLS certificate")
    parser.add_argument("--insecure", action="store_true", help="do not verify the department's TLS certificate")
    parser.add_argument("--latency-ms", type=int, default=0, help="simulated adapter latency")
    parser.add_argument("--failure-rate", type=float, default=0.0, help="simulated adapter failure rate")
    parser.add_argument("--max-tasks", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("WORKER_CONCURRENCY", "1")),
                        help="tasks worked at once (threads); more are fetched whenever one is free")
    parser.add_argument("--lock-ms", type=int, default=60_000)
    parser.add_argument("--wait-ms", type=int, default=10_000, help="long-polling wait per fetch")
    parser.add_argument("--worker-id", default=f"{socket.gethostname()}-{os.getpid()}")
    return parser.parse_args(argv)


def build_adapter(args):
    return configured_adapter(args.adapter, department_url=args.department_url,
                              topic_urls=json.loads(args.topic_urls), timeout=args.timeout,
                              verify=not args.insecure, ca_file=args.ca_file, latency_ms=args.latency_ms,
                              failure_rate=args.failure_rate)


def main(argv=None) -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(name)s %(message)s")
    args = parse_args(argv)
    adapter = build_adapter(args)
    topics = [t.strip() for t in args.topics.split(",") if t.strip()]
    client = EngineRestClient(args.url, args.user, args.password, args.token, connections=args.concurrency + 1)
    worker = ExternalWorker(client, {t: adapter for t in topics}, args.worker_id, args.max_tasks,
                            args.lock_ms, args.wait_ms, pause_from_env(), args.concurrency)
    worker.install_signal_handlers()
    worker.run()


if __name__ == "__main__":
    main()
