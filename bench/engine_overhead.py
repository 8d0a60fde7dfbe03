"""Engine cost per Qinbei case against bare SpiffWorkflow, from one run.

    .venv/bin/python -m bench.engine_overhead [--cases 30] [--pg postgresql://postgres@127.0.0.1:5432]
        [--profile]

(a) bare SpiffWorkflow in memory; (b) bare SpiffWorkflow saving and loading its JSON (stock serializer,
spec embedded) around every task — the floor of any persisted engine. Both run SpiffWorkflow as shipped:
the engine's replacements of its internals (every one recorded in engine/bpmn/replacements.py) are
put back for them, so the floor does not get cheaper with the engine's own work; (b') is (b) with them,
a stricter floor, reported beside it; (c) our engine (start_case,
tasks.claim/complete, external.fetch_and_lock/complete; no HTTP) on SQLite and on PostgreSQL, its service
tasks fetched as `make serve`'s workers fetch them (every topic, up to 5 at once). Each round measures
(a), (b) and (c) in turn, so a drift of the shared machine's speed moves the floor and the engine alike.
"""
import argparse
import cProfile
from functools import partial
import io
import pstats
import tempfile
import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from sqlalchemy import select, text

from bench import cpu, qinbei
from engine.work import cases, external, runtime, tasks
from engine.scope import Actor
from engine.bpmn.replacements import as_shipped
from engine.bpmn.serializer import _spec_config
from engine.deadlines.calendar import default_calendar
from engine.deadlines.clock import SystemClock
from engine.context import EngineContext
from engine.store.db import make_engine, make_session_factory, upgrade
from engine.definitions import deploy, spec_cache
from engine.store.models import Definition, Task
from engine.states import OPEN_TASK_STATES, Role
from engine import SimulatedDepartment

ADMIN = Actor(username="admin", role=Role.ADMIN)
WORKER = "bench-worker"


# ---- (a) and (b): bare SpiffWorkflow ------------------------------------------------------------

def shipped(fn):
    """``fn`` run on SpiffWorkflow as shipped (engine.bpmn.replacements)."""
    def run():
        with as_shipped():
            return fn()
    return run


def bare_case(spec, subprocess_specs, form_keys, facts, department, serializer=None) -> int:
    """One case; with ``serializer``, a save and a load of the JSON around every task. Returns tasks done.

    ``form_keys``: bpmn id -> form key (user task) or topic (service task)."""
    data = {"items": list(qinbei.ALL_ITEMS), **facts}
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=runtime.script_engine)
    workflow.data.update(data)
    for task in workflow.get_tasks(state=runtime.SpiffState.READY):
        task.data.update(data)
    runtime.advance(workflow)
    done = 0
    while not workflow.is_completed():
        waiting = list(runtime.waiting_tasks(workflow).values())
        if not waiting:
            raise RuntimeError("bare case stuck")
        task = waiting[0]
        if serializer is not None:
            workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
            workflow.script_engine = runtime.script_engine
            task = workflow.get_task_from_id(task.id)
        if isinstance(task.task_spec, ServiceTask):
            result = department.call(form_keys[task.task_spec.bpmn_id], {**facts}, f"bare:{done}:{task.task_spec.bpmn_id}")
            result.pop("elicence", None)
            task.data.update(result)
            task.complete()
        else:
            task.data.update(qinbei.answer_for(form_keys.get(task.task_spec.bpmn_id)))
            task.run()
        runtime.advance(workflow)
        done += 1
    return done


def stock_serializer():
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_spec_config()))


# ---- (c): through the engine --------------------------------------------------------------------

def prepare_database(url: str) -> tuple:
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    with factory() as session:
        definition, _ = deploy(session, qinbei.process_bytes(), SystemClock().now(), region=qinbei.REGION)
        session.commit()
        return factory, definition.id


WORKER_MAX_TASKS = 5  # what `make serve`'s worker processes ask for (api/production.py)


def engine_case(factory, definition_id, facts, form, department, step_cpu: dict) -> int:
    """One case as the production shape runs it: a clerk claims and completes each user task from the
    inbox; a worker fetches and locks up to ``WORKER_MAX_TASKS`` of every topic at once, then completes
    each (its own transaction, as each is its own HTTP request). ``step_cpu``: kind -> (CPU s, steps),
    added to (a clerk's claim + complete is "user", a worker's fetchAndLock + complete "service")."""
    clock, calendar = SystemClock(), default_calendar()
    ctx_of = lambda s: EngineContext(session=s, clock=clock, calendar=calendar)  # noqa: E731
    with factory() as session:
        definition = session.get(Definition, definition_id)
        topics = {act["topic"]: 60_000 for act in definition.activities.values() if act.get("topic")}
        case_id = cases.start_case(ctx_of(session), qinbei.REGION, qinbei.ALL_ITEMS, form, facts,
                                   definition=definition).id
    done = 0
    while True:
        with factory() as session:  # the clerk's inbox
            waiting = session.execute(select(Task.id, Task.form_key).where(
                Task.case_id == case_id, Task.kind == "user", Task.state.in_(OPEN_TASK_STATES))
                .order_by(Task.created_at)).all()
        for task_id, form_key in waiting:
            started = time.process_time()
            with factory() as session:
                ctx = ctx_of(session)
                tasks.claim(ctx, ADMIN, task_id)
                tasks.complete(ctx, ADMIN, task_id, qinbei.answer_for(form_key))
            _count(step_cpu, "user", started, 1)
        started = time.process_time()
        with factory() as session:
            locked = external.fetch_and_lock(ctx_of(session), WORKER, topics, WORKER_MAX_TASKS)
        for one in locked:
            result = department.call(one.task.topic, one.variables, f"{case_id}:{one.task.bpmn_id}")
            with factory() as session:
                external.complete(ctx_of(session), one.task.id, WORKER, result)
        if locked:
            _count(step_cpu, "service", started, len(locked))
        if not waiting and not locked:
            return done
        done += len(waiting) + len(locked)


def _count(step_cpu: dict, kind: str, started: float, steps: int) -> None:
    seconds, n = step_cpu.get(kind, (0.0, 0))
    step_cpu[kind] = (seconds + time.process_time() - started, n + steps)


def check_completed(factory) -> int:
    with factory() as session:
        return session.scalar(text("SELECT count(*) FROM cases WHERE status = 'completed'"))


# ---- driver -------------------------------------------------------------------------------------

def interleaved(runs: dict, n: int, rounds: int = 3) -> dict:
    """Best of ``rounds`` runs of ``n`` cases for each of ``runs`` (name -> (fn, PostgreSQL database or
    None)), the runs taking turns within each round: the machine is shared and its speed drifts, so the
    floor and the engines are measured in the same minutes, and the best round is the least disturbed.

    Returns name -> (cases/s by the wall clock, tasks a case, CPU ms a case: this process plus the
    PostgreSQL backends of its database, the figure other load moves least)."""
    steps = {name: fn() for name, (fn, _) in runs.items()}  # warm: caches, connections
    best = {name: (float("inf"), float("inf")) for name in runs}
    for _ in range(rounds):
        for name, (fn, database) in runs.items():
            wall, used = _round(fn, n, database)
            best[name] = (min(best[name][0], wall), min(best[name][1], used))
    return {name: (n / wall, steps[name], 1000 * used / n) for name, (wall, used) in best.items()}


def _round(fn, n: int, database: str | None) -> tuple[float, float]:
    pg = cpu.postgres_backends(database) if database else {}
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    wall, used = time.perf_counter() - started, time.process_time() - cpu_started
    if database:
        used += sum(v - pg.get(pid, 0.0) for pid, v in cpu.postgres_backends(database).items())
    return wall, used


def fresh_pg(base: str, name: str) -> str:
    admin = make_engine(f"{base}/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"{base}/{name}"


def profile(fn, n: int, limit: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        fn()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the engine on SQLite")
    args = parser.parse_args(argv)

    facts, form, department = qinbei.facts(), qinbei.sample_form(), SimulatedDepartment(seed=1)
    tmp = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    targets = {"sqlite": f"sqlite:///{tmp / 'bench.db'}"}
    if not args.no_pg:
        targets["postgresql"] = fresh_pg(args.pg, "bench_engine")
    prepared = {name: prepare_database(url) for name, url in targets.items()}
    with prepared["sqlite"][0]() as session:
        definition = session.get(Definition, prepared["sqlite"][1])
        spec, subs = spec_cache.get(definition)
        form_keys = {bpmn_id: act.get("form_key") or act.get("topic") for bpmn_id, act in definition.activities.items()}
    serializer = stock_serializer()

    step_cpu = {name: {} for name in prepared}
    runs = {"a_bare_memory": (shipped(lambda: bare_case(spec, subs, form_keys, facts, department)), None),
            "b_bare_json": (shipped(lambda: bare_case(spec, subs, form_keys, facts, department, serializer)),
                            None),
            # the stricter floor: SpiffWorkflow with the engine's replacements, as the engine runs it
            "b_json_engine_walks": (lambda: bare_case(spec, subs, form_keys, facts, department, serializer), None)}
    for name, (factory, definition_id) in prepared.items():
        database = factory.kw["bind"].url.database if name == "postgresql" else None
        runs[f"c_engine_{name}"] = (partial(engine_case, factory, definition_id, facts, form, department,
                                            step_cpu[name]), database)
    measured = interleaved(runs, args.cases)
    results = {name: cases_per_s for name, (cases_per_s, _, _) in measured.items()}
    cpu_ms = {name: ms for name, (_, _, ms) in measured.items()}
    steps = measured["a_bare_memory"][1]
    for name, (factory, _) in prepared.items():
        assert check_completed(factory) == 3 * args.cases + 1, f"{name}: not every case completed"
    steps_cpu = {name: {kind: 1000 * seconds / max(n, 1) for kind, (seconds, n) in per_kind.items()}
                 for name, per_kind in step_cpu.items()}
    report(results, steps, args.cases, cpu_ms)
    for name, per_kind in steps_cpu.items():
        print(f"  {name}: CPU ms of this process per step: claim + complete {per_kind['user']:.2f}, "
              f"fetchAndLock + complete {per_kind['service']:.2f}")
    results["cpu_ms"], results["step_cpu_ms"] = cpu_ms, steps_cpu
    if args.profile:
        factory, definition_id = prepared["sqlite"]
        print(profile(lambda: engine_case(factory, definition_id, facts, form, department, {}), 10))
    return results


def report(results: dict, steps: int, n: int, cpu_ms: dict) -> None:
    a, b = results["a_bare_memory"], results["b_bare_json"]
    print(f"Qinbei case, 7 items, {steps} user/service tasks per case; best of 3 rounds of {n} cases")
    for name, value in results.items():
        print(f"  {name:22s} {value:8.1f} cases/s   {1000 / value:7.1f} ms/case   {cpu_ms[name]:7.1f} CPU ms/case")
    for name, value in results.items():
        if name.startswith("c_"):
            print(f"  {name}: c/b = {b / value:.2f}x by the clock, {cpu_ms[name] / cpu_ms['b_bare_json']:.2f}x "
                  f"by CPU (PostgreSQL's included)   c/a = {a / value:.2f}x   c/b' (the stricter floor) = "
                  f"{cpu_ms[name] / cpu_ms['b_json_engine_walks']:.2f}x by CPU")


if __name__ == "__main__":
    main()
