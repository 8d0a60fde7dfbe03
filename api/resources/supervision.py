"""电子监察: overdue and due-soon work, escalations (with acknowledgement) and statistics.

Supervisors see their own region; the admin sees every region (or one with ``?region=``).
Rows carry no personal data beyond masked names.
"""
from datetime import datetime

from flask import abort, current_app, request
from sqlalchemy import select

from api.auth import current_actor, login_required
from api.extensions import Blueprint, db
from api.services import engine_context
from api.views import applicant_summary, task_row
from engine import Case, EscalationLevel, Role, supervised_region, supervision, Task

blp = Blueprint("supervision", __name__, url_prefix="/api/v1/supervision",
                description="电子监察：超期、预警、督办、统计")


def _region():
    """The supervisor's own region; the admin's ``?region=`` (none: every region) — engine.scope."""
    return supervised_region(current_actor(), request.args.get("region"))


def _answer(items: list, **extra) -> dict:
    """Every board answer says how many open deadlines still rest on the weekends-only fallback."""
    calendar = current_app.extensions["newborn"].calendar
    return {"items": items, "total": len(items), "calendar_warnings": calendar.warnings(),
            "fallback_deadlines": supervision.fallback_counts(db.session, _region()), **extra}


def _task_rows(tasks: list[Task], now: datetime) -> list[dict]:
    forms = dict(db.session.execute(select(Case.id, Case.form).where(
        Case.id.in_({t.case_id for t in tasks}))).all()) if tasks else {}
    # task_row labels each due date: 承诺时限, or 内部督办时限 (internal target, never told to the family)
    return [{**task_row(t, now), "department": supervision.department_of(t),
             "applicant": applicant_summary(forms.get(t.case_id) or {})} for t in tasks]


@blp.route("/overdue", methods=["GET"])
@blp.response(200)
@login_required(Role.SUPERVISOR, Role.ADMIN)
def overdue():
    """超期（红灯）：在办且已过期限的任务与办件"""
    ctx = engine_context()
    tasks, cases = supervision.overdue(ctx.session, ctx.now(), _region())
    return _answer(_task_rows(tasks, ctx.now()), cases=[_case_row(c) for c in cases])


@blp.route("/due-soon", methods=["GET"])
@blp.response(200)
@login_required(Role.SUPERVISOR, Role.ADMIN)
def due_soon():
    """即将到期（黄灯）：``?within_working_days=N``（默认 1）个工作日内到期"""
    within = request.args.get("within_working_days", "1")
    if not within.isdigit() or int(within) > 60:
        abort(422, description="within_working_days 须为 0 至 60 的整数")
    ctx = engine_context()
    tasks = supervision.due_soon(ctx.session, ctx.calendar, ctx.now(), int(within), _region())
    return _answer(_task_rows(tasks, ctx.now()))


@blp.route("/escalations", methods=["GET"])
@blp.response(200)
@login_required(Role.SUPERVISOR, Role.ADMIN)
def escalations():
    """督办记录：``?level=&department=&acknowledged=true|false``"""
    level = request.args.get("level")
    if level and level not in {lv.value for lv in EscalationLevel}:
        abort(422, description="level 须为 warning / overdue / level1 / level2")
    acknowledged = request.args.get("acknowledged")
    if acknowledged not in (None, "true", "false"):
        abort(422, description="acknowledged 须为 true 或 false")
    rows = supervision.escalations(db.session, _region(), level, request.args.get("department"),
                                   None if acknowledged is None else acknowledged == "true")
    return _answer([supervision.escalation_row(r) for r in rows])


@blp.route("/escalations/<int:escalation_id>/acknowledge", methods=["POST"])
@blp.response(200)
@login_required(Role.SUPERVISOR, Role.ADMIN)
def acknowledge(escalation_id: int):
    """签收督办"""
    actor = current_actor()
    row = supervision.acknowledge(engine_context(), escalation_id, actor.username, supervised_region(actor))
    return supervision.escalation_row(row)


@blp.route("/stats", methods=["GET"])
@blp.response(200)
@login_required(Role.SUPERVISOR, Role.ADMIN)
def stats():
    """按地区、部门、事项统计：在办、办结、按时办结率、用时中位数与 P90（工作日）、当前超期"""
    ctx = engine_context()
    return _answer(supervision.stats(ctx.session, ctx.calendar, ctx.now(), _region()))


def _case_row(case: Case) -> dict:
    return {"id": case.id, "region": case.region, "status": case.status, "deadline": case.deadline,
            "deadline_fallback": case.deadline_fallback, **supervision.deadline_label(case.deadline_kind),
            "submitted_at": case.submitted_at,
            "applicant": applicant_summary(case.form or {})}


