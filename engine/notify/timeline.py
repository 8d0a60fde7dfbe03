"""The case's timeline (流转记录) and the append-only audit log."""
from engine.states import is_promise
from engine.store.commit_writes import insert_later
from engine.store.models import AuditEntry, CaseEvent


def record(ctx, case_id: str, kind: str, actor: str | None = None, task_id: str | None = None,
           detail: dict | None = None) -> None:
    insert_later(ctx.session, CaseEvent, case_id=case_id, at=ctx.now(), kind=kind, actor=actor,
                 task_id=task_id, detail=detail or {})


def audit(ctx, actor: str, action: str, case_id: str | None = None, task_id: str | None = None,
          detail: dict | None = None) -> None:
    insert_later(ctx.session, AuditEntry, at=ctx.now(), actor=actor, action=action, case_id=case_id,
                 task_id=task_id, detail=detail or {})


def detail_for(detail: dict | None, for_family: bool) -> dict:
    """An event's detail as its reader may see it: a due date in it (an escalation's) is the staff's
    business unless it is a promise (承诺时限), the only date a family is told (bpmn/README.md)."""
    detail = detail or {}
    if for_family and "due_at" in detail and not is_promise(detail.get("deadline_kind")):
        return {k: v for k, v in detail.items() if k != "due_at"}
    return detail
