"""A PostgreSQL cursor's description is made column by column as read, and describes what psycopg's own
describes (engine.store.lazy_description): SQLAlchemy reads it after every statement, and psycopg made
all the columns each time (85 µs for a task row's 34)."""
import os

import psycopg
import pytest
from sqlalchemy import select, text

from engine.store.db import make_engine
from engine.store.lazy_description import LazyColumns, LazyDescriptionCursor
from engine.store.models import Task

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="needs PostgreSQL (TEST_DATABASE_URL)")

QUERY = "SELECT 1 AS one, 'x'::text AS word, now() AS at, '{}'::json AS doc, NULL::int AS nothing"


def _described(description) -> list[tuple]:
    return [(c.name, c.type_code, c.display_size, c.internal_size, c.precision, c.scale) for c in description]


def test_the_description_is_psycopgs_own_made_as_read(database_url):
    engine = make_engine(database_url)
    plain = psycopg.connect(database_url)
    try:
        with engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            assert isinstance(cursor, LazyDescriptionCursor)
            cursor.execute(QUERY)
            lazy = cursor.description
            assert isinstance(lazy, LazyColumns) and lazy._made == {}  # nothing made yet
            assert lazy[1].name == "word" and list(lazy._made) == [1]
            cursor.execute("SELECT 2 AS two")  # the cursor moves on: the columns read describe the first result
            stock = plain.cursor()
            stock.execute(QUERY)
            assert _described(lazy) == _described(stock.description) and len(lazy) == 5
            assert [c.name for c in lazy[-2:]] == ["doc", "nothing"] and lazy[-1] is lazy[4]
            with pytest.raises(IndexError):
                lazy[5]
            cursor.execute("SET application_name = 'x'")
            assert cursor.description is None  # no rows: no description, as psycopg's
    finally:
        plain.close()
        engine.dispose()


def test_sqlalchemy_reads_rows_and_names_through_it(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            result = conn.execute(text(QUERY))
            assert list(result.keys()) == ["one", "word", "at", "doc", "nothing"]
            row = result.one()
            assert row.one == 1 and row.word == "x" and row.doc == {} and row.nothing is None
            assert conn.execute(select(Task.id, Task.state).limit(0)).all() == []
    finally:
        engine.dispose()
