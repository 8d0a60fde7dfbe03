"""A move plan's ``needs``: the variables the target version's conditions and scripts read that the source's
did not, by the deploy check's rule (``variables.names_read``): allow-listed functions are not variables."""
from lxml import etree

from engine.bpmn.model import NS
from engine.definitions import deploy
from engine.work.version_moves import make_plan
from tests.engine.helpers import ROOT

CLERK_COUNT = ROOT / "tests" / "data" / "bpmn" / "clerk_count.bpmn"
BPMN = NS["bpmn"]



def _version(condition: str, script: str | None = None) -> bytes:
    """clerk_count with the gateway's condition replaced and, if given, a script task before the gateway."""
    root = etree.fromstring(CLERK_COUNT.read_bytes())
    [node] = root.iter(f"{{{BPMN}}}conditionExpression")
    node.text = condition
    if script is not None:
        process = root.find(f"{{{BPMN}}}process")
        [flow] = root.xpath("//bpmn:sequenceFlow[@id='flow_stamp_gateway']", namespaces=NS)
        flow.set("targetRef", "stamp")
        [incoming] = root.xpath("//*[@id='gateway']/bpmn:incoming", namespaces=NS)
        incoming.text = "flow_script_gateway"
        task = etree.SubElement(process, f"{{{BPMN}}}scriptTask", id="stamp", name="盖章", scriptFormat="python")
        etree.SubElement(task, f"{{{BPMN}}}incoming").text = "flow_stamp_gateway"
        etree.SubElement(task, f"{{{BPMN}}}outgoing").text = "flow_script_gateway"
        etree.SubElement(task, f"{{{BPMN}}}script").text = script
        etree.SubElement(process, f"{{{BPMN}}}sequenceFlow", id="flow_script_gateway", sourceRef="stamp",
                         targetRef="gateway")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _needs(ctx, target: bytes) -> set:
    deploy(ctx.session, CLERK_COUNT.read_bytes(), ctx.now())
    deploy(ctx.session, target, ctx.now())
    ctx.session.commit()
    return make_plan(ctx.session, "clerk_count", 1, 2, {}).needs


def test_a_condition_calling_an_allow_listed_function_needs_only_its_variables(ctx):
    assert _needs(ctx, _version("len(names) > count")) == {"names"}


def test_what_a_new_script_reads_is_needed_too(ctx):
    assert _needs(ctx, _version("count > 2", script="total = max(count, bonus)")) == {"bonus"}
