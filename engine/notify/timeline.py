"""The case's timeline (流转记录) and the append-only audit log."""
from engine.store.db import insert_later
from engine.store.models import AuditEntry, CaseEvent


def record(ctx, case_id: str, kind: str, actor: str | None = None, task_id: str | None = None,
           detail: dict | None = None) -> None:
    insert_later(ctx.session, CaseEvent, case_id=case_id, at=ctx.now(), kind=kind, actor=actor,
                 task_id=task_id, detail=detail or {})


def audit(ctx, actor: str, action: str, case_id: str | None = None, task_id: str | None = None,
          detail: dict | None = None) -> None:
    insert_later(ctx.session, AuditEntry, at=ctx.now(), actor=actor, action=action, case_id=case_id,
                 task_id=task_id, detail=detail or {})
