"""Glue between a request and the engine: an EngineContext on the request's session."""
from flask import current_app

from api.extensions import db
from engine import EngineContext


def engine_context() -> EngineContext:
    state = current_app.extensions["newborn"]
    return EngineContext(session=db.session, clock=state.clock, calendar=state.calendar,
                         listeners=state.listeners)


def region_registry():
    return current_app.extensions["newborn"].regions
