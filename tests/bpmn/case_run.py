"""One region's case driven through the real engine: every action is an engine step (``run_step``).

Clerks' tasks are claimed and completed (``engine.work.tasks``), the family's own tasks and 补正 go
through ``family_tasks`` and ``supplements``, service tasks are fetched, locked and completed (or
answered with a BPMN error) through ``engine.work.external``. What the tests read back comes from the
rows the step writes (tasks, items, the case's status) and from the workflow state it saved.
"""
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import select

from diagrams import bpmn_path, element_properties
from engine.scope import Actor
from engine.definitions import deploy, spec_cache
from engine.simulation.departments import SimulatedDepartment
from engine.states import CaseStatus, FAMILY_GROUP, FormKey, ItemStatus, OPEN_TASK_STATES, Role, TaskKind, \
    TaskState
from engine.store.models import Case, CaseItem, Task
from engine.work import cases, external, family_tasks, runtime, supplements, tasks

ADMIN = Actor(username="admin", role=Role.ADMIN)
WORKER = "region-test"
LOCK_MS = 60_000

# What clerks, families and workers answer unless a test says otherwise (each form's required fields).
DEFAULT_ANSWERS = {
    "acceptance_review": {"decision": "accept"},
    "newborn_naming": {"newborn_name": "李小明", "newborn_named": True},
    "ethnicity_review": {"newborn_ethnicity": "汉族"},
    "hukou_prereview": {"prereview_passed": True},
    "materials_upload": {"materials_uploaded": True},
    "hukou_page_upload": {"hukou_page_uploaded": True},
    "parents_identity_check": {"parents_identity_confirmed": True},
    "file_handover": {"handover_date": "2025-09-29"},
    "hall_receipt": {"materials_complete": True},
    "results_handover": {"collected_by": "李秀英"},
    "maternity_claim": {"reimbursed_amount": 3200},
    "postage_payment": {"postage_paid": True},
    "insurance_payment_confirmation": {"payment_voucher": "JF2025092900001", "paid_on": "2025-09-29"},
}


class BpmnError(Exception):
    """What a worker reports instead of a result when its department refuses the item."""

    def __init__(self, code, payload):
        super().__init__(code)
        self.code = code
        self.payload = payload


class CaseRun:
    """One case of ``region``. ``answers`` maps a user task's form key or bpmn id to the data entered (a
    dict, or a list of dicts used in turn); ``results`` maps a service topic to a worker's result (a dict,
    or a ``BpmnError``). ``check(run)`` is called after every step."""

    def __init__(self, ctx, region, data, answers=None, results=None, check=None, max_steps=300):
        self.ctx = ctx
        self.region = region
        self.props = element_properties(region)
        self.answers = {**DEFAULT_ANSWERS, **(answers or {})}
        self.results = dict(results or {})  # else the simulated department answers, as the diagrams declare
        self.department = SimulatedDepartment()
        self.check = check
        self.handled = []  # bpmn ids of the user/service tasks this run completed, in order
        definition, _created = deploy(ctx.session, bpmn_path(region).read_bytes(), ctx.now(), region=region)
        ctx.session.commit()
        facts = {k: v for k, v in data.items() if k != "items"}
        self.case = cases.start_case(ctx, region, list(data["items"]), {}, facts, definition=definition)
        self.definition = spec_cache.version(ctx.session, definition.id)
        self._run(max_steps)

    # -- driving -------------------------------------------------------------------------------

    def _run(self, max_steps):
        for _ in range(max_steps):
            self._check_rows_mirror_workflow()
            if self.check:
                self.check(self)
            if not CaseStatus(self._case().status).is_open:
                return
            waiting = self._next_tasks()
            if not waiting:
                raise AssertionError(f"stuck; case {self._case().status}, waiting: {self.open_ids()}")
            task = waiting[0]
            if task.kind == TaskKind.USER.value:
                self._work_user_task(task)
            else:
                self._work_service_task(task)
            self.handled.append(task.bpmn_id)
        raise AssertionError("too many steps")

    def _check_rows_mirror_workflow(self) -> None:
        """After every step the open task rows are exactly the saved workflow's waiting tasks: none missing,
        none left open (a cancelled branch or an ended case leaves no open row behind)."""
        waiting = set(runtime.waiting_tasks(self.workflow()))
        open_rows = {t.id for t in self.open_rows()}
        assert open_rows == waiting, f"rows {sorted(open_rows)} != workflow {sorted(waiting)}"

    def _next_tasks(self) -> list[Task]:
        """Open rows in the workflow's own task order, the user tasks before the service tasks."""
        rows = {t.id: t for t in self.open_rows()}
        order = list(runtime.waiting_tasks(self.workflow()))
        ranked = sorted(rows.values(), key=lambda t: (t.kind != TaskKind.USER.value, order.index(t.id)))
        return ranked

    def _answer(self, table, key):
        value = table[key]
        if isinstance(value, list):
            return value.pop(0) if len(value) > 1 else value[0]
        return value

    def _user_answer(self, task: Task) -> dict:
        key = task.form_key if task.form_key in self.answers else task.bpmn_id
        return dict(self._answer(self.answers, key)) if key in self.answers else {}

    def _work_user_task(self, task: Task) -> None:
        data = self._user_answer(task)
        if task.form_key == FormKey.SUPPLEMENT:
            supplements.supply(self.ctx, ADMIN, self.case.id, self._case().form, data, [], "")
        elif FAMILY_GROUP in task.candidate_groups:
            family_tasks.complete(self.ctx, ADMIN, self.case.id, task.id, data)
        else:
            tasks.claim(self.ctx, ADMIN, task.id)
            tasks.complete(self.ctx, ADMIN, task.id, data)

    def _work_service_task(self, task: Task) -> None:
        locked = external.fetch_and_lock(self.ctx, WORKER, {task.topic: LOCK_MS}, 50)
        [mine] = [lk for lk in locked if lk.task.id == task.id]
        if task.topic in self.results:
            result = self._answer(self.results, task.topic)
        else:
            result = self.department.call(task.topic, mine.variables, f"{task.case_id}:{task.bpmn_id}")
        if isinstance(result, BpmnError):
            external.bpmn_error(self.ctx, task.id, WORKER, result.code, "", dict(result.payload))
        else:
            external.complete(self.ctx, task.id, WORKER, dict(result))

    # -- reading back ------------------------------------------------------------------------------

    def _case(self) -> Case:
        return self.ctx.session.get(Case, self.case.id, populate_existing=True)

    def workflow(self):
        """The workflow as the last step saved it."""
        return runtime.load_workflow(self._case(), self.definition)

    def open_rows(self) -> list[Task]:
        return self.ctx.session.scalars(select(Task).where(
            Task.case_id == self.case.id, Task.state.in_(OPEN_TASK_STATES))
            .execution_options(populate_existing=True)).all()

    def open_ids(self):
        return sorted(t.bpmn_id for t in self.open_rows())

    def open_lanes(self):
        return {t.lane for t in self.open_rows()}

    def completed_ids(self):
        return set(self.ctx.session.scalars(select(Task.bpmn_id).where(
            Task.case_id == self.case.id, Task.state == TaskState.COMPLETED.value)))

    @property
    def done(self):
        """bpmn ids of completed workflow tasks in completion order, engine-run ones (events) included."""
        finished = self.workflow().get_tasks(state=SpiffState.COMPLETED)
        ordered = sorted(finished, key=lambda t: t.last_state_change)
        return [t.task_spec.bpmn_id for t in ordered if t.task_spec.bpmn_id]

    def item_status(self):
        """item -> done/refused, as the case's item rows say."""
        items = self.ctx.session.scalars(select(CaseItem).where(CaseItem.case_id == self.case.id)
                                         .execution_options(populate_existing=True)).all()
        ended = (ItemStatus.DONE.value, ItemStatus.REFUSED.value)
        return {i.item: i.status for i in items if i.status in ended}

    def item_reason(self, item):
        row = self.ctx.session.scalars(select(CaseItem).where(
            CaseItem.case_id == self.case.id, CaseItem.item == item)).one()
        return row.reason

    def ended(self) -> bool:
        """The saved workflow is complete and the case row says it ended."""
        return self.workflow().is_completed() and not CaseStatus(self._case().status).is_open

    def outcome(self):
        """The case's status: completed, refused or stopped once it ended."""
        return self._case().status

    def outcome_reason(self):
        return self._case().outcome_reason
