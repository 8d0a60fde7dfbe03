"""cases.item_names: each offered item's name as the family's region form showed it

Revision ID: 0009
Revises: 0008

Notices, SMS and the case view named items with one generic table for every region, so a 钦北 family who
applied for 出生登记 read 出生登记（户口登记）. A case now keeps its region's names (bpmn/<region>/form.json,
worded as the seeds word them). Cases filed before keep NULL and the generic names.
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_names", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("item_names")
