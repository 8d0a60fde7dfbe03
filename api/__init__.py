"""The Flask app factory: the only place the app is built and its parts are bound."""
import threading
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from api import auth, errors
from api.config import Config
from api.extensions import api, db
from api.regions import RegionRegistry
from engine import CHINA, Clock, default_calendar, SystemClock, WorkingCalendar


@dataclass
class AppState:
    """Per-app collaborators the engine is given on every call."""
    regions: RegionRegistry
    clock: Clock = field(default_factory=SystemClock)
    calendar: WorkingCalendar = field(default_factory=default_calendar)
    listeners: list = field(default_factory=list)
    background: list = field(default_factory=list)  # started workers / scheduler, stopped on shutdown
    # fetchAndLock requests allowed to wait (long polling) at once: each holds a server thread
    long_poll_slots: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(2))


class IsoJSONProvider(DefaultJSONProvider):
    ensure_ascii = False

    @staticmethod
    def default(o):
        if isinstance(o, datetime) and o.tzinfo is None:
            return o.replace(tzinfo=CHINA).isoformat()  # stored naive in China time: say so
        if hasattr(o, "isoformat"):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


def create_app(config: Config | None = None, clock: Clock | None = None) -> Flask:
    app = Flask(__name__)
    app.json_provider_class = IsoJSONProvider
    app.json = IsoJSONProvider(app)
    config = config or Config()
    app.config.from_object(config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    api.init_app(app, spec_kwargs=_security_spec())
    _register_blueprints(app)
    errors.init_app(app)
    auth.init_app(app)  # after the blueprints: the pages' session hook identifies cookie users first
    app.extensions["newborn"] = AppState(regions=RegionRegistry(config.BPMN_ROOT), clock=clock or SystemClock(),
                                         long_poll_slots=threading.Semaphore(max(int(config.LONG_POLL_SLOTS), 0)))
    with app.app_context():
        _connection_events(db.engine)
    from api import cli
    cli.init_app(app)
    if app.config.get("AUTO_INIT"):
        cli.initialise(app)  # migrate, seed, deploy before anything in the background touches tables
    if not app.config.get("TESTING"):
        from api import background
        background.start(app)
    return app


def _engine_options(url: str) -> dict:
    from engine import engine_options
    return engine_options(url)


def _connection_events(engine) -> None:
    from engine import connection_events
    connection_events(engine)


def _security_spec() -> dict:
    return {"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"},
        "basicAuth": {"type": "http", "scheme": "basic"}}},
        "security": [{"bearerAuth": []}, {"basicAuth": []}]}


def _register_blueprints(app: Flask) -> None:
    from api import pages
    from api.resources import (auth, calendar, cases, definitions, engine_rest, health, incidents,
                               regions, supervision, tasks)
    from api.resources import definition_moves, family_tasks, stub_handovers
    for module in (auth, regions, cases, tasks, definitions, supervision, incidents, calendar,
                   engine_rest, health, family_tasks, stub_handovers, definition_moves):
        api.register_blueprint(module.blp)
    app.register_blueprint(pages.blp)
