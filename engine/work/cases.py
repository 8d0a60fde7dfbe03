"""Case lifecycle: start, acceptance outcomes (受理, 补正, 不予受理), rating."""
import uuid

from sqlalchemy import JSON, Boolean, bindparam, literal_column, select
from sqlalchemy.orm import undefer

from engine.notify import notices, timeline
from engine.work import runtime
from engine.definitions import latest_for_region
from engine.errors import InvalidTransition, NotFound, ProcessFailure
from engine.store import json_rows
from engine.store.models import Case, CaseItem, Definition, Evaluation, Task
from engine.deadlines.sla import CASE_PROMISE, TARGET, deadline_after, is_promise, limit_of, working_days
from engine.store.transaction import begin_step
from engine.states import CaseStatus, Decision, FormKey, ItemStatus, OPEN_TASK_STATES
from forms.fields import listed


def start_case(ctx, region: str, items: list[str], form: dict, facts: dict, applicant_id=None,
               phone=None, institution=None, business_key=None, definition: Definition | None = None,
               variables: dict | None = None, item_names: dict | None = None) -> Case:
    """Start a case of the region's latest definition (or ``definition``) and run it to its first waits.

    Commits: the case, its items (chosen ones pending, the others not applicable) and its first task rows
    in one step. ``item_names``: the items as the region's form names them (notices and SMS use them).
    A diagram that fails at once leaves the case committed as ``failed`` with an incident
    (returned, not raised). Raises ``NotFound`` when the region has no deployed process.
    """
    definition = definition or latest_for_region(ctx.session, region)
    now = ctx.now()
    props = definition.properties
    limit, kind = limit_of(props, CASE_PROMISE)
    case = Case(id=str(uuid.uuid4()), region=definition.region or region, definition_id=definition.id,
                business_key=business_key, status=CaseStatus.REVIEW.value, items=list(items), form=form,
                facts=facts, applicant_id=applicant_id, phone=phone, institution=institution,
                item_names=dict(item_names) if item_names else None,
                submitted_at=now, promise_working_days=working_days(props.get(CASE_PROMISE)),
                target_working_days=working_days(props.get(TARGET)), deadline_kind=kind)
    if limit:
        case.deadline, case.deadline_fallback = deadline_after(ctx.calendar, now, limit)
    ctx.session.add(case)
    offered = [i.strip() for i in definition.properties.get("items", "").split(",") if i.strip()]
    case_items = {code: CaseItem(case_id=case.id, item=code, status=(
        ItemStatus.PENDING if code in items else ItemStatus.NOT_APPLICABLE).value)
        for code in dict.fromkeys(offered + list(items))}
    ctx.session.add_all(case_items.values())
    timeline.record(ctx, case.id, "case_submitted", detail={"items": list(items), "definition": definition.id})
    data = {"items": list(items), **facts, **(variables or {})}
    try:
        workflow = runtime.new_workflow(definition, data)
        runtime.advance(workflow)
        # a new case has no task rows yet, and its items are these: nothing to read back
        changes = runtime.save(ctx, case, definition, workflow, open_rows={}, items=case_items)
    except ProcessFailure as exc:
        ctx.session.commit()  # the case and its items exist; the failure is recorded on them
        runtime.fail_case(ctx, case.id, "", exc.message)
        return case
    runtime.commit_and_keep(ctx, case, workflow, changes)
    return case


def on_user_task_completed(ctx, case: Case, form_key: str | None, data: dict) -> None:
    """Engine meaning of the acceptance-review form (bpmn/README.md): acceptance dates the case and issues
    the 受理通知书; a correction issues the 补正告知书; a refusal issues the 不予受理 notice. The promise clock
    stands still while the supplement is owed: ``runtime.sync`` pauses and resumes it, as for every family
    task. Runs inside the caller's step (no commit)."""
    now = ctx.now()
    if form_key == FormKey.ACCEPTANCE_REVIEW:
        decision = data.get("decision")
        if decision == Decision.ACCEPT:
            case.accepted_at = now
            notices.issue_notice(ctx, case, "acceptance", _notice_body(case))
            if is_promise(case.deadline_kind):
                notices.queue_sms(ctx, case, "accepted", "1", deadline=_date(case.deadline))
            else:  # no stated promise: the family is told no date (an internal target is for staff)
                notices.queue_sms(ctx, case, "accepted_no_promise", "1")
        elif decision == Decision.CORRECT:
            materials = listed(data.get("materials"))
            notices.issue_notice(ctx, case, "correction", {**_notice_body(case), "materials": materials})
            notices.queue_sms(ctx, case, "correction", now.isoformat(), materials="、".join(materials))
        elif decision == Decision.REFUSE:
            reasons = listed(data.get("reasons")) or [str(data.get("refusal_reason") or "不符合受理条件")]
            notices.issue_notice(ctx, case, "refusal", {**_notice_body(case), "reasons": reasons})
            notices.queue_sms(ctx, case, "refused", "1", reasons="；".join(reasons))


def _notice_body(case: Case) -> dict:
    applicant = (case.form.get("applicant") or case.form.get("mother") or {}).get("name")
    return {"applicant": applicant, "items": [notices.item_name(case, i) for i in case.items],
            "deadline": _date(case.deadline) if is_promise(case.deadline_kind) else None,
            "submitted_at": case.submitted_at.isoformat()}


def _date(moment) -> str:
    return moment.date().isoformat() if moment else "—"


# The step's reads, built once: building a statement and its cache key costs more than the database's
# work for it (bench/NOTES.md). Locked reads refresh the session's copy (``populate_existing``).
CASE_BY_ID = select(Case).where(Case.id == bindparam("case_id"))
CASE_BY_ID_LOCKED = CASE_BY_ID.with_for_update().execution_options(populate_existing=True)
_CASE_ID_OF_TASK = select(Task.case_id).where(Task.id == bindparam("task_id")).scalar_subquery()
CASE_OF_TASK_LOCKED = (select(Case).where(Case.id == _CASE_ID_OF_TASK)
                       .with_for_update().execution_options(populate_existing=True))
# a step whose workflow this process does not hold reads the state with the lock, not in a second read
CASE_OF_TASK_LOCKED_WITH_STATE = CASE_OF_TASK_LOCKED.options(undefer(Case.state))


def get_case(ctx, case_id: str, for_update=False) -> Case:
    """The case; ``for_update`` starts a step: write lock (SQLite) or row lock (PostgreSQL), then a fresh
    read. Raises ``NotFound``."""
    if for_update:
        begin_step(ctx.session)
    case = ctx.session.scalars(CASE_BY_ID_LOCKED if for_update else CASE_BY_ID, {"case_id": case_id}).first()
    if case is None:
        raise NotFound("办件不存在", field="case_id")
    return case


def case_of_task(ctx, task_id: str) -> Case:
    """The task's case, locked and read fresh: every step locks the case first.

    SQLite: the database's write lock taken first (``begin_step``); PostgreSQL: the case row locked.
    """
    begin_step(ctx.session)
    held = runtime.workflow_cache.may_hold_task(task_id)
    case = ctx.session.scalars(CASE_OF_TASK_LOCKED if held else CASE_OF_TASK_LOCKED_WITH_STATE,
                               {"task_id": task_id}).first()
    if case is None:
        raise NotFound("任务不存在", field="task_id")
    return case


# PostgreSQL: the case and the task locked, with the case's open tasks and items as JSON, one statement.
# A statement reads with the snapshot it took before it waited for the locks: ``fresh`` says whether
# both locked rows are the versions that snapshot saw. If a step committed meanwhile (every step writes
# the case row), or the task moved (a claim, an unclaim, a hand-over: they lock the task row alone), it
# is not, and the tasks and items are read again, after the locks.
_OPEN = ", ".join(f"'{state}'" for state in OPEN_TASK_STATES)
_WITH_ROWS = (
    literal_column(f"(SELECT json_agg(t) FROM tasks t WHERE t.case_id = cases.id AND t.state IN ({_OPEN}))",
                   JSON).label("open_tasks"),
    literal_column("(SELECT json_agg(i) FROM case_items i WHERE i.case_id = cases.id)", JSON).label("case_items"),
    literal_column("cases.xmin = (SELECT seen.xmin FROM cases seen WHERE seen.id = cases.id) AND "
                   "locked_task.xmin = (SELECT seen.xmin FROM tasks seen WHERE seen.id = locked_task.id)",
                   Boolean).label("fresh"))


def _step_read(with_state: bool):
    """The case's columns (its state only ``with_state``) with its open tasks and items, the case row and
    the task's row locked: Core, whose rows ``json_rows.attach`` makes the session's objects (the ORM's
    entity loading cost more than the database's work).

    ``FOR NO KEY UPDATE``: steps on a case still wait for one another, while rows that only refer to the
    case (a claim's timeline entry, an escalation) are not held up by its foreign-key check. The task's
    row stays as read until the step commits, so the step's own UPDATE of it needs no guard of its own
    (``tasks.finish``). Rows are locked case first, task second, as a step's write did before."""
    cases, locked_task = Case.__table__, Task.__table__.alias("locked_task")
    columns = [column for column in cases.c if with_state or column.key != "state"]
    return (select(*columns, *_WITH_ROWS)
            .select_from(cases.join(locked_task, (locked_task.c.id == bindparam("task_id"))
                                    & (locked_task.c.case_id == cases.c.id)))
            .with_for_update(key_share=True))


STEP_OF_TASK, STEP_OF_TASK_WITH_STATE = _step_read(False), _step_read(True)


def step_of_task(ctx, task_id: str) -> tuple[Case, dict[str, Task], dict[str, CaseItem] | None]:
    """The start of a step on a task: its case locked and read fresh (``case_of_task``), the case's open
    task rows by id as they are now, and its items by code (None: read them when the step needs them).

    PostgreSQL reads all three in one statement (``STEP_OF_TASK``); SQLite, whose reads cost no round
    trip, reads the open tasks after the case. Raises ``NotFound``."""
    if ctx.session.get_bind().dialect.name != "postgresql":
        case = case_of_task(ctx, task_id)
        return case, runtime.open_task_rows(ctx, case.id), None
    held = runtime.workflow_cache.may_hold_task(task_id)
    row = ctx.session.connection().execute(STEP_OF_TASK if held else STEP_OF_TASK_WITH_STATE,
                                           {"task_id": task_id}).first()
    if row is None:
        raise NotFound("任务不存在", field="task_id")
    [case] = json_rows.attach(ctx.session, Case, [row._mapping], typed=True)
    if not row.fresh:  # a step committed while this one waited for the case's lock
        return case, runtime.open_task_rows(ctx, case.id), None
    tasks = json_rows.attach(ctx.session, Task, row.open_tasks or [])
    items = json_rows.attach(ctx.session, CaseItem, row.case_items or [])
    return case, {t.id: t for t in tasks}, {i.item: i for i in items}


def evaluate(ctx, case_id: str, score: int, comment: str, by: str) -> Evaluation:
    """The family's 好差评 of a completed case, once; commits. Raises ``InvalidTransition`` otherwise."""
    case = get_case(ctx, case_id, for_update=True)
    if case.status != CaseStatus.COMPLETED.value:
        raise InvalidTransition("办件办结后才能评价", field="case")
    if ctx.session.get(Evaluation, case_id) is not None:
        raise InvalidTransition("该办件已评价，不能重复评价", field="case")
    evaluation = Evaluation(case_id=case_id, score=score, comment=comment or "", at=ctx.now(), by=by)
    ctx.session.add(evaluation)
    timeline.record(ctx, case.id, "evaluated", actor=by, detail={"score": score})
    timeline.audit(ctx, by, "case_evaluated", case.id, detail={"score": score})
    ctx.session.commit()
    return evaluation
