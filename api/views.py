"""Plain dicts of engine rows for responses; ID numbers masked unless the reader may see them."""
from sqlalchemy import select

from engine import (
    CaseEvent, CaseItem, CaseStatus, delivery_of, ELicence, Evaluation, item_name, ITEM_STATUS_LABELS,
    ItemStatus, is_promise, Notice, OPEN_TASK_STATES, supervision, Task, timeline
)
from forms.idcard import mask_id


def mask_name(value: str | None) -> str | None:
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


def applicant_summary(form: dict) -> dict:
    """What a list row may show of the family: masked name and ID."""
    mother = form.get("mother") or {}
    newborn = form.get("newborn") or {}
    return {"mother_name": mask_name(mother.get("name")), "mother_id": mask_id(mother.get("id_number")),
            "newborn_name": mask_name(newborn.get("name"))}


def task_row(task: Task, now) -> dict:
    return {**{c: getattr(task, c) for c in (
        "id", "case_id", "region", "name", "bpmn_id", "kind", "lane", "candidate_groups", "topic",
        "form_key", "item", "institution", "state", "assignee", "owner", "delegation",
        "limit_working_days", "due_at", "due_fallback", "created_at", "claimed_at", "completed_at")},
            **supervision.deadline_label(task.deadline_kind),
            "overdue": bool(task.due_at and task.state in OPEN_TASK_STATES and task.due_at < now)}


def case_view(session, case, now, full_form: bool, form_masker=None, for_family: bool = False) -> dict:
    """The case as its reader may see it: ``for_family`` shows no date but a promise (bpmn/README.md)."""
    items = session.scalars(select(CaseItem).where(CaseItem.case_id == case.id).order_by(CaseItem.id)).all()
    licences = session.scalars(select(ELicence).where(ELicence.case_id == case.id).order_by(ELicence.id)).all()
    notices = session.scalars(select(Notice).where(Notice.case_id == case.id).order_by(Notice.id)).all()
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    open_tasks = session.scalars(select(Task).where(Task.case_id == case.id, Task.state.in_(OPEN_TASK_STATES))
                                 .order_by(Task.created_at)).all()
    evaluation = session.get(Evaluation, case.id)
    return {
        "id": case.id, "region": case.region, "definition_id": case.definition_id,
        "business_key": case.business_key, "status": case.status,
        "status_label": CaseStatus(case.status).label,
        "submitted_at": case.submitted_at, "accepted_at": case.accepted_at, "completed_at": case.completed_at,
        "promise_working_days": case.promise_working_days, **_case_deadline(case, for_family),
        "paused": case.paused_at is not None,
        "paused_since": case.paused_at, "paused_working_days": case.paused_working_days,
        "outcome_reason": case.outcome_reason, "incident": case.incident,
        "items": [_item(case, i, delivery_of(case, i)) for i in items],
        "elicences": [{"kind": lic.kind, "name": item_name(case, lic.kind), "number": lic.number,
                       "issued_by": lic.issued_by, "issued_at": lic.issued_at, "data": lic.data} for lic in licences],
        "notices": [{"id": n.id, "kind": n.kind, "title": n.content.get("title"), "number": n.number,
                     "issued_at": n.issued_at, "html": f"/api/v1/cases/{case.id}/notices/{n.id}.html",
                     "pdf": f"/api/v1/cases/{case.id}/notices/{n.id}.pdf"} for n in notices],
        "open_tasks": [_open_task(t, now, for_family) for t in open_tasks],
        "timeline": [{"at": e.at, "kind": e.kind, "actor": e.actor, "task_id": e.task_id,
                      "detail": timeline.detail_for(e.detail, for_family)} for e in events],
        "evaluation": {"score": evaluation.score, "comment": evaluation.comment, "at": evaluation.at}
        if evaluation else None,
        "form": case.form if full_form else (form_masker(case.form) if form_masker else None),
        "applicant": applicant_summary(case.form),
    }


def _case_deadline(case, for_family: bool) -> dict:
    if for_family and not is_promise(case.deadline_kind):
        return {"deadline": None, "deadline_fallback": False, "deadline_kind": None, "deadline_label": None}
    return {"deadline": case.deadline, "deadline_fallback": case.deadline_fallback,
            **supervision.deadline_label(case.deadline_kind)}


def _open_task(task: Task, now, for_family: bool) -> dict:
    told = not for_family or is_promise(task.deadline_kind)
    return {"id": task.id, "name": task.name, "lane": task.lane, "state": task.state,
            "due_at": task.due_at if told else None,
            "overdue": bool(told and task.due_at and task.due_at < now)}


def _item(case, item: CaseItem, delivery: dict | None = None) -> dict:
    status = ItemStatus(item.status)
    return {"code": item.item, "name": item_name(case, item.item), "status": item.status,
            "label": ITEM_STATUS_LABELS[status], "started_at": item.started_at, "deadline": item.deadline,
            "completed_at": item.completed_at, "reason": item.reason, "delivery": delivery or None}


def case_row(case, for_family: bool = False) -> dict:
    return {"id": case.id, "region": case.region, "status": case.status,
            "status_label": CaseStatus(case.status).label, "items": case.items,
            "submitted_at": case.submitted_at, **_case_deadline(case, for_family),
            "applicant": applicant_summary(case.form)}
