"""The archive of a finished case (申请、受理、流转、审批结果、送达) as one ZIP file."""
import io
import json
import zipfile

from sqlalchemy import select

from engine.errors import InvalidTransition
from engine.store.models import Case, CaseEvent, CaseItem, ELicence, Evaluation, Notice
from engine.notify import timeline
from engine.notify.notices import notice_document
from engine.states import CaseStatus, is_promise
from forms import notices as notice_forms

STAGES = {  # timeline event kind -> archive stage
    "case_submitted": "申请", "supplement_received": "申请",
    "task_completed": "流转", "task_opened": "流转", "task_claimed": "流转", "task_unclaimed": "流转",
    "task_delegated": "流转", "task_resolved": "流转", "task_assigned": "流转", "clock_paused": "受理",
    "clock_resumed": "受理", "incident": "流转", "incident_retried": "流转", "bpmn_error": "流转",
    "delivery_chosen": "送达", "result_posted": "送达", "evaluated": "送达",
}
ENDED = {CaseStatus.COMPLETED.value, CaseStatus.REFUSED.value, CaseStatus.STOPPED.value}


def stage_of(kind: str) -> str:
    if kind.startswith("item_") or kind.startswith("case_") and kind != "case_submitted":
        return "审批结果"
    return STAGES.get(kind, "流转")


def _dump(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_iso).encode("utf-8")


def _iso(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def build(session, case: Case, region_name: str = "", for_family: bool = False) -> bytes:
    """Refuses open cases: an archive is of a finished file. ``for_family``: the family's copy shows no
    date but a promise (an escalation's internal due date is left out of its timeline)."""
    if case.status not in ENDED:
        raise InvalidTransition("办件办结后才能导出归档", field="case")
    notices = session.scalars(select(Notice).where(Notice.case_id == case.id).order_by(Notice.id)).all()
    licences = session.scalars(select(ELicence).where(ELicence.case_id == case.id).order_by(ELicence.id)).all()
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    items = session.scalars(select(CaseItem).where(CaseItem.case_id == case.id).order_by(CaseItem.id)).all()
    evaluation = session.get(Evaluation, case.id)
    entries = [{"stage": stage_of(e.kind), "at": e.at, "kind": e.kind, "actor": e.actor,
                "task_id": e.task_id, "detail": timeline.detail_for(e.detail, for_family)} for e in events]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("case.json", _dump(_case_summary(case, items, evaluation)))
        archive.writestr("form.json", _dump(case.form))
        archive.writestr("elicences.json", _dump([
            {"kind": lic.kind, "number": lic.number, "issued_by": lic.issued_by, "issued_at": lic.issued_at,
             "task_id": lic.task_id, "data": lic.data} for lic in licences]))
        archive.writestr("timeline.json", _dump(entries))
        for notice in notices:
            document = notice_document(notice, region_name)
            archive.writestr(f"notices/{notice.number}.html", notice_forms.render_html(notice.kind, document))
            archive.writestr(f"notices/{notice.number}.pdf", notice_forms.render_pdf(notice.kind, document))
        archive.writestr("manifest.json", _dump({
            "case_id": case.id, "stages": sorted({t["stage"] for t in entries}),
            "notices": [n.number for n in notices], "elicences": [lic.kind for lic in licences]}))
    return buffer.getvalue()


def _case_summary(case, items, evaluation) -> dict:
    return {"id": case.id, "region": case.region, "definition_id": case.definition_id, "status": case.status,
            "submitted_at": case.submitted_at, "accepted_at": case.accepted_at,
            "completed_at": case.completed_at,
            # the family receives the archive: only a promise is a date told to it (bpmn/README.md)
            "deadline": case.deadline if is_promise(case.deadline_kind) else None,
            "paused_working_days": case.paused_working_days, "outcome_reason": case.outcome_reason,
            "items": [{"item": i.item, "status": i.status, "started_at": i.started_at, "deadline": i.deadline,
                       "completed_at": i.completed_at, "reason": i.reason, "delivery": i.delivery}
                      for i in items],
            "evaluation": {"score": evaluation.score, "comment": evaluation.comment, "at": evaluation.at}
            if evaluation else None}
