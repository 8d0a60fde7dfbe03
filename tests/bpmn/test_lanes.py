"""Deploy records each activity's department: its lane's code (``lane_<code>``), else its first candidate
group; tasks copy it (engine/work/runtime.py) into ``tasks.department``."""
from pathlib import Path

import pytest
from lxml import etree

from diagrams import REGIONS, bpmn_path
from engine.bpmn.model import keyword_code
from engine.definitions import parse_diagram

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DATA = Path(__file__).resolve().parents[1] / "data" / "bpmn"


@pytest.mark.parametrize("region", REGIONS)
def test_every_activity_gets_the_code_of_its_lane(region):
    path = bpmn_path(region)
    lane_of = {ref.text.strip(): lane.get("id").removeprefix("lane_")
               for lane in etree.parse(str(path)).iter(f"{BPMN}lane") for ref in lane.iter(f"{BPMN}flowNodeRef")}
    activities = parse_diagram(path.read_bytes(), path.name).activities
    assert {a["kind"] for a in activities.values()} >= {"user", "service"}
    for bpmn_id, activity in activities.items():
        assert activity["department"] == lane_of[bpmn_id], bpmn_id
        if activity["kind"] == "user":  # the regions' lanes and candidate groups agree
            assert activity["department"] == activity["candidate_groups"][0], bpmn_id


def test_lane_ids_not_named_after_a_code_fall_back_to_the_first_candidate_group():
    xml = (DATA / "race_parallel_10.bpmn").read_text(encoding="utf-8")
    lanes = ('<bpmn:laneSet id="lanes"><bpmn:lane id="Lane_0x1y2z" name="审核窗口">'
             + "".join(f"<bpmn:flowNodeRef>work_{i}</bpmn:flowNodeRef>" for i in range(5))
             + '</bpmn:lane><bpmn:lane id="lane_cdc" name="接种单位">'
             + "".join(f"<bpmn:flowNodeRef>work_{i}</bpmn:flowNodeRef>" for i in range(5, 10))
             + "</bpmn:lane></bpmn:laneSet>")
    start = xml.index("<bpmn:startEvent")  # the XSD puts lane sets before the flow elements
    xml = xml[:start] + lanes + xml[start:]
    activities = parse_diagram(xml.encode("utf-8"), "race.bpmn").activities
    assert activities["work_0"]["lane"] == "审核窗口" and activities["work_0"]["department"] == "health"
    assert activities["work_9"]["lane"] == "接种单位" and activities["work_9"]["department"] == "cdc"


def test_a_lane_named_but_not_coded_gives_its_tasks_the_code_its_name_suggests():
    """The one table of lane-name keywords (engine/bpmn/model.py), for service tasks in such a lane."""
    assert keyword_code("区公安局派出所") == "police"
    assert keyword_code("县医疗保障局") == "medical_insurance"
    assert keyword_code("审核窗口") is None
    assert keyword_code(None) is None
