"""Database engines, sessions and schema migrations (Alembic), without Flask."""
import json
import select
from datetime import date, datetime
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from psycopg.pq import ConnStatus
from sqlalchemy import bindparam, create_engine, event, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import scoped_session, Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    # no pool_pre_ping (a round trip on every checkout): connection_events looks at the socket instead
    return {"pool_size": 10, "max_overflow": 20}


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    engine = create_engine(url, **engine_options(url))
    connection_events(engine)
    return engine


def connection_events(engine: Engine) -> None:
    """What every connection of ``engine`` needs, by database (engines made here or by Flask-SQLAlchemy)."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        event.listen(engine.pool, "checkout", replace_if_closed_by_server)


def replace_if_closed_by_server(dbapi_connection, _record, _proxy) -> None:
    """A pooled connection the server has ended (a restart, ``pg_terminate_backend``, an idle timeout)
    is replaced before use: an idle connection's socket has nothing to read unless the server closed it
    or said something unasked, and either way a fresh connection is safer. ``pool_pre_ping`` would ask
    with a round trip on every checkout instead (one per request, ≈ 0.17 CPU ms with PostgreSQL's part).
    ``DisconnectionError`` makes the pool reconnect this record and check out again."""
    if dbapi_connection.closed or dbapi_connection.pgconn.status != ConnStatus.OK:
        raise DisconnectionError("the connection is closed")
    poller = select.poll()  # not select.select: it fails for descriptors above 1023
    poller.register(dbapi_connection.pgconn.socket, select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection or sent a message while it was idle")


def sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable against crashes, fsync at checkpoints
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_session_factory(url_or_engine) -> sessionmaker:
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


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
