"""Small read-only endpoints the pages need beyond the public API: the server's (virtual) now,
code labels, and per-activity / per-department / per-item task counts for the supervisor's board."""
from collections import Counter, defaultdict
from datetime import datetime, time, timedelta

from flask import abort, request
from sqlalchemy import select

from api.auth import current_actor, login_required
from api.extensions import db
from api.pages import blp
from api.services import engine_context
from engine import ITEM_NAMES, OPEN_TASK_STATES, Role, Task
from forms import codes

LANE_NAMES = {"health": "卫生健康（助产机构）", "cdc": "疾控（预防接种）", "police": "公安（户籍）",
              "medical_insurance": "医疗保障", "hrss": "人力资源和社会保障", "service_center": "政务服务中心",
              "tax": "税务", "post": "邮政寄递", "applicant": "申请人", "community_health": "社区卫生服务中心"}
HISTORY_DAYS = 14


def _labels() -> dict:
    labels = {}
    for name in dir(codes):
        table = getattr(codes, name)
        if name.isupper() and isinstance(table, dict) and all(isinstance(v, str) for v in table.values()):
            labels[name.lower()] = table
    return labels


@blp.route("/pages-api/context")
@login_required()
def page_context():
    """Now on the server's clock and the end of the next working day (黄灯 threshold)."""
    ctx, actor = engine_context(), current_actor()
    now = ctx.now()
    soon = ctx.calendar.add_working_days(now.date(), 1).date
    return {"now": now, "soon_until": datetime.combine(soon, time.max), "username": actor.username,
            "role": actor.role, "region": actor.region, "groups": list(actor.groups),
            "items": ITEM_NAMES, "lanes": LANE_NAMES, "labels": _labels()}


def _region_tasks(region: str) -> list[Task]:
    actor = current_actor()
    if not actor.is_admin and actor.region != region:
        abort(403, description="只能查看本地区的监察数据")
    return db.session.scalars(select(Task).where(Task.region == region)).all()


def _open_at(task: Task, moment: datetime) -> bool:
    return task.created_at <= moment and (task.completed_at is None or task.completed_at > moment) \
        and (task.state in OPEN_TASK_STATES or task.completed_at is not None)


@blp.route("/pages-api/activity-counts")
@login_required(Role.SUPERVISOR, Role.ADMIN)
def activity_counts():
    """Open and overdue tasks per BPMN activity of a region (the heat map on the diagram)."""
    region = request.args.get("region", "")
    now = engine_context().now()
    counts: dict[str, Counter] = defaultdict(Counter)
    for task in _region_tasks(region):
        if task.state in OPEN_TASK_STATES:
            counts[task.bpmn_id]["open"] += 1
            counts[task.bpmn_id]["overdue"] += bool(task.due_at and task.due_at < now)
    return {"region": region, "now": now,
            "activities": {k: {"open": v["open"], "overdue": v["overdue"]} for k, v in counts.items()}}


def _group(tasks, key, now) -> list[dict]:
    rows: dict[str, Counter] = defaultdict(Counter)
    for task in tasks:
        row = rows[key(task) or "other"]
        if task.state in OPEN_TASK_STATES:
            row["open"] += 1
            row["overdue"] += bool(task.due_at and task.due_at < now)
        elif task.completed_at is not None:
            row["done"] += 1
            row["on_time"] += bool(task.due_at is None or task.completed_at <= task.due_at)
    return [{"code": code, "open": c["open"], "overdue": c["overdue"], "done": c["done"],
             "on_time_rate": round(c["on_time"] / c["done"], 3) if c["done"] else None}
            for code, c in sorted(rows.items())]


@blp.route("/pages-api/board-stats")
@login_required(Role.SUPERVISOR, Role.ADMIN)
def board_stats():
    """Per department and item (open, overdue, done, on-time rate) and daily open/overdue."""
    region = request.args.get("region", "")
    now = engine_context().now()
    tasks = [t for t in _region_tasks(region) if t.kind == "user" or t.item]
    history = []
    for back in range(HISTORY_DAYS - 1, -1, -1):
        moment = now - timedelta(days=back)
        open_then = [t for t in tasks if _open_at(t, moment)]
        history.append({"date": moment.date(), "open": len(open_then),
                        "overdue": sum(bool(t.due_at and t.due_at < moment) for t in open_then)})
    return {"region": region, "now": now,
            "by_department": _group(tasks, lambda t: t.department or t.lane, now),  # lane code (0002)
            "by_item": _group(tasks, lambda t: t.item, now), "history": history}


@blp.route("/pages-api/form-order")
@login_required()
def form_order():
    """The form's section and field order (JSON objects reach the browser with sorted keys)."""
    from api.services import region_registry
    schema = region_registry().get(request.args.get("region", "")).form.json_schema()
    order = {"": list(schema["properties"])}
    for name, prop in schema["properties"].items():
        if prop.get("type") == "object":
            order[name] = list(prop.get("properties", {}))
    return {"order": order}
