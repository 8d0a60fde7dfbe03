"""The page shells: each renders a template whose script calls the JSON API (ids only in URLs)."""
from flask import abort, render_template, send_from_directory

from api.config import ROOT
from api.pages import blp
from api.pages.session import page
from engine import Role

VENDOR = {"bpmn-js": ROOT / "node_modules" / "bpmn-js" / "dist"}


@blp.route("/clerk")
@page(Role.CLERK, Role.ADMIN)
def clerk_inbox():
    return render_template("clerk.html")


@blp.route("/clerk/tasks/<task_id>")
@page(Role.CLERK, Role.ADMIN, Role.SUPERVISOR)
def clerk_task(task_id):
    return render_template("task.html", task_id=task_id)


@blp.route("/supervisor")
@page(Role.SUPERVISOR, Role.ADMIN)
def supervisor_board():
    return render_template("supervisor.html")


@blp.route("/designer")
@page(Role.ADMIN, Role.SUPERVISOR)
def designer():
    return render_template("designer.html")


@blp.route("/family")
@page(Role.FAMILY)
def family_home():
    return render_template("family.html")


@blp.route("/family/apply")
@page(Role.FAMILY)
def family_apply():
    return render_template("apply.html")


@blp.route("/family/cases/<case_id>")
@page(Role.FAMILY)
def family_case(case_id):
    return render_template("case.html", case_id=case_id)


@blp.route("/vendor/<package>/<path:filename>")
def vendor(package, filename):
    """npm assets served from node_modules (installed by `npm ci`): no CDN."""
    folder = VENDOR.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=3600)
