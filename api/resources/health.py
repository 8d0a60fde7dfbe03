"""Liveness, readiness and Prometheus metrics.

Counts that every process must agree on (tasks completed, open, overdue; worker failures) are read
from the database per scrape; API latency is a per-process histogram, merged across gunicorn workers
by prometheus_client's multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set.
"""
import hmac
import os
import time

from flask import abort, Response, current_app, g, request
from marshmallow import Schema, fields
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select, text

from api.auth import current_actor
from api.extensions import Blueprint, db
from engine import Incident, OPEN_TASK_STATES, Task, TaskKind, TaskState

blp = Blueprint("health", __name__, url_prefix=None, description="健康检查与指标")

LATENCY = Histogram("newborn_api_request_seconds", "API request latency", ["method", "endpoint", "status"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class Liveness(Schema):
    status = fields.String(required=True)


class Readiness(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    migration = fields.String(required=True, allow_none=True)
    head = fields.String(required=True, allow_none=True)


@blp.route("/health")
@blp.response(200, Liveness)
def health():
    """The process answers (no database call: a slow database must not get the process killed)."""
    return {"status": "ok"}


@blp.route("/ready")
@blp.response(200, Readiness)
@blp.alt_response(503, schema=Readiness, description="database unreachable or schema not at head")
def ready():
    """Ready to serve: the database answers and its schema is at the migrations' head."""
    head = _migration_head()
    try:
        current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        database = "ok"
    except Exception as exc:  # any driver error means not ready
        db.session.rollback()
        current, database = None, f"error: {type(exc).__name__}"
    ok = database == "ok" and current == head
    body = {"status": "ready" if ok else "not_ready", "database": database, "migration": current, "head": head}
    return body, 200 if ok else 503


def _scraper_allowed() -> None:
    """``Authorization: Bearer $METRICS_TOKEN`` (Prometheus' ``bearer_token``), or an admin's credentials:
    the figures tell how many cases each region has open. No credentials: 401; another role: 403."""
    token = current_app.config.get("METRICS_TOKEN")
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
        return
    if not current_actor().is_admin:  # 401 without (valid) credentials
        abort(403, description="指标仅对监控令牌（METRICS_TOKEN）或管理员开放")


@blp.route("/metrics")
@blp.doc(responses={"200": {"description": "Prometheus text exposition format",
                            "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics():
    _scraper_allowed()
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(LATENCY)
    registry.register(DatabaseCollector(current_app.extensions["newborn"].clock.now()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class DatabaseCollector:
    """Gauges and totals every process agrees on, read at scrape time."""

    def __init__(self, now):
        self.now = now

    def collect(self):
        session = db.session
        completed = CounterMetricFamily("newborn_tasks_completed", "Tasks completed", labels=["kind"])
        for kind, count in session.execute(select(Task.kind, func.count()).where(
                Task.state == TaskState.COMPLETED.value).group_by(Task.kind)):
            completed.add_metric([kind], count)
        open_tasks = GaugeMetricFamily("newborn_tasks_open", "Tasks waiting", labels=["kind", "region"])
        overdue = GaugeMetricFamily("newborn_tasks_overdue", "Open tasks past their due time", labels=["region"])
        for kind, region, count, late in session.execute(select(
                Task.kind, Task.region, func.count(), func.count().filter(Task.due_at < self.now))
                .where(Task.state.in_(OPEN_TASK_STATES)).group_by(Task.kind, Task.region)):
            open_tasks.add_metric([kind, region], count)
            overdue.add_metric([region], late)
        failures = CounterMetricFamily("newborn_worker_failures", "Service-task attempts that failed")
        failures.add_metric([], session.scalar(select(func.coalesce(func.sum(Task.attempts - 1), 0)).where(
            Task.kind == TaskKind.SERVICE.value, Task.attempts > 1)) or 0)
        incidents = GaugeMetricFamily("newborn_incidents_open", "Unresolved incidents")
        incidents.add_metric([], session.scalar(select(func.count()).select_from(Incident).where(
            Incident.resolved_at.is_(None))))
        session.rollback()
        yield from (completed, open_tasks, overdue, failures, incidents)


def _migration_head() -> str | None:
    head = current_app.extensions.get("newborn_migration_head")
    if head is None:
        from alembic.script import ScriptDirectory
        from engine import alembic_config
        head = ScriptDirectory.from_config(alembic_config(current_app.config["DATABASE_URL"])).get_current_head()
        current_app.extensions["newborn_migration_head"] = head
    return head


@blp.before_app_request
def _start_timer():
    g.request_started = time.perf_counter()


@blp.after_app_request
def _observe(response):
    started = getattr(g, "request_started", None)
    if started is not None and request.path.startswith("/api/"):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        LATENCY.labels(request.method, endpoint, str(response.status_code)).observe(time.perf_counter() - started)
    return response
