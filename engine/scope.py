"""Who is acting, and what each audience may see and do: every visibility rule, once.

Each rule is written twice, side by side: as a Python predicate over one row (for reads of one case or
task) and as the matching SQLAlchemy condition (for lists, counts, statistics and pages). Every list,
read, export, notice, statistic and page query goes through here, so the two cannot drift apart.

Audiences:

- family      their own cases (``applicant_id``);
- clerk       their region; for tasks also their candidate groups; a clerk bound to an institution
              (a hospital's ``health`` / ``cdc`` window) sees only that institution's cases and tasks
              (and those with no institution);
- supervisor  their region;
- worker      their topics (``groups``), in their ``regions`` (none bound: every region);
- admin       everything.
"""
from dataclasses import dataclass, field

from sqlalchemy import Boolean, and_, bindparam, exists, false, literal, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB

from engine.errors import Forbidden
from engine.states import HOSPITAL_WINDOW, Role
from engine.store.models import Case, Task, task_open_work_keys, TaskCandidate


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    region: str | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)
    institution: str | None = None
    user_id: int | None = None
    regions: tuple[str, ...] = field(default_factory=tuple)  # a worker's bound regions (none: all)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def require(condition: bool, message: str = "无权执行此操作") -> None:
    if not condition:
        raise Forbidden(message)


# --- institution: the same rule for cases and tasks -------------------------------------------------

def _institution_ok(actor: Actor, institution: str | None) -> bool:
    return institution is None or actor.institution is None or actor.institution == institution


def _institution_sql(actor: Actor, column):
    if actor.institution is None:
        return true()
    return column.is_(None) | (column == actor.institution)


# --- cases ---------------------------------------------------------------------------------------

def may_read_case(actor: Actor, case) -> bool:
    """Family: own cases; clerk: own region and institution; supervisor: own region; admin: all."""
    if actor.is_admin:
        return True
    if actor.role == Role.FAMILY:
        return case.applicant_id is not None and case.applicant_id == actor.user_id
    if actor.role == Role.CLERK:
        return actor.region == case.region and _institution_ok(actor, case.institution)
    return actor.role == Role.SUPERVISOR and actor.region == case.region


def readable_cases(actor: Actor):
    """``may_read_case`` as a condition on ``Case``."""
    if actor.is_admin:
        return true()
    if actor.role == Role.FAMILY:
        return Case.applicant_id == actor.user_id if actor.user_id is not None else false()
    if actor.role == Role.CLERK:
        return (Case.region == actor.region) & _institution_sql(actor, Case.institution)
    if actor.role == Role.SUPERVISOR:
        return Case.region == actor.region
    return false()


# --- clerks' and supervisors' user tasks -----------------------------------------------------------

def may_work_task(actor: Actor, task) -> bool:
    """A clerk works tasks of their own groups in their own region (and institution, for hospitals)."""
    if actor.role != Role.CLERK or actor.region != task.region:
        return False
    if not set(actor.groups) & set(task.candidate_groups or ()):
        return False
    return _institution_ok(actor, task.institution)


# ``may_work_task`` (admins: any task) on the task bound as ``task_id``, for one statement built once: the
# actor comes as bound values (``work_scope_values``), not as a condition built per clerk. The candidate
# rows are looked up by that bound id (one probe of their key), not by the task row's id: correlated,
# the database read every candidate row of the clerk's group into a hash first (400 per claim in the bench)
BOUND_WORK_SCOPE = or_(
    bindparam("scope_anyone", type_=Boolean()),
    and_(Task.region == bindparam("scope_region"),
         exists().where(TaskCandidate.task_id == bindparam("task_id"),
                        TaskCandidate.group.in_(bindparam("scope_groups", expanding=True))),
         or_(bindparam("scope_any_institution", type_=Boolean()), Task.institution.is_(None),
             Task.institution == bindparam("scope_institution"))))


def work_scope_values(actor: Actor) -> dict:
    """The actor as ``BOUND_WORK_SCOPE``'s values: an admin any task, a clerk their own, anyone else none."""
    clerk = actor.role == Role.CLERK
    return {"scope_anyone": actor.is_admin, "scope_region": actor.region if clerk else None,
            "scope_groups": list(actor.groups) if clerk else [], "scope_any_institution": actor.institution is None,
            "scope_institution": actor.institution}


def _groups_work(actor: Actor, by_keys: bool):
    """Open work of the clerk's groups: by the open-work keys (one GIN lookup on PostgreSQL, finding
    exactly the clerk's region and hospital), else by candidate rows (checked row by row)."""
    if not by_keys:
        return Task.id.in_(select(TaskCandidate.task_id).where(TaskCandidate.group.in_(actor.groups)))
    places = [f"{actor.region}/{actor.institution}", f"{actor.region}/"] if actor.institution else [actor.region]
    keys = task_open_work_keys()
    return or_(false(), *(keys.op("@>")(literal({place: [group]}, JSONB))
                          for place in places for group in actor.groups))


def workable_tasks(actor: Actor, open_only: bool = True, by_keys: bool = False):
    """``may_work_task`` as a condition on ``Task`` (open work); with ``open_only`` false the clerk's
    own past work (assigned or completed by them) is added. ``by_keys``: PostgreSQL's open-work keys."""
    if actor.role != Role.CLERK:
        return false()
    groups_work = _groups_work(actor, by_keys and open_only)
    if not open_only:
        groups_work = groups_work | (Task.assignee == actor.username) | (Task.completed_by == actor.username)
    return (Task.region == actor.region) & groups_work & _institution_sql(actor, Task.institution)


def may_see_task(actor: Actor, task) -> bool:
    """Admin: all; supervisor: own region; clerk: tasks they may work."""
    if actor.is_admin:
        return True
    if actor.role == Role.SUPERVISOR:
        return actor.region == task.region
    return may_work_task(actor, task)


def visible_tasks(actor: Actor, open_only: bool = True, by_keys: bool = False):
    """``may_see_task`` as a condition on ``Task`` (see ``workable_tasks`` for the clerk's part)."""
    if actor.is_admin:
        return true()
    if actor.role == Role.SUPERVISOR:
        return Task.region == actor.region
    return workable_tasks(actor, open_only, by_keys)


# --- supervision (电子监察) ---------------------------------------------------------------------------

def supervised_region(actor: Actor, asked: str | None = None) -> str | None:
    """The region a supervision query covers: the supervisor's own; the admin's choice (None: all).
    Raises Forbidden for any other role."""
    if actor.is_admin:
        return asked or None
    require(actor.role == Role.SUPERVISOR, "只有电子监察人员可以查看监察数据")
    return actor.region


def may_supervise(actor: Actor, region: str | None) -> bool:
    return actor.is_admin or (actor.role == Role.SUPERVISOR and actor.region == region)


def in_region(column, region: str | None):
    """A supervision query's region as a condition (None: every region)."""
    return true() if region is None else column == region


def stub_lists_scope(actor: Actor, asked: str | None = None) -> tuple[str | None, str | None]:
    """(region, institution) of the paper stubs' hand-over lists the actor reads: the admin's choice of
    region (None: all), a supervisor's region, a hospital window's region and own institution.
    Raises Forbidden for anyone else."""
    if actor.is_admin:
        return asked or None, None
    if actor.role == Role.SUPERVISOR:
        return actor.region, None
    require(actor.role == Role.CLERK and HOSPITAL_WINDOW in actor.groups,
            "只有助产机构窗口和监察人员可以查看副页移交清单")
    return actor.region, actor.institution


def may_apply_for(actor: Actor, region: str) -> bool:
    """A clerk files a case only as the region's hospital window (代为申请); families and admins always may."""
    return actor.role != Role.CLERK or (actor.region == region and HOSPITAL_WINDOW in actor.groups)


# --- department systems' workers (external tasks) -------------------------------------------------

def may_serve_topic(actor: Actor, topic: str | None) -> bool:
    return actor.is_admin or (actor.role == Role.WORKER and topic in actor.groups)


def serves_region(actor: Actor, region: str | None) -> bool:
    """A worker bound to regions serves those alone (none bound: every region)."""
    return actor.is_admin or not actor.regions or region in actor.regions


def may_serve_task(actor: Actor, task) -> bool:
    """A worker serves its topics in its bound regions (none bound: every region); the admin, all."""
    return may_serve_topic(actor, task.topic) and serves_region(actor, task.region)


@dataclass(frozen=True)
class Served:
    """What a worker may serve, as values: ``topics`` / ``regions`` ``None`` admit any. The locking
    statement of ``engine.work.external`` binds these values into a statement built once per shape."""
    topics: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None

    def condition(self):
        topic = true() if self.topics is None else Task.topic.in_(list(self.topics))
        return topic if self.regions is None else topic & Task.region.in_(list(self.regions))


def served_by(actor: Actor) -> Served:
    """``may_serve_task`` as values: the admin serves all; a worker its topics in its regions; others nothing."""
    if actor.is_admin:
        return Served()
    if actor.role != Role.WORKER:
        return Served(topics=())
    return Served(topics=tuple(actor.groups), regions=tuple(actor.regions) or None)


def served_tasks(actor: Actor):
    """``may_serve_task`` as a condition on ``Task``."""
    return served_by(actor).condition()
