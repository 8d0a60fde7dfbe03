import pytest

from case_run import CaseRun
from diagrams import offered_items

FACTS = {
    "cq-jiangjin": {"newborn_named": True, "ethnicity_differs": False, "in_marriage": True},
    "sc-province": {"designated_hospital": True, "marriage_licence_on_record": True},  # the simulated registry
    "sc-dazhou-tongchuan": {"delivery_by_post": False, "township_hospital": False,
                            "parents_identity_confirmed": True},
}


@pytest.fixture
def base_data():
    def make(region, **overrides):
        return {"items": offered_items(region), **FACTS.get(region, {}), **overrides}
    return make


@pytest.fixture
def run_case(clean_db, clock):
    """``run_case(region, data, **options)``: one case through the real engine on a fresh database."""
    from engine.context import EngineContext
    from engine.store.db import make_session_factory
    session = make_session_factory(clean_db)()
    ctx = EngineContext(session=session, clock=clock)
    yield lambda region, data, **options: CaseRun(ctx, region, data, **options)
    session.close()
