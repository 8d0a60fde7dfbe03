"""tasks: index the service tasks workers may lock, oldest first (fetchAndLock's queue)

Revision ID: 0011
Revises: 0010

fetchAndLock locks the oldest ready (or lapsed) service tasks of the asked topics. Without an index in
that order the database read and sorted every ready or locked task to take five: with the workers two
thousand tasks behind (bench/NOTES.md: the HTTP bench; a department down for a morning does the same)
each fetch read about 340 pages, 2 ms of the database's CPU. Read in created_at order it stops at the
first tasks that fit. Partial: completed tasks, most of the table, have no entry. PostgreSQL only, like
the model's index (``ddl_if``): SQLite's planner cannot tell that the fetch's condition (ready, or locked
with its lock lapsed) implies the index's.

Only new index entries: no data changes. Everything here is frozen with the revision (no engine import).
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

QUEUED = "kind = 'service' AND state IN ('ready', 'locked')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_tasks_service_queue", "tasks", ["created_at"], unique=False,
                        postgresql_where=sa.text(QUEUED))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_tasks_service_queue", table_name="tasks")
