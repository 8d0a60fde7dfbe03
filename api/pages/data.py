"""Small read-only endpoints the pages need beyond the public API: the server's (virtual) now,
code labels, and per-activity / per-department / per-item task counts for the supervisor's board."""
from collections import Counter, defaultdict
from datetime import datetime, time

from flask import abort, request
from sqlalchemy import select

from api.auth import current_actor, login_required
from api.extensions import db
from api.pages import blp
from api.services import engine_context
from engine import in_region, ITEM_NAMES, may_supervise, OPEN_TASK_STATES, Role, supervision, Task
from forms import codes

LANE_NAMES = {"health": "卫生健康（助产机构）", "cdc": "疾控（预防接种）", "police": "公安（户籍）",
              "medical_insurance": "医疗保障", "hrss": "人力资源和社会保障", "service_center": "政务服务中心",
              "township_service_center": "乡镇便民服务中心", "community_health": "社区卫生服务中心",
              "tax": "税务", "post": "邮政寄递", "applicant": "申请人"}
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


def _supervised_region() -> str:
    region = request.args.get("region", "")
    if not may_supervise(current_actor(), region):
        abort(403, description="只能查看本地区的监察数据")
    return region


@blp.route("/pages-api/activity-counts")
@login_required(Role.SUPERVISOR, Role.ADMIN)
def activity_counts():
    """Open and overdue tasks per BPMN activity of a region (the heat map on the diagram)."""
    region, now = _supervised_region(), engine_context().now()
    counts: dict[str, Counter] = defaultdict(Counter)
    tasks = db.session.scalars(select(Task).where(in_region(Task.region, region),
                                                  Task.state.in_(OPEN_TASK_STATES)))
    for task in tasks:
        counts[task.bpmn_id]["open"] += 1
        counts[task.bpmn_id]["overdue"] += supervision.is_overdue(task, now)
    return {"region": region, "now": now,
            "activities": {k: {"open": v["open"], "overdue": v["overdue"]} for k, v in counts.items()}}


@blp.route("/pages-api/board-stats")
@login_required(Role.SUPERVISOR, Role.ADMIN)
def board_stats():
    """Per department and item (open, overdue, done, on-time rate) and daily open/overdue: the rows
    /api/v1/supervision/stats counts, so the board and the API agree."""
    region, ctx = _supervised_region(), engine_context()
    now = ctx.now()
    return {"region": region, "now": now, **supervision.board(ctx.session, ctx.calendar, now, region, HISTORY_DAYS)}


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
