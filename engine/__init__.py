"""The engine's surface: every name the web layer (``api``) and the workers may use.

The engine runs SpiffWorkflow for the regions' BPMN processes, with no Flask. It is arranged by role:

- ``engine.bpmn``       the BPMN model: safe XML, the Camunda-aware parser, validation, expressions, version diff;
- ``engine.store``      tables, sessions, transactions, migrations, the committed-workflow cache;
- ``engine.work``       cases, the engine step, user tasks, external tasks, family tasks, 补正, case moves;
- ``engine.deadlines``  the working-day calendar, deadlines, escalation, the scheduler, supervision;
- ``engine.notify``     SMS outbox, notices, timeline, archive;
- ``engine.simulation`` the month replay on a virtual clock (``python -m engine simulate``);

and a few top-level modules: ``errors`` and ``states`` (the vocabulary), ``scope`` (who may see and do
what), ``context`` (what every operation is given), ``definitions`` (deploying BPMN), ``background``.
``api`` and ``workers`` import from here only (import-linter holds them to it); inside the engine,
modules import each other by their full path.
"""

from engine import definitions, errors
from engine.errors import (
    AdapterError, BpmnError, Conflict, DeployRejected, Forbidden, Invalid, NotFound, Problem, ProcessFailure,
    StepRefused
)
from engine.states import (
    CaseStatus,
    DeadlineKind,
    Decision,
    Delegation,
    EscalationLevel,
    FAMILY_GROUP,
    FormKey,
    ITEM_STATUS_LABELS,
    ItemStatus,
    OPEN_TASK_STATES,
    is_promise,
    Role,
    TaskKind,
    TaskState,
)
from engine import scope
from engine.scope import (
    Actor, in_region, may_apply_for, may_read_case, may_see_task, may_serve_task, may_serve_topic, may_supervise,
    may_work_task, readable_cases, served_by, served_tasks, Served, serves_region, stub_lists_scope,
    supervised_region, visible_tasks, workable_tasks,
)
from engine.context import EngineContext
from engine.background import WakeableLoop
from engine.definitions import deploy_folder, latest_by_region, latest_for_region, spec_cache, validate_diagram
from engine.bpmn.diff import diff_versions
from engine.bpmn.model import CAMUNDA_NS, executable_processes, NS, process_properties
from engine.bpmn.safe_xml import parse_bpmn_bytes
from engine.store import db
from engine.store.db import (
    alembic_config,
    connection_events,
    engine_options,
    make_session_factory,
    normalise_url,
)
from engine.store.models import (
    Base,
    Case,
    CaseEvent,
    CaseItem,
    Definition,
    Deployment,
    ELicence,
    Evaluation,
    Incident,
    LoginFailure,
    Notice,
    StubHandover,
    Task,
    task_open_work_keys,
    TaskCandidate,
    User,
)
from engine.work import cases, external, family_tasks, supplements, tasks, version_moves
from engine.work.retries import plan_for, reported_retries, retry_plan, RetryPlan
from engine.deadlines import stubs, supervision
from engine.deadlines.calendar import CalendarDataError, default_calendar, WorkingCalendar
from engine.deadlines.recompute import load_year as load_calendar_year
from engine.deadlines.clock import CHINA, Clock, SystemClock
from engine.deadlines.scheduler import EscalationScheduler
from engine.notify import archive, notices, timeline
from engine.notify.notices import delivery_of, item_name, ITEM_NAMES
from engine.notify.notifications import get_notifier, OutboxDispatcher
from engine.simulation import departments
from engine.simulation.departments import SimulatedDepartment

__all__ = [
    "Actor",
    "AdapterError",
    "alembic_config",
    "archive",
    "Base",
    "BpmnError",
    "CalendarDataError",
    "CAMUNDA_NS",
    "Case",
    "CaseEvent",
    "CaseItem",
    "cases",
    "CaseStatus",
    "CHINA",
    "Clock",
    "Conflict",
    "connection_events",
    "db",
    "DeadlineKind",
    "Decision",
    "Delegation",
    "default_calendar",
    "Definition",
    "definitions",
    "delivery_of",
    "departments",
    "deploy_folder",
    "Deployment",
    "DeployRejected",
    "diff_versions",
    "ELicence",
    "engine_options",
    "EngineContext",
    "errors",
    "EscalationLevel",
    "EscalationScheduler",
    "Evaluation",
    "executable_processes",
    "external",
    "FAMILY_GROUP",
    "family_tasks",
    "Forbidden",
    "FormKey",
    "get_notifier",
    "in_region",
    "Incident",
    "Invalid",
    "is_promise",
    "ITEM_NAMES",
    "item_name",
    "ITEM_STATUS_LABELS",
    "ItemStatus",
    "latest_by_region",
    "latest_for_region",
    "load_calendar_year",
    "LoginFailure",
    "make_session_factory",
    "may_apply_for",
    "may_read_case",
    "may_see_task",
    "may_serve_task",
    "may_serve_topic",
    "may_supervise",
    "may_work_task",
    "normalise_url",
    "NotFound",
    "Notice",
    "notices",
    "NS",
    "OPEN_TASK_STATES",
    "OutboxDispatcher",
    "parse_bpmn_bytes",
    "Problem",
    "plan_for",
    "process_properties",
    "ProcessFailure",
    "readable_cases",
    "reported_retries",
    "retry_plan",
    "RetryPlan",
    "Role",
    "scope",
    "served_by",
    "served_tasks",
    "Served",
    "serves_region",
    "SimulatedDepartment",
    "spec_cache",
    "StepRefused",
    "StubHandover",
    "stub_lists_scope",
    "stubs",
    "supervised_region",
    "supervision",
    "supplements",
    "SystemClock",
    "Task",
    "task_open_work_keys",
    "TaskCandidate",
    "TaskKind",
    "tasks",
    "TaskState",
    "timeline",
    "User",
    "validate_diagram",
    "version_moves",
    "visible_tasks",
    "WakeableLoop",
    "workable_tasks",
    "WorkingCalendar",
]
