from flask import Response, abort
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from api.auth import current_actor, login_required
from api.extensions import Blueprint, db
from api.schemas import CaseCreate, CaseQuery, DeliveryRequest, EvaluationRequest, SupplementRequest
from api.services import engine_context, region_registry
from api.views import case_row, case_view
from engine import (
    archive, Case, CaseItem, cases as engine_cases, Invalid, ItemStatus, may_apply_for, may_read_case, may_work_task,
    NotFound, Notice, notices, Problem, readable_cases, Role, supplements, Task,
    timeline
)
from forms import notices as notice_forms

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="办件：申请、进度、补正、评价")


def readable_case(case_id: str) -> Case:
    """The case, or 404 for callers who may not know it exists."""
    case = db.session.get(Case, case_id)
    if case is None or not may_read_case(current_actor(), case):
        raise NotFound("办件不存在", field="case_id")
    return case


def sees_full_form(actor, case) -> bool:
    """Unmasked form: the applicant, the admin, and clerks who may read the case and work (or worked)
    one of its tasks by group, region and institution (engine.scope)."""
    if not may_read_case(actor, case):
        return False
    if actor.is_admin or actor.role == Role.FAMILY:
        return True
    if actor.role != Role.CLERK:
        return False
    tasks = db.session.scalars(select(Task).where(Task.case_id == case.id)).all()
    return any(may_work_task(actor, task) for task in tasks)


@blp.route("", methods=["POST"])
@blp.arguments(CaseCreate)
@blp.response(201)
@login_required(Role.FAMILY, Role.CLERK, Role.ADMIN)
def create_case(body):
    """Submit the one form (一表申请); every problem comes back at once (一次性告知)."""
    actor = current_actor()
    region = _region_or_refuse(body)
    if not may_apply_for(actor, region.code):
        abort(403, description="只有本地区助产机构的窗口人员可以代为申请")
    ctx = engine_context()
    form = region.form
    _require_valid(ctx, form, body["form"], body["items"], ctx.now().date(), "申请表有误")
    case = engine_cases.start_case(
        ctx, region.code, body["items"], body["form"], form.facts(body["form"], body["items"]),
        applicant_id=actor.user_id if actor.role == Role.FAMILY else None,
        phone=body.get("phone") or _contact_phone(body["form"]),
        institution=actor.institution if actor.role == Role.CLERK else _institution(body["form"]),
        item_names=form.item_names)
    timeline.audit(ctx, actor.username, "case_created", case.id)
    db.session.commit()
    return case_view(db.session, case, ctx.now(), full_form=True, for_family=actor.role == Role.FAMILY)


def _region_or_refuse(body: dict):
    """The region; without one the form cannot be checked, so the envelope's problems come together."""
    try:
        return region_registry().get(body["region"] or "")
    except NotFound:
        pass
    problems = [Problem("region", "required", "请选择办理地区") if not body["region"] else
                Problem("region", "unknown_region", f"地区 {body['region']} 不存在")]
    if not body["items"]:
        problems.append(Problem("items", "items_empty", "请至少选择一个办理事项"))
    if not body["form"]:
        problems.append(Problem("form", "required", "请填写申请表"))
    raise Invalid("申请有误", problems)


def _require_valid(ctx, region_form, form: dict, items: list, applied_on, message: str) -> None:
    """Every problem of the form at once (一次性告知), counted on the engine's working-day calendar."""
    problems = region_form.validate(form, items, applied_on,
                                    lambda day, n: ctx.calendar.add_working_days(day, n).date)
    if problems:
        raise Invalid(message, [Problem(**p) for p in problems])


def _contact_phone(form: dict) -> str | None:
    return next((form.get(s, {}).get("phone") for s in ("applicant", "mother") if form.get(s, {}).get("phone")), None)


def _institution(form: dict) -> str | None:
    birth = form.get("birth") or {}
    return birth.get("institution_code") or birth.get("institution")


@blp.route("")
@blp.arguments(CaseQuery, location="query")
@blp.response(200)
@login_required(Role.FAMILY, Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def list_cases(query):
    actor = current_actor()
    stmt = select(Case).where(readable_cases(actor))  # the same rule as readable_case (engine.scope)
    if query.get("region"):
        stmt = stmt.where(Case.region == query["region"])
    if query.get("status"):
        stmt = stmt.where(Case.status == query["status"])
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(Case.submitted_at.desc(), Case.id)  # id: a stable page order
                              .offset((query["page"] - 1) * query["per_page"]).limit(query["per_page"])).all()
    family = actor.role == Role.FAMILY
    return {"items": [case_row(c, for_family=family) for c in rows], "total": total, "page": query["page"],
            "per_page": query["per_page"]}


@blp.route("/<case_id>")
@blp.response(200)
@login_required(Role.FAMILY, Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def get_case(case_id):
    """The family's view: per-item progress, deadlines, e-licences, notices, timeline."""
    actor, case = current_actor(), readable_case(case_id)
    full = sees_full_form(actor, case)
    ctx = engine_context()
    if full:
        timeline.audit(ctx, actor.username, "case_read_full", case.id)
        db.session.commit()
    region = region_registry().get(case.region)
    return case_view(db.session, case, ctx.now(), full_form=full, form_masker=region.form.mask,
                     for_family=actor.role == Role.FAMILY)


@blp.route("/<case_id>/supplement", methods=["POST"])
@blp.arguments(SupplementRequest)
@blp.response(200)
@login_required(Role.FAMILY, Role.ADMIN)
def supplement(body, case_id):
    """补正: the family supplies what was asked; the checks run again and the clock resumes."""
    actor, case = current_actor(), readable_case(case_id)
    ctx = engine_context()
    region = region_registry().get(case.region)
    merged = supplements.merge_form(case.form, body["form"])
    _require_valid(ctx, region.form, merged, case.items, case.submitted_at.date(), "补正后的申请仍有问题")
    supplements.supply(ctx, actor, case.id, merged, region.form.facts(merged, case.items),
                       body["materials"], body["comment"])
    return case_view(db.session, db.session.get(Case, case_id), ctx.now(), full_form=True,
                     for_family=actor.role == Role.FAMILY)


@blp.route("/<case_id>/evaluation", methods=["POST"])
@blp.arguments(EvaluationRequest)
@blp.response(201)
@login_required(Role.FAMILY)
def evaluate(body, case_id):
    """好差评: 1–5 and a comment, once, after completion."""
    actor, case = current_actor(), readable_case(case_id)
    evaluation = engine_cases.evaluate(engine_context(), case.id, body["score"], body["comment"], actor.username)
    return {"case_id": case.id, "score": evaluation.score, "comment": evaluation.comment, "at": evaluation.at}


@blp.route("/<case_id>/delivery", methods=["POST"])
@blp.arguments(DeliveryRequest)
@blp.response(200)
@login_required(Role.FAMILY)
def choose_delivery(body, case_id):
    """Self pick-up at a named place, or post, per result."""
    case = readable_case(case_id)
    item = db.session.scalars(select(CaseItem).where(CaseItem.case_id == case.id,
                                                     CaseItem.item == body["item"])).first()
    if item is None or item.status == "not_applicable":
        raise Invalid("事项不存在", [Problem("item", "unknown_item", f"本办件未申请事项 {body['item']}")])
    if body["method"] == "post" and not body.get("address"):
        raise Invalid("邮寄须填写地址", [Problem("address", "required", "选择邮寄时须填写收件地址")])
    if body["method"] == "pickup" and not body.get("place"):
        raise Invalid("自取须选择领取地点", [Problem("place", "required", "选择自取时须填写领取地点")])
    ctx = engine_context()
    item.delivery = {k: body.get(k) for k in ("method", "place", "address") if body.get(k)}
    timeline.record(ctx, case.id, "delivery_chosen", current_actor().username,
                    detail={"item": item.item, "method": body["method"]})
    if body["method"] == "pickup" and item.status == ItemStatus.DONE.value:
        notices.queue_sms(ctx, case, "ready_for_pickup", item.item,
                          item=notices.item_name(case, item.item), place=body["place"])
    db.session.commit()
    return {"item": item.item, "delivery": item.delivery}


class TrackingRequest(Schema):
    tracking_number = fields.String(required=True, validate=validate.Length(min=4, max=40))


@blp.route("/<case_id>/items/<item>/tracking", methods=["POST"])
@blp.arguments(TrackingRequest)
@blp.response(200)
@login_required(Role.CLERK, Role.ADMIN)
def record_tracking(body, case_id, item):
    """A department's result: the posted item's tracking number (运单号); the family gets an SMS."""
    actor, case = current_actor(), readable_case(case_id)
    if not actor.is_admin and not set(actor.groups) & {"post", "service_center"}:
        abort(403, description="只有寄递或政务服务窗口可以登记运单号")
    row = db.session.scalars(select(CaseItem).where(CaseItem.case_id == case.id, CaseItem.item == item)).first()
    if row is None or row.status != ItemStatus.DONE.value:
        raise Invalid("事项未办结", [Problem("item", "item_not_done", "只有已办结的事项可以寄出")])
    ctx = engine_context()
    notices.record_tracking(ctx, case, row, body["tracking_number"], actor.username)
    timeline.audit(ctx, actor.username, "tracking_recorded", case.id, detail={"item": item})
    db.session.commit()
    return {"item": row.item, "delivery": row.delivery}


@blp.route("/<case_id>/notices/<int:notice_id>.<any(html, pdf):fmt>")
@login_required(Role.FAMILY, Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def download_notice(case_id, notice_id, fmt):
    """A notice as HTML or PDF (Chinese text, embedded CJK font)."""
    actor, case = current_actor(), readable_case(case_id)
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.case_id != case.id:
        raise NotFound("通知书不存在", field="notice_id")
    document = notices.notice_document(notice, region_registry().get(case.region).name)
    timeline.audit(engine_context(), actor.username, "notice_downloaded", case.id, detail={"notice": notice.number})
    db.session.commit()
    if fmt == "html":
        return Response(notice_forms.render_html(notice.kind, document), mimetype="text/html")
    return Response(notice_forms.render_pdf(notice.kind, document), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{notice.number}.pdf"'})


@blp.route("/<case_id>/archive")
@login_required(Role.FAMILY, Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def export_archive(case_id):
    """The finished case as one ZIP: form, notices (HTML + PDF), e-licences, timeline."""
    actor, case = current_actor(), readable_case(case_id)
    if actor.role == Role.SUPERVISOR or not sees_full_form(actor, case):
        abort(403, description="只有申请人、经办部门和管理员可以导出归档")
    data = archive.build(db.session, case, region_registry().get(case.region).name,
                         for_family=actor.role == Role.FAMILY)
    timeline.audit(engine_context(), actor.username, "case_archive_exported", case.id)
    db.session.commit()
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="case-{case.id}.zip"'})
