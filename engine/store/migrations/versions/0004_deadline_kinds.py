"""deadline kinds: a promise (承诺时限) or an internal target (内部督办时限)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Until 0003 every limit was printed to the family as a promise. From here a case, a task and an
escalation carry which kind their deadline is (``deadline_kind``: ``promise`` or ``target``), and a case
its internal target (``cases.target_working_days``, from the process property ``targetWorkingDays``).
Rows written before this revision had their deadline told to the family: they are backfilled as
``promise`` wherever they hold a deadline, so nothing they showed changes.

Downgrade drops the columns. Everything here is frozen with the revision (no engine import).
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_working_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("deadline_kind", sa.String(length=10), nullable=True))
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_kind", sa.String(length=10), nullable=True))
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_kind", sa.String(length=10), nullable=True))
    op.execute("UPDATE cases SET deadline_kind = 'promise' WHERE deadline IS NOT NULL")
    op.execute("UPDATE tasks SET deadline_kind = 'promise' WHERE due_at IS NOT NULL")
    op.execute("UPDATE escalations SET deadline_kind = 'promise' WHERE due_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("deadline_kind")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("deadline_kind")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("deadline_kind")
        batch_op.drop_column("target_working_days")
