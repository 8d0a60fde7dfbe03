"""The working-day calendar for front ends that show expected dates (public: no personal data)."""
from datetime import date

from flask import abort, current_app, request
from flask_smorest import Blueprint

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
