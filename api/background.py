"""In-process helpers of the embedded default: workers (and, when configured, the scheduler)."""
import atexit
import json

from api.extensions import db
from engine import make_session_factory


def start(app) -> None:
    state = app.extensions["newborn"]
    if app.config.get("RUN_WORKERS"):
        from workers.inprocess import InProcessWorker
        with app.app_context():
            factory = make_session_factory(db.engine)
        adapter = department_adapter(app.config)
        worker = InProcessWorker(factory, adapter, state.clock, state.calendar)
        state.listeners.append(worker)
        state.background.append(worker)
        worker.start()
        _start_outbox(app, factory, state)
    if app.config.get("RUN_SCHEDULER"):
        from engine import EscalationScheduler
        with app.app_context():
            scheduler = EscalationScheduler(db.engine, state.calendar, state.clock)
        state.listeners.append(scheduler)
        state.background.append(scheduler)
        scheduler.start()
    atexit.register(lambda: [part.stop() for part in state.background])


def department_adapter(config):
    """The departments the in-process workers call: simulated, or real ones over HTTP (DEPARTMENT_*)."""
    from workers.adapters import configured_adapter
    return configured_adapter(
        config["WORKER_ADAPTER"], department_url=config.get("DEPARTMENT_URL"),
        topic_urls=json.loads(config.get("DEPARTMENT_TOPIC_URLS") or "{}"),
        timeout=float(config.get("DEPARTMENT_TIMEOUT_SECONDS", 10)), ca_file=config.get("DEPARTMENT_CA_FILE"),
        latency_ms=config["SIMULATED_LATENCY_MS"], failure_rate=config["SIMULATED_FAILURE_RATE"])


def _start_outbox(app, factory, state) -> None:
    from engine import OutboxDispatcher, get_notifier
    notifier = get_notifier(app.config["SMS_NOTIFIER"], app.config.get("SMS_GATEWAY_URL"),
                            app.config.get("SMS_GATEWAY_TOKEN"))
    dispatcher = OutboxDispatcher(factory, notifier, state.clock)
    state.listeners.append(dispatcher)
    state.background.append(dispatcher)
    dispatcher.start()
