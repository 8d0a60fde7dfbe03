"""Each region's process: the newest version of its most recently deployed key (``latest_for_region``),
and every region's at once in one query (``latest_by_region``, what ``GET /api/v1/regions`` shows)."""
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

from engine.definitions import deploy, latest_by_region, latest_for_region
from tests.engine.helpers import engine_context

ROOT = Path(__file__).resolve().parents[2]
QINBEI, HEBEI = "gx-qinzhou-qinbei", "he-province"


def _diagram(region: str, key: str | None = None, name: str | None = None) -> bytes:
    text = (ROOT / "bpmn" / region / "process.bpmn").read_text("utf-8")
    if key is not None:  # the same process under another key: its id and the pool's reference to it
        old = f"newborn_{region.replace('-', '_')}"
        assert text.count(f'id="{old}"') == 1
        text = text.replace(f'id="{old}"', f'id="{key}"').replace(f'processRef="{old}"', f'processRef="{key}"')
    if name is not None:  # another version: the bytes differ
        assert text.count('exporterVersion="2.0"') == 1
        text = text.replace('exporterVersion="2.0"', f'exporterVersion="2.0-{name}"')
    return text.encode("utf-8")


def test_every_regions_latest_process_in_one_query_as_each_alone(clean_db, clock):
    ctx = engine_context(clean_db, clock)
    try:
        at = clock.now()
        first, _ = deploy(ctx.session, _diagram(QINBEI), at, region=QINBEI)
        deploy(ctx.session, _diagram(HEBEI), at, region=HEBEI)
        second_key, _ = deploy(ctx.session, _diagram(QINBEI, key="newborn_qinbei_pilot"), at + timedelta(days=1),
                               region=QINBEI)
        assert latest_for_region(ctx.session, QINBEI).id == second_key.id  # the most recently deployed key
        newer, created = deploy(ctx.session, _diagram(QINBEI, name="v2"), at + timedelta(days=2), region=QINBEI)
        assert created and newer.key == first.key and newer.version == 2
        ctx.session.flush()

        statements = []
        bind = ctx.session.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(bind, "before_cursor_execute", listener)
        try:
            latest = latest_by_region(ctx.session)
        finally:
            event.remove(bind, "before_cursor_execute", listener)
        assert len(statements) == 1
        assert {region: d.id for region, d in latest.items()} == {
            region: latest_for_region(ctx.session, region).id for region in (QINBEI, HEBEI)}
        assert latest[QINBEI].id == newer.id  # its key's newest version, deployed last
    finally:
        ctx.session.close()
