"""The in-memory workflow of a case's last step is reused only while it is the saved version."""
from sqlalchemy import select

from engine.work import runtime
from engine.store.models import Case, Task
from engine.states import TaskKind
from engine.store.workflow_cache import WorkflowCache
from tests.engine.helpers import (
    complete_service_task, engine_context, open_tasks, start_accepted_case, statements_during,
)


def _service_tasks(ctx, case_id):
    return [t for t in open_tasks(ctx, case_id) if t.kind == TaskKind.SERVICE.value]


def test_a_step_reuses_the_workflow_its_own_last_step_saved(clean_db, clock, monkeypatch):
    cache = WorkflowCache()
    monkeypatch.setattr(runtime, "workflow_cache", cache)
    ctx = engine_context(clean_db, clock)
    case = start_accepted_case(ctx)
    hits = cache.hits
    complete_service_task(ctx, _service_tasks(ctx, case.id)[0])
    assert cache.hits == hits + 1  # no parse of the stored JSON for this step
    ctx.session.close()


def test_a_step_taken_elsewhere_makes_the_kept_workflow_stale_and_it_is_not_used(clean_db, clock, monkeypatch):
    here, elsewhere = WorkflowCache(), WorkflowCache()
    monkeypatch.setattr(runtime, "workflow_cache", here)
    ctx = engine_context(clean_db, clock)
    case = start_accepted_case(ctx)
    first, *_ = _service_tasks(ctx, case.id)
    version_here = ctx.session.get(Case, case.id).row_version

    # another process (its own cache) takes the next step: the stored case moves on
    monkeypatch.setattr(runtime, "workflow_cache", elsewhere)
    other = engine_context(clean_db, clock)
    complete_service_task(other, other.session.get(Task, first.id))
    other.session.close()

    # back here, the kept workflow is one version behind: it must be ignored, the stored one loaded
    monkeypatch.setattr(runtime, "workflow_cache", here)
    ctx.session.expire_all()
    assert ctx.session.get(Case, case.id).row_version > version_here
    misses = here.misses
    second = _service_tasks(ctx, case.id)[0]
    assert second.id != first.id
    complete_service_task(ctx, second)
    assert here.misses == misses + 1
    done = ctx.session.scalar(select(Task.state).where(Task.id == first.id))
    assert done == "completed"  # the other process's step is not undone by a stale workflow
    state = runtime.load_workflow(ctx.session.get(Case, case.id), runtime.spec_cache.version(ctx.session, case.definition_id))
    assert first.id not in runtime.waiting_tasks(state) and second.id not in runtime.waiting_tasks(state)
    ctx.session.close()


class Kept:
    """A stand-in workflow: what ``take_apart`` empties is its attribute dict."""
    def __init__(self):
        self.tasks = {"task": object()}

    def taken_apart(self) -> bool:
        return vars(self) == {}


def test_the_cache_keeps_at_most_its_size_and_forgets_the_oldest():
    cache = WorkflowCache(size=2)
    for n in range(3):
        cache.put(f"case-{n}", 1, Kept())
    assert cache.take("case-0", 1) is None
    assert cache.take("case-2", 1) is not None
    assert cache.take("case-2", 1) is None  # taken: one step at a time uses a workflow object


def test_the_cache_knows_which_tasks_its_workflows_wait_on_until_they_leave_it():
    cache = WorkflowCache(size=1)
    cache.put("case-1", 1, Kept(), ["task-a", "task-b"])
    assert cache.may_hold_task("task-a") and cache.may_hold_task("task-b")
    assert not cache.may_hold_task("task-c")
    cache.take("case-1", 1)
    assert not cache.may_hold_task("task-a")  # taken: the next step reads the stored state
    cache.put("case-1", 2, Kept(), ["task-b"])
    cache.put("case-2", 1, Kept(), ["task-c"])  # evicts case-1
    assert not cache.may_hold_task("task-b") and cache.may_hold_task("task-c")


def test_what_the_cache_lets_go_of_it_takes_apart_and_what_it_hands_out_it_does_not():
    """Evicted, replaced, found stale, offered while off, cleared: no one else holds those workflows, so
    they are emptied for reference counting to free (engine.bpmn.teardown); a taken one is the step's."""
    cache = WorkflowCache(size=2)
    evicted, replaced, stale, taken, newer, cleared = (Kept() for _ in range(6))
    cache.put("case-1", 1, evicted)
    cache.put("case-2", 1, replaced)
    cache.put("case-2", 2, newer)  # the case's next step saved elsewhere: the older entry replaced
    cache.put("case-3", 1, stale)  # evicts case-1
    assert evicted.taken_apart() and replaced.taken_apart()
    assert cache.take("case-3", 2) is None and stale.taken_apart()  # a step elsewhere moved the case on
    assert cache.take("case-2", 2) is newer and not newer.taken_apart()
    cache.put("case-2", 3, newer)  # the step that took it puts it back: the same object is kept whole
    assert not newer.taken_apart()
    cache.put("case-4", 1, taken)
    assert cache.take("case-4", 1) is taken and not taken.taken_apart()
    cache.put("case-5", 1, cleared)
    cache.clear()
    assert cleared.taken_apart() and not taken.taken_apart()
    off, offered = WorkflowCache(size=0), Kept()
    off.put("case-6", 1, offered)
    assert offered.taken_apart() and off.take("case-6", 1) is None


def _case_reads(ctx, step) -> list[str]:
    """The statements reading the case row while ``step`` runs (the lock, with the task's on PostgreSQL; a
    lazy state read; not the worker's fetch, which reads its locked cases with their licences)."""
    return statements_during(
        ctx, step, r"(?s)^\s*SELECT\b(?!\s*locked_cases).*FROM cases\s+(?:WHERE|JOIN tasks AS locked_task)")


def test_a_step_this_process_holds_no_workflow_for_reads_the_state_with_the_case_lock(clean_db, clock,
                                                                                       monkeypatch):
    cache = WorkflowCache()
    monkeypatch.setattr(runtime, "workflow_cache", cache)
    ctx = engine_context(clean_db, clock)
    case = start_accepted_case(ctx)
    first, second, *_ = _service_tasks(ctx, case.id)

    cache.clear()  # as if the case's last step ran in another process
    ctx.session.expire_all()
    hits, misses = cache.hits, cache.misses
    reads = _case_reads(ctx, lambda: complete_service_task(ctx, first))
    assert cache.misses == misses + 1 and len(reads) == 1  # one read: the lock with the state, no second SELECT
    assert "cases.state" in reads[0]

    ctx.session.expire_all()
    reads = _case_reads(ctx, lambda: complete_service_task(ctx, ctx.session.get(Task, second.id)))
    assert cache.hits == hits + 1 and len(reads) == 1  # held here: the lock alone, the state not read
    assert "cases.state" not in reads[0]
    ctx.session.close()
