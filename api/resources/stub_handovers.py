"""Paper stubs' hand-over lists (《出生医学证明》副页 to the police), for the hospital clerk and the supervisor.

The lists are drawn by the scheduler's cron job per region (engine/deadlines/stubs.py); this only reads them.
"""
from flask import request

from api.auth import current_actor, login_required
from api.extensions import Blueprint, db
from engine import Role, stub_lists_scope, stubs

blp = Blueprint("stub_handovers", __name__, url_prefix="/api/v1/stub-handovers",
                description="出生医学证明副页移交派出所清单")


@blp.route("", methods=["GET"])
@blp.response(200)
@login_required(Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def list_handovers():
    """移交清单：每次移交、每个派出所一张，列出各副页（每张副页只列一次）。助产机构窗口只看本机构的。"""
    region, institution = stub_lists_scope(current_actor(), request.args.get("region"))
    items = stubs.lists(db.session, region, institution)
    return {"items": items, "total": len(items)}
