"""stub_handovers: paper stubs (《出生医学证明》副页) listed for hand-over to a police station

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

One row per stub on a hand-over list (engine/deadlines/stubs.py); the unique ``elicence_id`` lists each
stub once. A new table only: no data changes. Everything here is frozen with the revision.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stub_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("batch", sa.String(length=80), nullable=False),
        sa.Column("station", sa.String(length=120), nullable=False),
        sa.Column("elicence_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("certificate_number", sa.String(length=120), nullable=False),
        sa.Column("institution", sa.String(length=120), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("listed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["elicence_id"], ["elicences.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("elicence_id"),
    )
    with op.batch_alter_table("stub_handovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stub_handovers_batch"), ["batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_stub_handovers_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stub_handovers_region"), ["region"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stub_handovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stub_handovers_region"))
        batch_op.drop_index(batch_op.f("ix_stub_handovers_case_id"))
        batch_op.drop_index(batch_op.f("ix_stub_handovers_batch"))
    op.drop_table("stub_handovers")
