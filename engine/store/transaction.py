"""Commit a step whole, then tell listeners (scheduler timers, in-process workers)."""
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict
from engine.store.db import own_session


@contextmanager
def no_lost_update(ctx):
    """Someone saved the case first (its row version moved on): roll back, answer 409."""
    try:
        yield
    except StaleDataError:
        ctx.session.rollback()
        raise Conflict("办件已被他人更新，请刷新后重试", field="row_version") from None


def commit_step(ctx, changes, committed=None) -> None:
    """Commit; then ``committed()``, then tell the listeners."""
    with no_lost_update(ctx):
        ctx.session.commit()
    if committed is not None:
        committed()
    for listener in ctx.listeners:
        listener.after_commit(ctx, changes)


def begin_step(session) -> None:
    """Start the step's transaction holding the database's write lock (SQLite: ``BEGIN IMMEDIATE``).

    Steps on one case then run one after the other: the second waits (``busy_timeout``) and reads what
    the first committed, instead of failing its row-version check with a 409. PostgreSQL needs nothing
    here: the step's ``SELECT … FOR UPDATE`` of the case row serialises it. If this session's
    transaction already wrote (the lock is then held already), nothing is done.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    dbapi = session.connection().connection.dbapi_connection
    if not dbapi.in_transaction:
        session.execute(text("BEGIN IMMEDIATE"))


def autocommit_connection(session):
    """The session's connection in autocommit: each statement its own transaction, with no BEGIN and
    COMMIT round trip around it. Whatever the session held is committed first (the option can only be
    set at a transaction's start); the session's next commit gives the connection back."""
    if own_session(session).in_transaction():
        session.commit()
    return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
