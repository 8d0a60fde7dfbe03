"""A worker process: long-poll /engine-rest, call the topic's department adapter, complete or fail.

A process works ``concurrency`` tasks at once (one by default; more for a department slow to answer):
it asks for more whenever fewer than that are in hand. Many such processes (on many hosts) may serve one
topic: the engine's locks keep each task with one worker at a time, and the idempotency key (case + BPMN
activity, never the attempt) makes a repeated department call after a crash return the first answer.
"""
import logging
import os
import signal
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from engine import AdapterError, BpmnError, retry_plan
from workers.client import EngineRestError, plain_variables

log = logging.getLogger("workers")
EMPTY_ANSWER_PAUSE_S = 0.5


def idempotency_key(task: dict) -> str:
    return f"{task['processInstanceId']}:{task['activityId']}"


class ExternalWorker:
    def __init__(self, client, adapters: dict, worker_id: str, max_tasks: int = 1, lock_ms: int = 60_000,
                 wait_ms: int = 10_000, pause_after_call_ms: int = 0, concurrency: int = 1):
        self.client = client
        self.adapters = adapters
        self.worker_id = worker_id
        self.max_tasks = max_tasks
        self.lock_ms = lock_ms
        self.wait_ms = wait_ms
        self.pause_after_call_ms = pause_after_call_ms  # tests: a window to kill the process in
        self.concurrency = max(concurrency, 1)
        self.stopping = threading.Event()
        self.handled = 0
        self._count = threading.Lock()

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT: finish the task in hand, then stop polling."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())

    def run(self) -> None:
        log.info("worker %s serving %s (%d at once)", self.worker_id, ", ".join(self.adapters), self.concurrency)
        if self.concurrency == 1:  # in this thread: a hand-over to a pool thread per task cost 0.4 ms of CPU
            while not self.stopping.is_set():
                for task in self._fetch():
                    self._handle_logged(task)  # a task in hand is finished even when asked to stop
        else:
            self._run_concurrently()
        log.info("worker %s stopped after %d tasks", self.worker_id, self.handled)

    def _run_concurrently(self) -> None:
        self._in_hand = threading.Semaphore(self.concurrency)  # a slot per task worked at once
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="task") as pool:
            while not self.stopping.is_set():
                if not self._in_hand.acquire(timeout=0.5):  # every slot busy: ask for nothing yet
                    continue
                self._in_hand.release()
                for task in self._fetch():
                    self._in_hand.acquire()  # waits while ``concurrency`` tasks are being worked
                    pool.submit(self._handle_in_slot, task)
        # leaving the pool waits for the tasks in hand: each is finished even when asked to stop

    def _fetch(self) -> list:
        asked = time.monotonic()
        try:
            tasks = self.client.fetch_and_lock(self.worker_id, list(self.adapters), self.max_tasks,
                                               self.lock_ms, self.wait_ms)
        except Exception as exc:  # the engine restarting must not end the worker
            log.warning("fetch failed: %s", exc)
            self.stopping.wait(1.0)
            return []
        if not tasks and time.monotonic() - asked < self.wait_ms / 2000:
            # answered at once with nothing (the server's long-polling slots were taken): wait a
            # little ourselves rather than ask again at once
            self.stopping.wait(EMPTY_ANSWER_PAUSE_S)
        return tasks

    def _handle_in_slot(self, task: dict) -> None:
        try:
            self._handle_logged(task)
        finally:
            self._in_hand.release()

    def _handle_logged(self, task: dict) -> None:
        try:
            self.handle(task)
        except Exception:  # the worker goes on: the task's lock lapses and it is fetched again
            log.exception("task %s not handled", task.get("id"))

    def handle(self, task: dict) -> None:
        task_id = task["id"]
        topic = task["topicName"]
        try:
            result = self.adapters[topic].call(topic, plain_variables(task.get("variables")), idempotency_key(task))
            if self.pause_after_call_ms:
                time.sleep(self.pause_after_call_ms / 1000)
            self.client.complete(task_id, self.worker_id, result)
        except BpmnError as exc:
            self._report(self.client.bpmn_error, task_id, self.worker_id, exc.code, exc.message, exc.variables)
        except AdapterError as exc:
            # the engine's one policy, from the extension properties fetchAndLock included
            plan = retry_plan(task.get("extensionProperties"), task.get("retries"))
            self._report(self.client.failure, task_id, self.worker_id, str(exc), traceback.format_exc(limit=3),
                         plan.retries_left, plan.backoff_ms)
        except EngineRestError as exc:
            if exc.status == 400:  # the answer does not fit the diagram: a failed attempt, then an incident
                plan = retry_plan(task.get("extensionProperties"), task.get("retries"))
                self._report(self.client.failure, task_id, self.worker_id, str(exc), None, plan.retries_left,
                             plan.backoff_ms)
            else:
                log.info("task %s not completed: %s", task_id, exc)  # e.g. 409: our lock lapsed, another took it
        with self._count:
            self.handled += 1

    def _report(self, call, *args) -> None:
        try:
            call(*args)
        except EngineRestError as exc:
            log.info("task %s report refused: %s", args[0], exc)


def pause_from_env() -> int:
    return int(os.environ.get("WORKER_PAUSE_AFTER_CALL_MS", "0") or 0)
