"""Workers inside the embedded app: a thread that serves every topic through the engine directly."""
import logging

from engine import (
    AdapterError, BpmnError, Conflict, EngineContext, external, Invalid, NotFound, plan_for, TaskKind, WakeableLoop
)

log = logging.getLogger(__name__)


def idempotency_key(locked) -> str:
    """Derived from the case and the step, never from the attempt: a retry repeats the same key."""
    return f"{locked.task.case_id}:{locked.task.bpmn_id}"


class InProcessWorker(WakeableLoop):
    thread_name = "inprocess-worker"

    def __init__(self, session_factory, adapter, clock, calendar, topics=None, worker_id="inprocess",
                 lock_ms: int = 60_000, poll_seconds: float = 1.0):
        super().__init__()
        self.interval = poll_seconds
        self.session_factory = session_factory
        self.adapter = adapter
        self.clock = clock
        self.calendar = calendar
        self.topics = topics
        self.worker_id = worker_id
        self.lock_ms = lock_ms

    def _context(self, session) -> EngineContext:
        return EngineContext(session=session, clock=self.clock, calendar=self.calendar)

    def run_once(self, max_tasks: int = 20) -> int:
        """Serve what is waiting now; returns how many tasks were handled."""
        with self.session_factory() as session:
            ctx = self._context(session)
            topics = self.topics or external.open_topics(ctx)
            if not topics:
                return 0
            locked = external.fetch_and_lock(ctx, self.worker_id, {t: self.lock_ms for t in topics}, max_tasks)
            for task in locked:
                self._handle(ctx, task)
            return len(locked)

    def drain(self, limit: int = 10_000) -> int:
        handled = 0
        while handled < limit:
            count = self.run_once()
            if not count:
                return handled
            handled += count
        return handled

    def _handle(self, ctx, locked) -> None:
        task_id = locked.task.id
        try:
            self._answer(ctx, locked)
        except AdapterError as exc:
            self._fail(ctx, locked, str(exc))
        except Invalid as exc:  # the answer does not fit the diagram: retried, then an incident
            self._fail(ctx, locked, "；".join(p.message for p in exc.as_problems()))
        except (Conflict, NotFound) as exc:
            ctx.session.rollback()
            log.info("task %s moved on: %s", task_id, exc)

    def _fail(self, ctx, locked, message: str) -> None:
        """A failed attempt, retried by the task's policy (its BPMN ``retries``/``retryBackoffSeconds``)."""
        ctx.session.rollback()
        plan = plan_for(locked.task)
        external.handle_failure(ctx, locked.task.id, self.worker_id, message, None, plan.retries_left, plan.backoff_ms)

    def _answer(self, ctx, locked) -> None:
        """Call the department; complete the task with its answer, or throw its BPMN error."""
        try:
            result = self.adapter.call(locked.task.topic, locked.variables, idempotency_key(locked))
        except BpmnError as exc:
            ctx.session.rollback()
            external.bpmn_error(ctx, locked.task.id, self.worker_id, exc.code, exc.message, exc.variables)
            return
        external.complete(ctx, locked.task.id, self.worker_id, result)

    def after_commit(self, ctx, changes) -> None:
        if any(t.kind == TaskKind.SERVICE for t in changes.opened):
            self.wake()
