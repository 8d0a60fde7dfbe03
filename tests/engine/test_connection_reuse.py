"""PostgreSQL connections are lent last-returned first and prepare a statement from its second use
(engine.store.db.engine_options): a process's threads keep to a few warm backends, and a step's statements
stop being planned afresh (bench/NOTES.md, round twelve)."""
import os

import pytest
from sqlalchemy import text

from engine.store.db import make_engine

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="needs PostgreSQL (TEST_DATABASE_URL)")


def _pid(conn) -> int:
    return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def test_the_connection_given_back_last_is_lent_next(database_url):
    engine = make_engine(database_url)
    try:
        first, second = engine.connect(), engine.connect()
        pids = _pid(first), _pid(second)
        first.close()
        second.close()  # given back last: lent first, twice over
        for _ in range(2):
            with engine.connect() as again:
                assert _pid(again) == pids[1]
    finally:
        engine.dispose()


def test_a_statement_is_prepared_on_the_server_from_its_second_use(database_url):
    engine = make_engine(database_url)
    query = text("SELECT count(*) FROM pg_class WHERE relname = :name")
    try:
        with engine.connect() as conn:
            prepared = lambda: conn.execute(text(  # noqa: E731
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT count(*) FROM pg_class%'")).scalar()
            conn.execute(query, {"name": "tasks"})
            assert prepared() == 0
            conn.execute(query, {"name": "cases"})
            assert prepared() == 1
    finally:
        engine.dispose()
