"""Worker accounts bound to regions (``users.regions``, a JSON list; empty, as backfilled: every region),
and failed logins in a table (``login_failures``) so every API process throttles the same way.

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
    op.create_table(
        'login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_failures_key_at', 'login_failures', ['key', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_login_failures_key_at', table_name='login_failures')
    op.drop_table('login_failures')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('regions')
