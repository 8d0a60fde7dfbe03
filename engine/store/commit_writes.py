"""Rows a transaction queues to send with its commit (``insert_later``), in as few statements as the
database allows."""
import json
from datetime import date, datetime
from functools import cache

from sqlalchemy import bindparam, event, insert, text
from sqlalchemy.orm import scoped_session, Session

PENDING_INSERTS = "engine.pending_inserts"


def insert_later(session: Session, model, once: bool = False, **values) -> None:
    """Queue a row; the transaction's queued rows go in just before it commits: one statement for all
    tables on PostgreSQL (``_one_statement``), one executemany per table on SQLite.

    For append-only rows nothing in the step reads back (timeline, SMS outbox, e-licences): no round
    trip and ORM flush each. ``once``: ``ON CONFLICT DO NOTHING``, so a unique key decides (no
    savepoint, no read first). A rollback drops the queue with the rest.
    """
    key = (model.__table__, once, tuple(sorted(values)))
    queue = session.info.get(PENDING_INSERTS)
    if queue is None:  # the transaction's first queued row
        own = session.registry() if isinstance(session, scoped_session) else session  # Flask-SQLAlchemy's
        if not own.in_transaction():
            own.begin()  # the queue ends with this transaction, even one that has not touched the database
        queue = session.info[PENDING_INSERTS] = {}
    queue.setdefault(key, []).append(values)


@event.listens_for(Session, "before_commit")
def _insert_pending(session: Session) -> None:
    pending = session.info.pop(PENDING_INSERTS, None)
    if not pending:
        return
    session.flush()  # the rows' parents (a new case) first
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql" and len(pending) > 1 and \
            all(_python_defaults(table, keys) is not None for table, _, keys in pending):
        connection.exec_driver_sql(*_one_statement(connection.dialect, pending))
        return
    for (table, once, keys), rows in pending.items():
        statement, defaults = _insert(table), None
        if once:
            defaults = _python_defaults(table, keys)
            statement = (_dialect_insert(dialect)(table).on_conflict_do_nothing() if defaults is None
                         else _insert_once(table, keys))
        if defaults:
            rows = [{**defaults, **row} for row in rows]
        connection.execute(statement, rows)  # Core: no ORM execute machinery for plain rows


def _one_statement(dialect, pending: dict) -> tuple[str, dict]:
    """Every queued table's rows in one PostgreSQL statement: an ``INSERT … SELECT`` from the rows as JSON
    per table, each in a data-modifying CTE. One round trip instead of one per table saves more client
    CPU than the JSON encoding costs (bench/NOTES.md). Columns the rows leave out take their defaults."""
    quote, parts, params = dialect.identifier_preparer.quote, [], {}
    for n, ((table, once, keys), rows) in enumerate(pending.items()):
        defaults = _python_defaults(table, keys)
        rows = [{**defaults, **row} for row in rows]
        names = [table.c[key].name for key in rows[0]]  # the record's fields are column names
        if names != list(rows[0]):
            rename = dict(zip(rows[0], names))
            rows = [{rename[key]: value for key, value in row.items()} for row in rows]
        columns = ", ".join(quote(name) for name in names)
        params[f"rows{n}"] = json.dumps(rows, default=_json_value)
        parts.append(f"i{n} AS (INSERT INTO {quote(table.name)} ({columns}) SELECT {columns} FROM "
                     f"json_populate_recordset(NULL::{quote(table.name)}, %(rows{n})s)"
                     f"{' ON CONFLICT DO NOTHING' if once else ''})")
    return f"WITH {', '.join(parts)} SELECT 1", params


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


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value of a queued row")


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended: committed, rolled back or closed
        session.info.pop(PENDING_INSERTS, None)


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
