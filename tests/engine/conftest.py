"""Fixtures shared by the engine's tests."""
import pytest

from tests.engine.helpers import engine_context


@pytest.fixture
def ctx(clean_db, clock):
    """An engine context on the test database and the virtual clock."""
    ctx = engine_context(clean_db, clock)
    yield ctx
    ctx.session.close()  # an idle transaction would hold locks the next test's cleanup waits for
