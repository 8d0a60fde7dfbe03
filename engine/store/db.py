"""Database engines, sessions and schema migrations (Alembic), without Flask."""
import select
from pathlib import Path

from alembic import command
from alembic.config import Config
from psycopg.pq import ConnStatus
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import scoped_session, Session, sessionmaker

from engine.store.lazy_description import use_lazy_description

MIGRATIONS = Path(__file__).parent / "migrations"


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    # no pool_pre_ping (a round trip on every checkout): connection_events looks at the socket instead.
    # The last connection given back is the next one lent (LIFO): a process's few threads keep reusing
    # the same few backends, whose catalog caches and prepared statements are warm, rather than cycle
    # through all ten. Statements are prepared from their second use (psycopg's default: the sixth), and
    # PostgreSQL plans a prepared statement generically after five custom plans: a step's statement
    # took longer to plan than to run (0.27-0.34 ms against 0.32-0.57). With both, PostgreSQL's CPU per
    # completion fell about 15 % in alternated HTTP runs (bench/NOTES.md).
    return {"pool_size": 10, "max_overflow": 20, "pool_use_lifo": True, "connect_args": {"prepare_threshold": 1}}


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
        event.listen(engine, "connect", use_lazy_description)


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


def own_session(session) -> Session:
    """The session itself behind a scoped session (Flask-SQLAlchemy's), which proxies only part of its
    interface."""
    return session.registry() if isinstance(session, scoped_session) else session


def make_session_factory(url_or_engine) -> sessionmaker:
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    return sessionmaker(bind=engine, expire_on_commit=False)


def built_on(dialect: str):
    """Alembic's ``include_object`` comparing a schema on ``dialect``: an index the models build on another
    dialect alone (``ddl_if``: PostgreSQL's GIN index of open work, its service-task queue) is not missing."""
    def include(obj, _name, kind, reflected, _compare_to) -> bool:
        if kind != "index" or reflected:
            return True
        return obj._ddl_if is None or obj._ddl_if.dialect in (None, dialect)  # noqa: SLF001
    return include


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
