"""Commit a step whole, then tell listeners (scheduler timers, in-process workers)."""
from contextlib import contextmanager

from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict


@contextmanager
def no_lost_update(ctx):
    """Someone saved the case first (its row version moved on): roll back, answer 409."""
    try:
        yield
    except StaleDataError:
        ctx.session.rollback()
        raise Conflict("办件已被他人更新，请刷新后重试", field="row_version") from None


def commit_step(ctx, changes) -> None:
    with no_lost_update(ctx):
        ctx.session.commit()
    for listener in ctx.listeners:
        listener.after_commit(ctx, changes)
