"""tasks: index open user tasks by who may take them (region, hospital, candidate groups)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

A clerk's task list is their groups' open work in their region (and hospital). Candidate rows find a
group's tasks in every region, so a clerk with little work in a busy region read the region's open tasks
one by one (35 ms at 35,000 open tasks, bench/RESULTS.md). ``ix_tasks_open_work_keys`` indexes each open
user task under one JSON object, {region: groups, "region/institution": groups} ("region/" when the
task has no institution): on PostgreSQL a GIN index (jsonb_path_ops), so "contains {region: [group]}"
is one lookup of exactly the clerk's tasks. PostgreSQL only, like the model's index (``ddl_if``):
SQLite, the embedded default, lists through candidate rows.

Only new index entries: no data changes. Everything here is frozen with the revision (no engine import).
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN_USER_TASK = "kind = 'user' AND state IN ('ready', 'claimed', 'locked', 'incident')"
# as PostgreSQL prints it (engine/store/models.py ``open_work_keys`` compiles to the same text)
OPEN_WORK_KEYS = ("jsonb_set(jsonb_set('{}'::jsonb, ARRAY[region::text], candidate_groups::jsonb), "
                  "ARRAY[(region::text || '/') || coalesce(institution, '')::text], candidate_groups::jsonb)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_tasks_open_work_keys ON tasks USING gin ({OPEN_WORK_KEYS} jsonb_path_ops) "
                   f"WITH (fastupdate = off) WHERE {OPEN_USER_TASK}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_tasks_open_work_keys")
