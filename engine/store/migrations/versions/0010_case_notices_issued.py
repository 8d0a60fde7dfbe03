"""cases.notices_issued: how many notices the case has, so the next one's number needs no count query

Revision ID: 0010
Revises: 0009

A notice's number ends in its place among the case's notices (…-01, …-02). The step that issues one
counted the case's notices first: a query on every acceptance, correction and refusal. The case row,
which the step holds locked and writes anyway, now keeps the count. Existing cases take theirs from
the notices table.
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notices_issued", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE cases SET notices_issued = (SELECT count(*) FROM notices WHERE notices.case_id = cases.id)")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("notices_issued")
