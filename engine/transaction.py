"""Commit a step whole, then tell listeners (scheduler timers, in-process workers)."""
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict


def commit_step(ctx, changes) -> None:
    try:
        ctx.session.commit()
    except StaleDataError:
        ctx.session.rollback()
        raise Conflict("办件已被他人更新，请刷新后重试", field="row_version") from None
    for listener in ctx.listeners:
        listener.after_commit(ctx, changes)
