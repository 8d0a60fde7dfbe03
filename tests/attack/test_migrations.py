"""``alembic upgrade head`` on an empty PostgreSQL database gives exactly the models' schema.

There is no previous release yet (one migration, 0001); the upgrade-from-previous test comes with 0002.
"""
import os
import uuid

import pytest
from sqlalchemy import inspect, text

from engine.db import make_engine, upgrade
from engine.models import Base

pytestmark = pytest.mark.postgres


@pytest.fixture
def empty_pg():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    base, name = url.rsplit("/", 1)[0], f"test_migrate_{uuid.uuid4().hex[:8]}"
    admin = make_engine(f"{base}/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield f"{base}/{name}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_upgrade_head_on_an_empty_database_creates_every_table_and_index(empty_pg):
    upgrade(empty_pg)
    upgrade(empty_pg)  # a second upgrade is a no-op
    engine = make_engine(empty_pg)
    inspector = inspect(engine)
    assert set(Base.metadata.tables) <= set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert {c.name for c in table.columns} == columns, table.name
        wanted = {i.name for i in table.indexes}
        assert wanted <= {i["name"] for i in inspector.get_indexes(table.name)}, table.name
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    engine.dispose()
