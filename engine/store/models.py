"""Tables. Plain SQLAlchemy (the engine knows no Flask); the API binds them to its session."""
from datetime import datetime

from sqlalchemy import (
    JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement


class Base(DeclarativeBase):
    pass


def _id():
    return mapped_column(String(36), primary_key=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))  # Role enum value
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    groups: Mapped[list] = mapped_column(JSON, default=list)  # clerk lanes / supervisor dept / worker topics
    regions: Mapped[list] = mapped_column(JSON, default=list)  # a worker bound to regions (empty: every region)
    institution: Mapped[str | None] = mapped_column(String(120), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Deployment(Base):
    __tablename__ = "deployments"
    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(255), default="")
    source: Mapped[str | None] = mapped_column(String(255), nullable=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deployed_at: Mapped[datetime] = mapped_column(DateTime)
    deployed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)


class Definition(Base):
    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("key", "version"), Index("ix_definitions_key_sha", "key", "sha256"))
    id: Mapped[str] = mapped_column(String(160), primary_key=True)  # key:version:short uuid, like Camunda
    key: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    region: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    resource_name: Mapped[str] = mapped_column(String(255), default="process.bpmn")
    xml: Mapped[str] = mapped_column(Text, deferred=True)  # large: loaded only when asked for
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    properties: Mapped[dict] = mapped_column(JSON, default=dict)   # process extension properties
    activities: Mapped[dict] = mapped_column(JSON, default=dict)   # bpmn id -> what the engine needs
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"))
    deployed_at: Mapped[datetime] = mapped_column(DateTime)


class Case(Base):
    __tablename__ = "cases"
    # the scheduler's incremental pass: open cases whose deadline lies in a window (escalation.window)
    __table_args__ = (Index("ix_cases_status_deadline", "status", "deadline"),)
    id: Mapped[str] = _id()
    region: Mapped[str] = mapped_column(String(64), index=True)
    definition_id: Mapped[str] = mapped_column(ForeignKey("definitions.id"))
    business_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    items: Mapped[list] = mapped_column(JSON, default=list)
    # each offered item's name as the region's form showed it to the family (seed wording); None: generic
    item_names: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    form: Mapped[dict] = mapped_column(JSON, default=dict)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(Text, default="", deferred=True)  # read only when not in memory
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    institution: Mapped[str | None] = mapped_column(String(120), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    promise_working_days: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 承诺时限 only
    target_working_days: Mapped[int | None] = mapped_column(Integer, nullable=True)   # 内部督办时限
    deadline: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # DeadlineKind of ``deadline``: "promise" (the family is told it) or "target" (staff only)
    deadline_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    deadline_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    paused_working_days: Mapped[int] = mapped_column(Integer, default=0)
    notices_issued: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the next is +1
    outcome_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    incident: Mapped[str | None] = mapped_column(Text, nullable=True)

    __mapper_args__ = {"version_id_col": row_version}


class CaseItem(Base):
    __tablename__ = "case_items"
    __table_args__ = (UniqueConstraint("case_id", "item"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    item: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # ItemStatus
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivery: Mapped[dict | None] = mapped_column(JSON, nullable=True)


SERVICE_QUEUE = "kind = 'service' AND state IN ('ready', 'locked')"


class Task(Base):
    """One waiting user or service task: lists are indexed queries, never deserialisation."""
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_open", "state", "region", "due_at"),
        # the scheduler's incremental pass: open tasks due in a window (ix_tasks_open has region before due_at)
        Index("ix_tasks_state_due", "state", "due_at"),
        Index("ix_tasks_topic", "topic", "state", "lock_expires_at"),
        # the task list's first page: open user tasks of a region by due date, read in order (bench/RESULTS.md)
        Index("ix_tasks_open_user_due", "region", "due_at", "created_at",
              postgresql_where=text("kind = 'user' AND state IN ('ready', 'claimed', 'locked', 'incident')")),
        # fetchAndLock's queue: the oldest service tasks a worker may lock, read in order (migration 0011);
        # PostgreSQL only: SQLite's planner cannot tell that the fetch's condition implies the index's
        Index("ix_tasks_service_queue", "created_at",
              postgresql_where=text(SERVICE_QUEUE)).ddl_if(dialect="postgresql"),
    )
    id: Mapped[str] = _id()  # the SpiffWorkflow task id
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    definition_id: Mapped[str] = mapped_column(String(160))
    region: Mapped[str] = mapped_column(String(64))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[str] = mapped_column(String(10))  # TaskKind
    lane: Mapped[str | None] = mapped_column(String(120), nullable=True)
    candidate_groups: Mapped[list] = mapped_column(JSON, default=list)
    # the lane code of the department doing it (bpmn/README.md "Lanes"), read from the diagram at deploy
    department: Mapped[str | None] = mapped_column(String(64), nullable=True)
    topic: Mapped[str | None] = mapped_column(String(120), nullable=True)
    form_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    item: Mapped[str | None] = mapped_column(String(64), nullable=True)
    institution: Mapped[str | None] = mapped_column(String(120), nullable=True)
    state: Mapped[str] = mapped_column(String(12))  # TaskState
    assignee: Mapped[str | None] = mapped_column(String(120), nullable=True, index=True)
    owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    delegation: Mapped[str | None] = mapped_column(String(12), nullable=True)
    limit_working_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    due_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)  # DeadlineKind of ``due_at``
    created_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lock_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lock_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    retries: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retry_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_details: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    properties: Mapped[dict] = mapped_column(JSON, default=dict)


OPEN_USER_TASK = "kind = 'user' AND state IN ('ready', 'claimed', 'locked', 'incident')"


class open_work_keys(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """Who may take an open user task, as one JSON object: {region: groups, "region/institution": groups}
    ("region/" without an institution). A clerk's open work is the tasks whose object contains
    {their region: [a group of theirs]} (a hospital clerk: {"region/hospital" or "region/": [group]}),
    which a GIN index answers without reading the region's other tasks (migration 0003).

    PostgreSQL only: SQLite (the embedded default, small) lists through candidate rows. Index and query
    must spell the expression alike for PostgreSQL to use the index: this element spells both, as
    PostgreSQL itself prints it (so Alembic's comparison of the index with the models agrees too)."""
    type = JSON()
    inherit_cache = True


@compiles(open_work_keys, "postgresql")
def _open_work_keys(element, compiler, **kw):
    region, institution, groups = (compiler.process(c, **kw) for c in element.clauses)
    return (f"jsonb_set(jsonb_set('{{}}'::jsonb, ARRAY[{region}::text], {groups}::jsonb), "
            f"ARRAY[({region}::text || '/') || coalesce({institution}, '')::text], {groups}::jsonb)")


def task_open_work_keys():
    return open_work_keys(Task.region, Task.institution, Task.candidate_groups)


Index("ix_tasks_open_work_keys", task_open_work_keys().label("open_work_keys"),
      postgresql_using="gin", postgresql_ops={"open_work_keys": "jsonb_path_ops"},
      postgresql_with={"fastupdate": "off"},  # reads never scan a pending list; a task adds 2 per group
      postgresql_where=text(OPEN_USER_TASK)).ddl_if(dialect="postgresql")


class TaskCandidate(Base):
    """Candidate groups of open tasks (rows go when the task closes), so "my groups" is an index lookup."""
    __tablename__ = "task_candidates"
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    group: Mapped[str] = mapped_column(String(64), primary_key=True)
    __table_args__ = (Index("ix_task_candidates_group", "group", "task_id"),)


class CaseEvent(Base):
    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(120), nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class ELicence(Base):
    """电子证照 issued for a case, passed to the next department."""
    __tablename__ = "elicences"
    __table_args__ = (UniqueConstraint("case_id", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(120))
    issued_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class Notice(Base):
    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # acceptance / correction / refusal
    number: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    content: Mapped[dict] = mapped_column(JSON, default=dict)


class OutboxMessage(Base):
    """SMS to send; ``dedupe_key`` makes each event's message exist once."""
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), nullable=True, index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # a dispatcher sends it


class Evaluation(Base):
    __tablename__ = "evaluations"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(120))


class Escalation(Base):
    """One 黄灯 / 红灯 / escalation firing; unique per subject and level, so firing twice writes once."""
    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("subject", "level"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(60))  # "task:<id>" or "case:<id>"
    level: Mapped[str] = mapped_column(String(20))    # EscalationLevel
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    department: Mapped[str | None] = mapped_column(String(64), nullable=True)
    item: Mapped[str | None] = mapped_column(String(64), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    deadline_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)  # DeadlineKind of ``due_at``
    fired_at: Mapped[datetime] = mapped_column(DateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(120), nullable=True)


class Incident(Base):
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str | None] = mapped_column(String(120), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEntry(Base):
    """Append-only: the API offers no update or delete."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    case_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class StubHandover(Base):
    """One paper stub (《出生医学证明》副页) on a hand-over list to a police station (bpmn/README.md
    "Paper stubs"). A list is the rows of one run (``batch``) for one ``station``; the unique
    ``elicence_id`` lists each stub once, whatever runs twice or at once."""
    __tablename__ = "stub_handovers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    batch: Mapped[str] = mapped_column(String(80), index=True)  # "<region>:<run date>"
    station: Mapped[str] = mapped_column(String(120))
    elicence_id: Mapped[int] = mapped_column(ForeignKey("elicences.id"), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    certificate_number: Mapped[str] = mapped_column(String(120))
    institution: Mapped[str | None] = mapped_column(String(120), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    listed_at: Mapped[datetime] = mapped_column(DateTime)


class LoginFailure(Base):
    """A failed login, per ``username|client address``: the throttle every API process shares."""
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)
