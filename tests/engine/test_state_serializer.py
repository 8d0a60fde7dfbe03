"""The workflow state written each step reads back as it was (engine.bpmn.serializer)."""
import json

from engine.bpmn.serializer import dump_json
from engine.definitions import spec_cache
from engine.work import runtime
from engine.store.models import Case
from tests.engine.helpers import engine_context, open_tasks, start_accepted_case


def test_a_case_state_reads_back_with_chinese_text_and_integers_beyond_64_bits(clean_db, clock):
    """A family's data carries Chinese text and may carry any JSON integer."""
    ctx = engine_context(clean_db, clock)
    try:
        case = start_accepted_case(ctx)
        case = ctx.session.get(Case, case.id)
        definition = spec_cache.version(ctx.session, case.definition_id)
        workflow = runtime.load_workflow(case, definition)
        big = 2 ** 70
        workflow.data.update({"申请人": "李四", "big": big, "neg": -(2 ** 63), "nested": {"ids": [1, big]}})
        text = runtime.state_serializer.dumps(workflow)
        again = runtime.state_serializer.loads(text, *spec_cache.get(definition), runtime.script_engine)
        assert again.data["申请人"] == "李四"
        assert again.data["big"] == big and isinstance(again.data["big"], int)
        assert again.data["nested"] == {"ids": [1, big]} and again.data["neg"] == -(2 ** 63)
        assert {str(t.id) for t in again.get_tasks()} == {str(t.id) for t in workflow.get_tasks()}
        assert {t.id for t in open_tasks(ctx, case.id)} <= {str(t.id) for t in again.get_tasks()}
    finally:
        ctx.session.close()


def test_dump_json_writes_what_the_standard_library_reads_the_same_either_way():
    value = {"名": "出生登记", "n": [1, 2.5, None, True], "k": {"a": {}}}
    assert json.loads(dump_json(value)) == value
    wide = {"n": 2 ** 64, "名": "户口"}  # orjson refuses it: the standard library's JSON instead
    assert json.loads(dump_json(wide)) == wide

