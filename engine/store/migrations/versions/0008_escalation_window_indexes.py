"""tasks, cases: index open subjects by due time, for the escalation scheduler's incremental pass

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

Each reconcile pass but the hourly repair reads only the open tasks and cases due within a window of
days (engine/deadlines/escalation.py ``window``). ``ix_tasks_open`` (state, region, due_at) has the region
before the due time, and ``cases.deadline`` had no index: the window would read every open row's entry.
``ix_tasks_state_due`` and ``ix_cases_status_deadline`` read the window's rows alone.

Only new index entries: no data changes. Everything here is frozen with the revision (no engine import).
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_state_due", "tasks", ["state", "due_at"], unique=False)
    op.create_index("ix_cases_status_deadline", "cases", ["status", "deadline"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_status_deadline", table_name="cases")
    op.drop_index("ix_tasks_state_due", table_name="tasks")
