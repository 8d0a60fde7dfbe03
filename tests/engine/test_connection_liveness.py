"""A pooled PostgreSQL connection the server has ended is replaced before a request uses it, without a
round trip per checkout (engine.store.db.replace_if_closed_by_server)."""
import os
import time

import pytest
from sqlalchemy import text

from engine.store.db import make_engine

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="needs PostgreSQL (TEST_DATABASE_URL)")


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def test_a_connection_ended_by_the_server_is_replaced_before_use(database_url):
    engine, admin = make_engine(database_url), make_engine(database_url)
    try:
        engine.pool.dispose()
        first = _backend_pid(engine)  # pooled now, idle
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        time.sleep(0.2)  # the server's goodbye reaches the idle socket
        assert engine.pool.checkedin() == 1
        second = _backend_pid(engine)  # would raise OperationalError on the ended connection
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()


def test_a_live_pooled_connection_is_checked_out_without_a_ping(database_url, monkeypatch):
    engine, pings = make_engine(database_url), []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi_connection: pings.append(1) or real_ping(dbapi_connection))
    try:
        first = _backend_pid(engine)
        assert [_backend_pid(engine) for _ in range(3)] == [first] * 3
        assert pings == []  # pool_pre_ping would ask the server on every checkout
    finally:
        engine.dispose()
