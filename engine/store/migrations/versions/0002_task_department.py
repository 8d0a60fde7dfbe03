"""tasks.department: the lane code of the department doing the task

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

At 0001, a task's department was guessed on every read from keywords in its lane's name. From
here it is a column, copied at task creation from the activity (``activities[bpmn_id]["department"]``,
the lane code recorded at deploy). This migration fills both for what 0001 stored:

1. every definition's ``activities``: each activity gets ``department`` from the stored diagram (the
   lane ``lane_<code>`` holding it, else its first candidate group), so tasks that still open on
   versions deployed before this revision carry the code too;
2. user tasks: their first candidate group;
3. service tasks: their activity's ``department`` from step 1; rows whose definition does not say
   (no such activity, a lane id not ``lane_<code>``) fall back to the old keyword guess on the lane
   name, mapped to lane codes. Whatever is still unknown stays NULL (readers fall back to the guess);
4. escalations of those tasks: their task's code, so filters and counts by department meet one vocabulary
   (0001's guess wrote ``social_security`` and ``platform`` where lanes say ``hrss`` and ``service_center``).

Downgrade drops the column only: the activities' extra key and the escalations' codes suit 0001's code.

Everything here is frozen with the revision: it imports no engine code, which may change later.
"""

import sqlalchemy as sa
from alembic import op
from lxml import etree

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
LANE_PREFIX = "lane_"
# The keyword guess of engine/deadlines/escalation.py at 0001 (first match wins), with lane codes (bpmn/README.md
# "Lanes") where it named other codes (人社 → social_security, 好差评 → platform), and the words of the
# lane names the regions' diagrams used at 0001 that it missed.
LANE_WORDS = (("疾控", "cdc"), ("接种", "cdc"), ("卫健", "health"), ("助产", "health"), ("公安", "police"),
              ("派出所", "police"), ("医保", "medical_insurance"), ("医疗保障", "medical_insurance"),
              ("人社", "hrss"), ("人力资源", "hrss"), ("社保", "hrss"), ("税务", "tax"), ("政务", "service_center"),
              ("好差评", "service_center"), ("邮政", "post"), ("申请人", "applicant"))

definitions = sa.table("definitions", sa.column("id", sa.String), sa.column("xml", sa.Text),
                       sa.column("activities", sa.JSON))
tasks = sa.table("tasks", sa.column("id", sa.String), sa.column("kind", sa.String),
                 sa.column("definition_id", sa.String), sa.column("bpmn_id", sa.String), sa.column("lane", sa.String),
                 sa.column("candidate_groups", sa.JSON), sa.column("department", sa.String))
escalations = sa.table("escalations", sa.column("task_id", sa.String), sa.column("department", sa.String))
activity_departments = sa.table("tmp_activity_departments", sa.column("definition_id", sa.String),
                                sa.column("bpmn_id", sa.String), sa.column("department", sa.String))


def upgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    found = _fill_definitions(bind)
    _fill_user_tasks()
    _fill_service_tasks(bind, found)
    _guess_from_lane_names()
    _fill_escalations()


def downgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("department")


def _fill_definitions(bind) -> list[dict]:
    """Add ``department`` to every stored activity; returns (definition, bpmn id, code) rows."""
    found = []
    for definition_id in bind.scalars(sa.select(definitions.c.id)).all():
        xml, activities = bind.execute(sa.select(definitions.c.xml, definitions.c.activities)
                                       .where(definitions.c.id == definition_id)).one()
        by_node, by_name = _lane_codes(xml)
        for bpmn_id, activity in (activities or {}).items():
            groups = activity.get("candidate_groups") or []
            code = by_node.get(bpmn_id) or by_name.get(activity.get("lane")) or (groups[0] if groups else None)
            activity["department"] = code
            if code and activity.get("kind") == "service":
                found.append({"definition_id": definition_id, "bpmn_id": bpmn_id, "department": code})
        bind.execute(definitions.update().where(definitions.c.id == definition_id).values(activities=activities))
    return found


def _lane_codes(xml: str) -> tuple[dict, dict]:
    """Lane codes by flow node id and by lane name, from lanes whose id is ``lane_<code>``."""
    by_node, by_name = {}, {}
    try:
        # stored diagrams passed the safe parser at deploy; still no entities, DTDs or network here
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return by_node, by_name  # the keyword guess still applies to its tasks
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        lane_id = lane.get("id") or ""
        if not lane_id.startswith(LANE_PREFIX) or lane_id == LANE_PREFIX:
            continue
        code = lane_id[len(LANE_PREFIX):]
        if lane.get("name"):
            by_name.setdefault(lane.get("name"), code)
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text and ref.text.strip():
                by_node[ref.text.strip()] = code
    return by_node, by_name


def _fill_user_tasks():
    op.execute(tasks.update().where(tasks.c.kind == "user", tasks.c.department.is_(None))
               .values(department=tasks.c.candidate_groups[0].as_string()))


def _fill_service_tasks(bind, found: list[dict]):
    """One pass over tasks, joined to a temporary table of the activities' codes (not a scan per activity)."""
    if not found:
        return
    op.create_table("tmp_activity_departments", sa.Column("definition_id", sa.String(160), primary_key=True),
                    sa.Column("bpmn_id", sa.String(120), primary_key=True), sa.Column("department", sa.String(64)))
    bind.execute(activity_departments.insert(), found)
    code = (sa.select(activity_departments.c.department)
            .where(activity_departments.c.definition_id == tasks.c.definition_id,
                   activity_departments.c.bpmn_id == tasks.c.bpmn_id).scalar_subquery())
    op.execute(tasks.update().where(tasks.c.kind == "service", tasks.c.department.is_(None))
               .values(department=code))
    op.drop_table("tmp_activity_departments")


def _guess_from_lane_names():
    guess = sa.case(*((tasks.c.lane.contains(word, autoescape=True), code) for word, code in LANE_WORDS),
                    else_=None)
    op.execute(tasks.update().where(tasks.c.kind == "service", tasks.c.department.is_(None),
                                    tasks.c.lane.is_not(None)).values(department=guess))


def _fill_escalations():
    code = sa.select(tasks.c.department).where(tasks.c.id == escalations.c.task_id).scalar_subquery()
    op.execute(escalations.update().where(escalations.c.task_id.is_not(None))
               .values(department=sa.func.coalesce(code, escalations.c.department)))
