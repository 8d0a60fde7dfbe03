"""The engine's vocabulary as str Enums (stored as their values): states, roles, levels, the form keys
and decisions with engine meaning (bpmn/README.md), and the family's group code."""
from enum import Enum

FAMILY_GROUP = "applicant"  # the lane code (candidate group) of the family's own tasks (bpmn/README.md "Lanes")
HOSPITAL_WINDOW = "health"  # the 助产机构 window: applies on the family's behalf, hands the stubs to the police
INSTITUTION_GROUPS = (HOSPITAL_WINDOW, "cdc")  # lanes whose tasks belong to the case's hospital


class FormKey(str, Enum):
    """Form keys the engine gives meaning to; other form keys only name a clerk's form."""
    ACCEPTANCE_REVIEW = "acceptance_review"  # the first clerk task of every region: 受理审查
    SUPPLEMENT = "supplement"                # the family's 补正, answered through POST /cases/{id}/supplement


class Decision(str, Enum):
    """The acceptance review's ``decision`` field."""
    ACCEPT = "accept"    # 受理
    CORRECT = "correct"  # 补正: with ``materials``
    REFUSE = "refuse"    # 不予受理: with ``reasons`` (or ``refusal_reason``)


class CaseStatus(str, Enum):
    REVIEW = "review"            # waiting for the acceptance review
    CORRECTION = "correction"    # 补正: waiting for the family; the clock is paused
    IN_PROGRESS = "in_progress"  # accepted, departments working
    COMPLETED = "completed"
    REFUSED = "refused"          # 不予受理
    STOPPED = "stopped"          # could not proceed (e.g. no marriage e-licence)
    FAILED = "failed"            # the diagram misbehaved; an incident says why

    @property
    def is_open(self) -> bool:
        return self in (CaseStatus.REVIEW, CaseStatus.CORRECTION, CaseStatus.IN_PROGRESS)

    @property
    def label(self) -> str:
        """What the family and staff read (status_label)."""
        return CASE_STATUS_LABELS[self]


CASE_STATUS_LABELS = {
    CaseStatus.REVIEW: "待受理", CaseStatus.CORRECTION: "待补正", CaseStatus.IN_PROGRESS: "办理中",
    CaseStatus.COMPLETED: "已办结", CaseStatus.REFUSED: "不予受理", CaseStatus.STOPPED: "无法继续办理",
    CaseStatus.FAILED: "流程异常",
}


class ItemStatus(str, Enum):
    PENDING = "pending"          # 未办结, not started yet
    IN_PROGRESS = "in_progress"  # 未办结, a department works on it
    DONE = "done"                # 已办结
    REFUSED = "refused"          # ended with a reason
    NOT_APPLICABLE = "not_applicable"


ITEM_STATUS_LABELS = {
    ItemStatus.PENDING: "未办结", ItemStatus.IN_PROGRESS: "未办结", ItemStatus.DONE: "已办结",
    ItemStatus.REFUSED: "已办结", ItemStatus.NOT_APPLICABLE: "不适用",
}


class TaskKind(str, Enum):
    USER = "user"
    SERVICE = "service"


class TaskState(str, Enum):
    READY = "ready"          # waiting for a clerk or a worker
    CLAIMED = "claimed"      # a clerk holds it
    LOCKED = "locked"        # a worker holds it until lock_expires_at
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the process moved on without it (boundary event, case ended)
    INCIDENT = "incident"    # retries exhausted; a supervisor may retry

    @property
    def is_open(self) -> bool:
        return self in (TaskState.READY, TaskState.CLAIMED, TaskState.LOCKED, TaskState.INCIDENT)


OPEN_TASK_STATES = [s.value for s in TaskState if s.is_open]


class Delegation(str, Enum):
    """A delegated user task (Camunda's DelegationState): the delegate works it, then it returns resolved."""
    PENDING = "pending"    # the delegate holds it
    RESOLVED = "resolved"  # back with its owner, who completes it with the delegate's data


class Role(str, Enum):
    ADMIN = "admin"
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    FAMILY = "family"
    WORKER = "worker"


class EscalationLevel(str, Enum):
    WARNING = "warning"   # 黄灯
    OVERDUE = "overdue"   # 红灯
    LEVEL1 = "level1"     # department supervisor
    LEVEL2 = "level2"     # region supervisor


class DeadlineKind(str, Enum):
    """Which kind of limit a deadline comes from (bpmn/README.md "Promises and internal targets")."""
    PROMISE = "promise"  # 承诺时限: a limit the seed states; printed on notices, sent by SMS, shown to the family
    TARGET = "target"    # 内部督办时限: set by the region's operator; for staff only, never told to the family

    @property
    def label(self) -> str:
        return DEADLINE_KIND_LABELS[self]


DEADLINE_KIND_LABELS = {DeadlineKind.PROMISE: "承诺时限", DeadlineKind.TARGET: "内部督办时限"}


def is_promise(kind: str | None) -> bool:
    """Whether a deadline of this kind (a ``DeadlineKind`` value) may be told to the family."""
    return kind == DeadlineKind.PROMISE.value
