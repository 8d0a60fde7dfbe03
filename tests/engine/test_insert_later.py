"""Rows queued with ``insert_later`` go in with their transaction's commit, and only then."""
from sqlalchemy import event, func, select

from engine.notify import timeline
from engine.store.models import AuditEntry, CaseEvent, ELicence, Notice, OutboxMessage
from engine.store.commit_writes import insert_later
from engine.work import tasks
from tests.engine.helpers import (
    ADMIN, on_postgres, open_tasks, start_accepted_case, start_case, statements_during,
)



def _count(session, model, **where):
    return session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_queued_rows_are_written_by_the_commit_and_dropped_by_a_rollback(ctx):
    case = start_accepted_case(ctx)
    before = _count(ctx.session, CaseEvent, case_id=case.id)

    timeline.record(ctx, case.id, "rolled_back_note")
    timeline.audit(ctx, "tester", "rolled_back_read", case.id)
    ctx.session.rollback()
    ctx.session.commit()  # an empty transaction after the rollback must not carry the dropped rows
    assert _count(ctx.session, CaseEvent, case_id=case.id, kind="rolled_back_note") == 0
    assert _count(ctx.session, AuditEntry, action="rolled_back_read") == 0

    timeline.record(ctx, case.id, "kept_note", detail={"n": 1})
    timeline.record(ctx, case.id, "kept_note", detail={"n": 2})
    assert _count(ctx.session, CaseEvent, case_id=case.id) == before  # not before the commit
    ctx.session.commit()
    assert _count(ctx.session, CaseEvent, case_id=case.id) == before + 2
    details = ctx.session.scalars(select(CaseEvent.detail).where(CaseEvent.kind == "kept_note")).all()
    assert sorted(d["n"] for d in details) == [1, 2]


def test_once_rows_keep_the_first_of_a_unique_key_even_within_one_commit(ctx, clock):
    case = start_accepted_case(ctx)
    row = dict(case_id=case.id, dedupe_key=f"{case.id}:test:1", template="completed", phone="13800000000",
               created_at=clock.now(), attempts=0)
    insert_later(ctx.session, OutboxMessage, once=True, text="first", **row)
    insert_later(ctx.session, OutboxMessage, once=True, text="second", **row)
    ctx.session.commit()
    insert_later(ctx.session, OutboxMessage, once=True, text="third", **row)
    ctx.session.commit()
    texts = ctx.session.scalars(select(OutboxMessage.text).where(OutboxMessage.dedupe_key == row["dedupe_key"])).all()
    assert texts == ["first"]


def test_a_commit_writes_every_queued_table_whole_with_defaults_and_unique_keys(ctx, clock):
    """On PostgreSQL the queued tables go in as one statement: the rows must be what Core's INSERTs
    write, Python-side defaults (``attempts``) and ``once`` keys included."""
    case = start_accepted_case(ctx)
    engine, inserts = ctx.session.get_bind(), []

    def record(conn, cursor, statement, *args):
        if "INSERT" in statement:
            inserts.append(statement)

    sms = dict(case_id=case.id, dedupe_key=f"{case.id}:test:2", template="completed", phone=None,
               created_at=clock.now())
    timeline.record(ctx, case.id, "queued_note", "tester", detail={"name": "出生登记", "list": [1, None]})
    timeline.audit(ctx, "tester", "queued_read", case.id)
    insert_later(ctx.session, OutboxMessage, once=True, text="第一条", **sms)
    insert_later(ctx.session, OutboxMessage, once=True, text="第二条", **sms)
    event.listen(engine, "before_cursor_execute", record)
    try:
        ctx.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if engine.dialect.name == "postgresql":
        assert len(inserts) == 1 and inserts[0].startswith("WITH")

    note = ctx.session.scalars(select(CaseEvent).where(CaseEvent.kind == "queued_note")).one()
    assert (note.case_id, note.actor, note.at, note.detail) == (case.id, "tester", clock.now(),
                                                                 {"name": "出生登记", "list": [1, None]})
    read = ctx.session.scalars(select(AuditEntry).where(AuditEntry.action == "queued_read")).one()
    assert (read.actor, read.case_id, read.task_id, read.detail) == ("tester", case.id, None, {})
    message = ctx.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == sms["dedupe_key"])).one()
    assert (message.text, message.attempts, message.phone, message.sent_at) == ("第一条", 0, None, None)


def test_a_table_with_a_sql_default_keeps_cores_insert_which_renders_it():
    from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

    from engine.store.commit_writes import _python_defaults
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer, default=0),
                  Column("tags", String, default=lambda: "x"), Column("at", DateTime, default=func.now()))
    assert _python_defaults(table, ("at", "id")) == {"n": 0, "tags": "x"}
    assert _python_defaults(table, ("id",)) is None  # ``at`` would need its SQL: not the one-statement path


def test_once_rows_alone_go_in_typed_and_through_one_compiled_statement(ctx, clock):
    """A commit whose only queued rows are ``once`` rows (a worker's e-licence) takes the per-table path
    on both databases: JSON and datetime values bound by their column types, the statement compiled
    once (SQLAlchemy's dialect ON CONFLICT construct was compiled again on every commit)."""
    case = start_accepted_case(ctx)
    engine, compiled = ctx.session.get_bind(), []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "elicences" in statement and statement.lstrip().upper().startswith("INSERT"):
            compiled.append(context.compiled)

    event.listen(engine, "before_cursor_execute", record)
    try:
        for kind, number in (("出生医学证明", "A1"), ("预防接种证", "B2"), ("出生医学证明", "A9")):
            insert_later(ctx.session, ELicence, once=True, case_id=case.id, kind=kind, number=number,
                         issued_at=clock.now(), data={"签发": kind, "n": [1, None]})
            ctx.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert len(compiled) == 3 and compiled[0] is compiled[1] is compiled[2]
    rows = ctx.session.execute(select(ELicence.kind, ELicence.number, ELicence.issued_at, ELicence.data)
                               .where(ELicence.case_id == case.id, ELicence.number.in_(("A1", "B2", "A9")))
                               .order_by(ELicence.number)).all()
    assert [tuple(r) for r in rows] == [("出生医学证明", "A1", clock.now(), {"签发": "出生医学证明", "n": [1, None]}),
                                        ("预防接种证", "B2", clock.now(), {"签发": "预防接种证", "n": [1, None]})]


def test_rows_queued_before_any_statement_are_dropped_by_a_rollback(ctx):
    case = start_accepted_case(ctx)
    ctx.session.commit()  # nothing open: the next queued row is the transaction's first act
    timeline.record(ctx, case.id, "rolled_back_first")
    ctx.session.rollback()
    ctx.session.commit()
    assert _count(ctx.session, CaseEvent, case_id=case.id, kind="rolled_back_first") == 0


def test_the_acceptance_notice_goes_in_with_the_steps_other_queued_rows(ctx):
    """Seed 002 (钦北): "对符合受理条件且材料齐全的，出具受理通知书". The notice is numbered from the case row
    and written by the commit: on PostgreSQL inside the commit's one statement, not by an INSERT of its own."""
    case = start_case(ctx, ["birth_certificate"])
    [review] = open_tasks(ctx, case.id)
    tasks.claim(ctx, ADMIN, review.id)
    inserts = statements_during(ctx, lambda: tasks.complete(ctx, ADMIN, review.id, {"decision": "accept"}),
                                "INSERT INTO notices")
    assert len(inserts) == 1
    if on_postgres(ctx):
        assert inserts[0].startswith("WITH")
    [notice] = ctx.session.scalars(select(Notice).where(Notice.case_id == case.id)).all()
    assert notice.kind == "acceptance" and notice.number.endswith(f"-{case.id[:8]}-01")
    assert notice.content["title"] == "受理通知书" and notice.content["case_id"] == case.id
