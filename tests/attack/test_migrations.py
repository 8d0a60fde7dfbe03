"""Migrations: ``upgrade head`` on an empty database, and on one holding rows at the released revision
(0001), both give exactly the models' schema; the rows survive and 0002 fills ``tasks.department``;
downgrading to 0001 and upgrading again works.

Each pass of the suite checks its own dialect: PostgreSQL with TEST_DATABASE_URL (a fresh database per
test, beside the given one), else a fresh SQLite file.
"""
import os
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, inspect, text

from engine.store.db import alembic_config, built_on, make_engine, upgrade
from engine.definitions import parse_diagram
from engine.store.models import Base

RELEASED = "0001"
ROOT = Path(__file__).resolve().parents[2]
REGION = "gx-qinzhou-qinbei"
NOW = datetime(2025, 10, 9, 10, 0)
CARD_LANE = "钦北区社会保险事业服务中心"


@pytest.fixture
def empty_db(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    base, name = url.rsplit("/", 1)[0], f"test_migrate_{uuid.uuid4().hex[:8]}"
    admin = make_engine(f"{base}/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield f"{base}/{name}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _assert_models_schema(engine):
    """No difference Alembic's autogenerate would write: tables, columns, types, nullability, indexes."""
    include = built_on(engine.dialect.name)  # some indexes are PostgreSQL's alone (``ddl_if``)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        assert compare_metadata(context, Base.metadata) == []
        assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        assert {c.name for c in table.columns} == {c["name"] for c in inspector.get_columns(table.name)}
        created = {i.name for i in table.indexes if include(i, i.name, "index", False, None)}
        assert created <= {i["name"] for i in inspector.get_indexes(table.name)}


def test_upgrade_head_on_an_empty_database_creates_every_table_and_index(empty_db):
    upgrade(empty_db)
    upgrade(empty_db)  # a second upgrade is a no-op
    engine = make_engine(empty_db)
    _assert_models_schema(engine)
    engine.dispose()


def _released_rows(conn):
    """A deployed region, an accepted case and its tasks as 0001's code wrote them: activities without a
    department, tasks with lane names only."""
    # a lane name no keyword of the old guess knows: only the diagram's lane id tells its department
    xml = (ROOT / "bpmn" / REGION / "process.bpmn").read_text(encoding="utf-8").replace(
        'name="区人社局"', f'name="{CARD_LANE}"')
    parsed = parse_diagram(xml.encode("utf-8"), "process.bpmn")
    activities = {bpmn_id: {k: v for k, v in act.items() if k != "department"}
                  for bpmn_id, act in parsed.activities.items()}
    definition_id = f"{parsed.key}:1:0a1b2c3d"
    rows = [
        ("deployments", {"id": "d1", "name": REGION, "source": "bpmn-folder", "deployed_at": NOW}),
        ("users", {"id": 1, "username": "worker", "password_hash": "x", "display_name": "", "role": "worker",
                   "groups": ["hukou.register"], "active": True}),
        ("definitions", {"id": definition_id, "key": parsed.key, "version": 1, "name": parsed.name,
                         "region": REGION, "sha256": "0" * 64, "resource_name": "process.bpmn", "xml": xml,
                         "spec_json": parsed.spec_json, "properties": parsed.properties,
                         "activities": activities, "deployment_id": "d1", "deployed_at": NOW}),
        ("cases", {"id": "c1", "region": REGION, "definition_id": definition_id, "status": "in_progress",
                   "items": ["social_security_card"], "form": {"mother": {"name": "李梅"}}, "facts": {},
                   "state": "{}", "row_version": 3, "submitted_at": NOW, "accepted_at": NOW,
                   "deadline_fallback": False, "paused_working_days": 0}),
    ]
    task = {"case_id": "c1", "definition_id": definition_id, "region": REGION, "state": "ready",
            "due_fallback": False, "created_at": NOW, "attempts": 0, "properties": {}}
    tasks = [  # (id, bpmn_id, kind, lane as SpiffWorkflow named it, candidate groups)
        ("t-user", "acceptance_review", "user", "助产机构“一窗受理”综合窗口（卫健）", ["health", "cdc"]),
        ("t-card", "social_security_card_issue", "service", CARD_LANE, []),
        ("t-retired", "hukou_old_check", "service", "户籍所在地社保所", []),       # not in the diagram
        ("t-unknown", "archive_copy", "service", "档案馆", []),                      # nothing to go by
    ]
    for task_id, bpmn_id, kind, lane, groups in tasks:
        rows.append(("tasks", {**task, "id": task_id, "bpmn_id": bpmn_id, "name": bpmn_id, "kind": kind,
                               "lane": lane, "candidate_groups": groups}))
    escalation = {"level": "overdue", "case_id": "c1", "region": REGION, "item": "social_security_card",
                  "due_at": NOW, "fired_at": NOW}
    rows += [("escalations", {**escalation, "subject": "task:t-card", "task_id": "t-card",
                              "department": "social_security"}),         # 0001's code for 人社 lanes
             ("escalations", {**escalation, "subject": "case:c1", "task_id": None, "department": None})]
    for table, values in rows:
        # 0001's tables as the database has them, not as today's models declare them
        conn.execute(_table(conn, table).insert(), values)
    return definition_id


def _table(conn, name) -> Table:
    return Table(name, MetaData(), autoload_with=conn)


def _departments(conn) -> dict:
    return dict(conn.execute(text("SELECT id, department FROM tasks")).all())


def test_upgrade_from_the_released_revision_keeps_rows_and_fills_departments(empty_db):
    upgrade(empty_db, RELEASED)
    engine = make_engine(empty_db)
    with engine.begin() as conn:
        assert "department" not in {c["name"] for c in inspect(conn).get_columns("tasks")}
        definition_id = _released_rows(conn)
    upgrade(empty_db)
    _assert_models_schema(engine)
    with engine.connect() as conn:
        assert _departments(conn) == {"t-user": "health", "t-card": "hrss", "t-retired": "hrss",
                                      "t-unknown": None}
        assert conn.execute(_table(conn, "cases").select()).one().form == {"mother": {"name": "李梅"}}
        # 0004: an existing worker account keeps serving every region
        assert conn.execute(_table(conn, "users").select()).one().regions == []
        assert dict(conn.execute(text("SELECT subject, department FROM escalations")).all()) == {
            "task:t-card": "hrss", "case:c1": None}
        assert conn.scalar(text("SELECT lane FROM tasks WHERE id = 't-user'")) == "助产机构“一窗受理”综合窗口（卫健）"
        definitions = _table(conn, "definitions")
        stored = conn.execute(definitions.select().where(definitions.c.id == definition_id)).one().activities
    # tasks opened later on this old version carry the code too
    assert stored["social_security_card_issue"]["department"] == "hrss"
    assert stored["acceptance_review"]["department"] == "health"
    assert stored["supplement"]["department"] == "applicant"
    engine.dispose()


def test_downgrade_to_the_released_revision_and_upgrade_again(empty_db):
    upgrade(empty_db, RELEASED)
    engine = make_engine(empty_db)
    with engine.begin() as conn:
        _released_rows(conn)
    upgrade(empty_db)
    command.downgrade(alembic_config(empty_db), RELEASED)
    with engine.connect() as conn:
        assert "department" not in {c["name"] for c in inspect(conn).get_columns("tasks")}
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == RELEASED
        assert conn.scalar(text("SELECT count(*) FROM tasks")) == 4
    upgrade(empty_db)
    _assert_models_schema(engine)
    with engine.connect() as conn:
        assert _departments(conn)["t-card"] == "hrss"
    engine.dispose()


def test_0004_keeps_every_stored_deadline_a_promise(empty_db):
    """Before 0004 every deadline was told to the family: upgraded rows say so (``deadline_kind``)."""
    upgrade(empty_db, "0003")
    engine = make_engine(empty_db)
    with engine.begin() as conn:
        _released_rows(conn)
        conn.execute(text("UPDATE cases SET deadline = :d"), {"d": NOW})
    upgrade(empty_db)
    _assert_models_schema(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT deadline_kind FROM cases")) == "promise"
        assert dict(conn.execute(text("SELECT subject, deadline_kind FROM escalations")).all()) == {
            "task:t-card": "promise", "case:c1": "promise"}
        assert conn.scalar(text("SELECT count(*) FROM tasks WHERE deadline_kind IS NOT NULL")) == 0
    engine.dispose()


def test_0010_counts_each_cases_notices_issued_before_it(empty_db):
    """The next notice's number continues from the notices a case already has (…-03 after two)."""
    upgrade(empty_db, "0009")
    engine = make_engine(empty_db)
    with engine.begin() as conn:
        _released_rows(conn)
        notices = _table(conn, "notices")
        for n in (1, 2):
            conn.execute(notices.insert(), {"case_id": "c1", "kind": "correction", "number": f"N-{n:02d}",
                                            "issued_at": NOW, "content": {}})
    upgrade(empty_db)
    _assert_models_schema(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT notices_issued FROM cases WHERE id = 'c1'")) == 2
    engine.dispose()


def test_case_state_is_lz4_compressed_on_postgresql(empty_db):
    """0007: every step rewrites ``cases.state``; lz4 costs PostgreSQL's backend about half of pglz
    (bench/NOTES.md). A downgrade gives the column its default back."""
    if not empty_db.startswith("postgresql"):
        pytest.skip("TOAST compression is PostgreSQL's (SQLite has none); runs in the PostgreSQL pass")
    engine = make_engine(empty_db)
    compression = text("SELECT attcompression FROM pg_attribute "
                       "WHERE attrelid = 'cases'::regclass AND attname = 'state'")
    try:
        upgrade(empty_db)
        with engine.connect() as conn:
            assert conn.scalar(compression) == "l"
        command.downgrade(alembic_config(empty_db), "0006")
        with engine.connect() as conn:
            assert conn.scalar(compression) == ""
    finally:
        engine.dispose()
