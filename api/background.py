"""In-process helpers of the embedded default: workers (and, when configured, the scheduler)."""
import atexit

from api.extensions import db
from engine.db import make_session_factory


def start(app) -> None:
    state = app.extensions["newborn"]
    if app.config.get("RUN_WORKERS"):
        from workers.adapters import get_adapter
        from workers.inprocess import InProcessWorker
        with app.app_context():
            factory = make_session_factory(db.engine)
        adapter = get_adapter(app.config["WORKER_ADAPTER"], latency_ms=app.config["SIMULATED_LATENCY_MS"],
                              failure_rate=app.config["SIMULATED_FAILURE_RATE"])
        worker = InProcessWorker(factory, adapter, state.clock, state.calendar)
        state.listeners.append(worker)
        state.background.append(worker)
        worker.start()
        _start_outbox(app, factory, state)
    if app.config.get("RUN_SCHEDULER"):
        from engine.scheduler import EscalationScheduler
        with app.app_context():
            scheduler = EscalationScheduler(db.engine, state.calendar, state.clock)
        state.listeners.append(scheduler)
        state.background.append(scheduler)
        scheduler.start()
    atexit.register(lambda: [part.stop() for part in state.background])


def _start_outbox(app, factory, state) -> None:
    from engine.notifications import OutboxDispatcher, get_notifier
    notifier = get_notifier(app.config["SMS_NOTIFIER"], app.config.get("SMS_GATEWAY_URL"),
                            app.config.get("SMS_GATEWAY_TOKEN"))
    dispatcher = OutboxDispatcher(factory, notifier, state.clock)
    state.listeners.append(dispatcher)
    state.background.append(dispatcher)
    dispatcher.start()
