"""A clerk's claim: one guarded UPDATE that returns the row; every refusal changes nothing."""
import re

import pytest
from sqlalchemy import func, select

from engine.errors import Conflict, Forbidden, InvalidTransition, NotFound
from engine.scope import Actor
from engine.states import Role, TaskState
from engine.store.models import AuditEntry, CaseEvent, Task
from engine.work import tasks
from tests.engine.helpers import (
    REGION, open_tasks, sent_during, start_accepted_case, start_case, statements_during,
)



def _review(ctx):
    [review] = open_tasks(ctx, start_case(ctx, ["birth_certificate"]).id)
    return review


def _clerk(review, name="clerk", region=REGION):
    return Actor(username=name, role=Role.CLERK, region=region, groups=tuple(review.candidate_groups))


def _claimed_events(ctx, task_id):
    return ctx.session.scalar(select(func.count()).select_from(CaseEvent)
                              .where(CaseEvent.task_id == task_id, CaseEvent.kind == "task_claimed"))


def test_a_claim_reads_the_task_only_through_its_update(ctx):
    review = _review(ctx)
    clerk, returned = _clerk(review), []
    ctx.session.expunge_all()  # as a request's new session: nothing held
    sent = sent_during(ctx, lambda: returned.append(tasks.claim(ctx, clerk, review.id)))
    [claimed] = returned
    assert (claimed.state, claimed.assignee) == (TaskState.CLAIMED.value, "clerk")
    if ctx.session.get_bind().dialect.name == "postgresql":
        # the UPDATE, its timeline event and audit entry: one statement, its own transaction (no BEGIN,
        # no COMMIT round trip)
        [(statement, autocommit)] = sent
        assert autocommit and re.match(r"\s*WITH claimed AS\s*\(UPDATE tasks", statement)
        assert "INSERT INTO case_events" in statement and "INSERT INTO audit_log" in statement
    else:
        statements = [statement for statement, _ in sent]
        assert not [s for s in statements if re.match(r"\s*SELECT", s)]
        assert [s for s in statements if re.match(r"\s*UPDATE tasks", s)]
    assert _claimed_events(ctx, review.id) == 1
    assert ctx.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.task_id == review.id, AuditEntry.action == "task_claimed", AuditEntry.actor == "clerk")) == 1
    # the returned task is the session's loaded row: reading it sends nothing, and nothing is left to write
    assert claimed in ctx.session and not ctx.session.dirty
    assert statements_during(ctx, lambda: (claimed.claimed_at, claimed.candidate_groups, claimed.due_at)) == []
    assert claimed.claimed_at == ctx.now() and claimed.candidate_groups == review.candidate_groups


def test_a_clerk_out_of_scope_is_refused_and_the_task_stays_ready(ctx):
    review = _review(ctx)
    with pytest.raises(Forbidden):
        tasks.claim(ctx, _clerk(review, "stranger", region="he-province"), review.id)
    ctx.session.expire_all()
    row = ctx.session.get(Task, review.id)
    assert (row.state, row.assignee, row.claimed_at) == (TaskState.READY.value, None, None)
    assert _claimed_events(ctx, review.id) == 0


def test_a_claim_refused_says_why_missing_service_or_taken(ctx):
    review = _review(ctx)
    with pytest.raises(NotFound):
        tasks.claim(ctx, _clerk(review), "no-such-task")
    tasks.claim(ctx, _clerk(review), review.id)
    with pytest.raises(Conflict):
        tasks.claim(ctx, _clerk(review, "second"), review.id)
    ctx.session.expire_all()
    assert ctx.session.get(Task, review.id).assignee == "clerk"

    case = start_accepted_case(ctx)
    service = next(t for t in open_tasks(ctx, case.id) if t.kind == "service")
    with pytest.raises(InvalidTransition):
        tasks.claim(ctx, _clerk(review), service.id)
