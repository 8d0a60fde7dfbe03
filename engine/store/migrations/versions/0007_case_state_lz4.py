"""The case's workflow state compressed with lz4 on PostgreSQL.

Every step rewrites ``cases.state`` (≈ 18 KB of JSON for a Qinbei case). TOAST's default pglz made that
UPDATE cost the backend 0.46 CPU ms against 0.26 ms with lz4 (bench/NOTES.md, round four). Existing
rows keep pglz until their next step rewrites them; both read back the same. Servers built without
lz4, and SQLite, keep their default.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _lz4_available(bind) -> bool:
    return bool(bind.execute(sa.text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")).scalar())


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql' and _lz4_available(bind):
        op.execute("ALTER TABLE cases ALTER COLUMN state SET COMPRESSION lz4")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE cases ALTER COLUMN state SET COMPRESSION DEFAULT")
