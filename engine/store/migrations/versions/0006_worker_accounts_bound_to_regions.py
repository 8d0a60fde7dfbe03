"""Worker accounts bound to regions: ``users.regions`` (a JSON list; empty, as backfilled: every region).

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # existing accounts keep serving every region: the column is backfilled with an empty list
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('regions', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('regions')
