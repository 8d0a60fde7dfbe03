"""Who is acting, and what their role lets them see and do (the engine's scoping rules)."""
from dataclasses import dataclass, field

from engine.errors import Forbidden
from engine.states import Role


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    region: str | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)
    institution: str | None = None
    user_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def may_work_task(actor: Actor, task) -> bool:
    """A clerk works tasks of their own groups in their own region (and institution, for hospitals)."""
    if actor.role != Role.CLERK or actor.region != task.region:
        return False
    if not set(actor.groups) & set(task.candidate_groups):
        return False
    return task.institution is None or actor.institution is None or actor.institution == task.institution


def may_read_case(actor: Actor, case) -> bool:
    if actor.is_admin:
        return True
    if actor.role == Role.FAMILY:
        return case.applicant_id is not None and case.applicant_id == actor.user_id
    return actor.role in (Role.CLERK, Role.SUPERVISOR) and actor.region == case.region


def require(condition: bool, message: str = "无权执行此操作") -> None:
    if not condition:
        raise Forbidden(message)
