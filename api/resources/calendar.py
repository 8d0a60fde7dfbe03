"""The working-day calendar for front ends that show expected dates (public: no personal data)."""
from datetime import date

from flask import abort, current_app, request

from api.auth import current_actor, login_required
from api.extensions import Blueprint, db
from api.services import engine_context
from engine import CalendarDataError, Invalid, load_calendar_year, Problem, Role, timeline

blp = Blueprint("calendar", __name__, url_prefix="/api/v1/calendar", description="工作日历")
MAX_DAYS = 3660


def _calendar():
    return current_app.extensions["newborn"].calendar


@blp.route("/add-working-days", methods=["GET"])
@blp.response(200)
def add_working_days():
    """第 N 个工作日（起算日不计）：``?from=YYYY-MM-DD&days=N``"""
    try:
        start = date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        abort(422, description="from 须为 YYYY-MM-DD 格式的日期")
    days = request.args.get("days", "")
    if not days.isdigit() or int(days) > MAX_DAYS:
        abort(422, description=f"days 须为 0 至 {MAX_DAYS} 的整数")
    result = _calendar().add_working_days(start, int(days))
    return {"from": start.isoformat(), "days": int(days), "date": result.date.isoformat(),
            "fallback": result.fallback}


@blp.route("/<int:year>", methods=["GET"])
@blp.response(200)
def year_view(year: int):
    """某年的法定节假日与调休上班日；``fallback`` 为真表示该年无数据、按周一至周五推算"""
    if not 1990 <= year <= 2100:
        abort(404, description="年份超出范围（1990–2100）")
    return _calendar().year(year)


@blp.route("/years", methods=["POST"])
@blp.response(200)
@login_required(Role.ADMIN)
def load_year():
    """载入某年节假日数据（国务院办公厅节假日安排）：保存为运营数据文件，并重算所有按周末估算的在办期限与督办定时"""
    raw = request.get_json(silent=True)
    if not isinstance(raw, dict):
        raise Invalid("日历数据须为 JSON 对象", [Problem("", "invalid_type", "请提交一年的节假日数据（JSON 对象）")])
    state = current_app.extensions["newborn"]
    try:
        data, done, path = load_calendar_year(db.session, state.calendar, raw, current_app.config.get(
            "WORKDAY_CALENDAR_DIR"))
    except CalendarDataError as exc:
        raise Invalid("日历数据有误", [Problem("", "calendar_invalid", str(exc))])
    for listener in state.listeners:  # an in-process scheduler moves the escalation timers now
        if getattr(listener, "active", None) is not None and listener.active.is_set():
            listener.reconcile(full=True)  # deadlines moved anywhere, not only into its next window
    timeline.audit(engine_context(), current_actor().username, "calendar_year_loaded",
                   detail={"year": data.year, "source": data.source, "file": path.name,
                           "cases": len(done.cases), "tasks": len(done.tasks)})
    db.session.commit()
    return {"year": data.year, "source": data.source, "recomputed": {"cases": len(done.cases),
                                                                     "tasks": len(done.tasks)},
            "still_fallback": done.still_fallback}
