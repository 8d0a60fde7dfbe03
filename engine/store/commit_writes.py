"""What a transaction sends with its commit, in as few statements as the database allows: the rows it
queued (``insert_later``, ``delete_later``), and the rows it loaded and changed or added, taken from the
ORM (its flush's unit of work costs more than the writes; it keeps what this module cannot say).

PostgreSQL: one statement for all of it (``_one_statement``), data-modifying CTEs fed JSON. SQLite: one
cached Core executemany per table and column set.
"""
import json
from datetime import date, datetime
from functools import cache

import orjson
from sqlalchemy import bindparam, delete, event, insert, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.store.db import own_session
from engine.store.taken_rows import take_new, take_updates

PENDING_INSERTS, PENDING_DELETES = "engine.pending_inserts", "engine.pending_deletes"


def insert_later(session: Session, model, once: bool = False, **values) -> None:
    """Queue a row; the transaction's queued rows go in just before it commits.

    For append-only rows nothing in the step reads back (timeline, SMS outbox, e-licences): no round
    trip and ORM flush each. ``once``: ``ON CONFLICT DO NOTHING``, so a unique key decides (no
    savepoint, no read first). A rollback drops the queue with the rest.
    """
    key = (model.__table__, once, tuple(sorted(values)))
    _queue(session, PENDING_INSERTS).setdefault(key, []).append(values)


def delete_later(session: Session, column, values) -> None:
    """Queue a DELETE of the rows whose ``column`` holds one of ``values``; it goes with the commit, as
    queued rows do (PostgreSQL: inside the one statement, which sees the rows as they were before it:
    a key a commit both deletes and inserts is not for this). Objects the session holds stay as they are."""
    _queue(session, PENDING_DELETES).setdefault(column, []).extend(values)


def _queue(session: Session, name: str) -> dict:
    queue = session.info.get(name)
    if queue is None:  # the transaction's first queued write
        own = own_session(session)
        if not own.in_transaction():
            own.begin()  # the queue ends with this transaction, even one that has not touched the database
        queue = session.info[name] = {}
    return queue


@event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_INSERTS, None) or {}
    deletes = session.info.pop(PENDING_DELETES, None) or {}
    dirty = session.dirty  # built by a walk of the identity map: once
    if not pending and not deletes and not dirty and not session.new:
        return
    dialect = session.get_bind().dialect
    postgres = dialect.name == "postgresql"
    updates = take_updates(session, dirty, encode=_rows_json if postgres else None)
    for key, rows in take_new(session).items():
        pending.setdefault(key, []).extend(rows)
    if not pending and not deletes and not updates:
        return  # the commit's own flush writes what there is
    session.flush()  # what was not taken, and the queued rows' parents (a new case), first
    connection = session.connection()
    together = {}
    if postgres:
        together = {key: rows for key, rows in pending.items() if _python_defaults(key[0], key[2]) is not None}
        if updates or deletes or len(together) > 1:
            _send_one_statement(connection, updates, together, deletes)
        else:
            together = {}  # one table's rows alone: its executemany below is as good
    else:
        _send_updates(connection, updates)
        for column, values in deletes.items():
            connection.execute(delete(column.table).where(column.in_(values)))
    # parents first (SQLite checks each row's foreign keys at once; PostgreSQL's statement at its end)
    for (table, once, keys), rows in sorted(pending.items(), key=lambda item: _table_order(item[0][0])):
        if (table, once, keys) in together:
            continue
        statement, defaults = _insert(table), None
        if once:
            defaults = _python_defaults(table, keys)
            statement = (_dialect_insert(dialect.name)(table).on_conflict_do_nothing() if defaults is None
                         else _insert_once(table, keys))
        if defaults:
            rows = [{**defaults, **row} for row in rows]
        connection.execute(statement, rows)  # Core: no ORM execute machinery for plain rows


def _send_one_statement(connection, updates: dict, inserts: dict, deletes: dict) -> None:
    counts = connection.exec_driver_sql(*_one_statement(connection.dialect, updates, inserts, deletes)).one()
    for ((plan, _), (rows, _)), count in zip(updates.items(), counts):
        if count != len(rows):  # a row's version moved on (or the row went): the commit fails whole
            raise StaleDataError(f"UPDATE of {plan.table.name} matched {count} of its {len(rows)} rows")


def _send_updates(connection, updates: dict) -> None:
    """SQLite: each taken group of rows by one cached Core UPDATE (an executemany), its matches counted
    as the ORM counts them."""
    for (plan, names), (rows, _) in updates.items():
        guarded = (plan.key_column, plan.version_column)
        params = [{(f"b_{name}" if name in guarded else name): value for name, value in row.items()}
                  for row in rows]
        matched = connection.execute(_update_statement(plan, names), params).rowcount
        if matched != len(rows) and connection.dialect.supports_sane_multi_rowcount:
            raise StaleDataError(f"UPDATE of {plan.table.name} matched {matched} of its {len(rows)} rows")


@cache
def _update_statement(plan, names: tuple):
    """``UPDATE table SET names WHERE key = :b_key [AND version = :b_version]`` (the version counted up),
    built once per shape."""
    table, values = plan.table, {}
    where = [table.c[plan.key_column] == bindparam(f"b_{plan.key_column}")]
    if plan.version:
        where.append(table.c[plan.version_column] == bindparam(f"b_{plan.version_column}"))
        values[plan.version_column] = table.c[plan.version_column] + 1
    values.update({name: bindparam(name) for name in names if name not in (plan.key_column, plan.version_column)})
    return update(table).where(*where).values(values)


@cache
def _table_order(table) -> int:
    return table.metadata.sorted_tables.index(table)


def _one_statement(dialect, updates: dict, inserts: dict, deletes: dict) -> tuple[str, dict]:
    """The taken updates, the queued rows and deletes in one PostgreSQL statement: per table an ``UPDATE …
    FROM`` or an ``INSERT … SELECT`` of the rows as JSON, or a ``DELETE`` of the keys as JSON, each in a
    data-modifying CTE; it answers how many rows each UPDATE matched. One round trip instead of one per
    table saves more client CPU than the JSON encoding costs (bench/NOTES.md). Columns the queued rows
    leave out take their defaults."""
    quote, parts, params, counted = dialect.identifier_preparer.quote, [], {}, []
    for n, ((plan, names), (rows, encoded)) in enumerate(updates.items()):
        table, key, version = plan.table, plan.key_column, plan.version_column
        sets = [f"{quote(name)} = r.{quote(name)}" for name in names if name not in (key, version)]
        where = f"o.{quote(key)} = r.{quote(key)}"
        if version:
            sets.append(f"{quote(version)} = o.{quote(version)} + 1")
            where += f" AND o.{quote(version)} = r.{quote(version)}"
        params[f"u{n}"] = encoded
        parts.append(f"u{n} AS (UPDATE {quote(table.name)} AS o SET {', '.join(sets)} FROM (SELECT * FROM "
                     f"json_populate_recordset(NULL::{quote(table.name)}, %(u{n})s) LIMIT {_at_most(len(rows))}) "
                     f"AS r WHERE {where} RETURNING 1)")
        counted.append(f"(SELECT count(*) FROM u{n})")
    for n, ((table, once, keys), rows) in enumerate(inserts.items()):
        defaults = _python_defaults(table, keys)
        if defaults:  # queued rows that leave columns out (rows taken from the ORM have every one)
            rows = [{**defaults, **row} for row in rows]
        names = [table.c[key].name for key in rows[0]]  # the record's fields are column names
        if names != list(rows[0]):
            rename = dict(zip(rows[0], names))
            rows = [{rename[key]: value for key, value in row.items()} for row in rows]
        columns = ", ".join(quote(name) for name in names)
        params[f"rows{n}"] = _rows_json(rows)
        parts.append(f"i{n} AS (INSERT INTO {quote(table.name)} ({columns}) SELECT {columns} FROM "
                     f"json_populate_recordset(NULL::{quote(table.name)}, %(rows{n})s)"
                     f"{' ON CONFLICT DO NOTHING' if once else ''})")
    for n, (column, values) in enumerate(deletes.items()):
        params[f"d{n}"] = _rows_json(values)
        parts.append(f"d{n} AS (DELETE FROM {quote(column.table.name)} WHERE {quote(column.name)} IN (SELECT "
                     f"CAST(json_array_elements_text(%(d{n})s) AS {_sql_type(column, dialect)}) "
                     f"LIMIT {_at_most(len(values))}))")
    return f"WITH {', '.join(parts)} SELECT {', '.join(counted) or '1'}", params


@cache
def _sql_type(column, dialect) -> str:
    """The column's type as the dialect writes it: compiled once (it was 2 % of an API process's CPU)."""
    return column.type.compile(dialect)


def _at_most(count: int) -> int:
    """A LIMIT the rows from JSON cannot reach, for the planner: it takes a set-returning function for 100
    rows and then joins a whole table by hash (a sequential scan of every case item, every step) rather
    than look the few rows up by key. A power of two, so that few statement texts repeat (and stay
    prepared)."""
    return 1 << max(count - 1, 0).bit_length()


@cache
def _python_defaults(table, keys: tuple) -> dict | None:
    """What Core's INSERT would fill in for the columns left out: their Python-side defaults (read
    only, shared). None if one is a SQL expression: such rows keep Core's INSERT, which renders it."""
    defaults = {}
    for column in table.columns:
        default = column.default
        if column.key in keys or default is None or default.is_sequence:
            continue
        if default.is_clause_element:
            return None
        defaults[column.key] = default.arg(None) if default.is_callable else default.arg
    return defaults


def _rows_json(rows: list) -> str:
    """Rows as JSON for ``json_populate_recordset``: orjson, ten times the standard library's speed; what
    it refuses (an integer beyond 64 bits in a family's form) the standard library writes."""
    try:
        return orjson.dumps(rows, default=_json_value, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()
    except TypeError:
        return json.dumps(rows, default=_json_value)


def _json_value(value):
    if isinstance(value, datetime) and value.tzinfo is None:  # the columns hold China's civil time, naive
        return value.isoformat()
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} {value!r} is not a column value this writer sends")


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended: committed, rolled back or closed
        session.info.pop(PENDING_INSERTS, None)
        session.info.pop(PENDING_DELETES, None)


@cache
def _insert(table):
    """``INSERT INTO table``, built once per table (its cache key is then kept)."""
    return insert(table)


@cache
def _insert_once(table, keys: tuple):
    """``INSERT … ON CONFLICT DO NOTHING`` of these columns (the rows carry their Python-side defaults) as
    text with typed binds, built once: SQLAlchemy compiles its dialects' ON CONFLICT construct afresh on
    every execution (it has no cache key; 5 % of the month replay's CPU), a text statement once per
    dialect. SQLite and PostgreSQL share this syntax."""
    names = keys + tuple(_python_defaults(table, keys))
    columns = [table.c[key] for key in names]
    return text(f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) "
                f"VALUES ({', '.join(':' + key for key in names)}) ON CONFLICT DO NOTHING").bindparams(
        *(bindparam(key, type_=column.type) for key, column in zip(names, columns)))


def _dialect_insert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
