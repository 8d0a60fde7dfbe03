"""SpiffWorkflow's Camunda parser, extended to keep what a Camunda Modeler user sets.

``CamundaParser`` keeps ``camunda:properties`` but drops candidate groups, external
task topics and form keys; ours stores them in ``task_spec.extensions`` (which the
serializer already persists) under ``camunda:<attribute>`` keys.
"""
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask, NoneTask, ManualTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, IntermediateThrowEvent
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEndEventParser, CamundaIntermediateThrowEventParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser, UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
KEPT_ATTRIBUTES = ("candidateGroups", "candidateUsers", "assignee", "formKey", "type", "topic", "dueDate")


class _KeepCamundaAttributes:
    def parse_extensions(self, node=None):
        extensions = {p.get("name"): p.get("value") for p in
                      self.xpath("./bpmn:extensionElements/camunda:properties/camunda:property")}
        for name in KEPT_ATTRIBUTES:
            value = self.node.get(f"{{{CAMUNDA_NS}}}{name}")
            if value is not None:
                extensions[f"camunda:{name}"] = value
        return extensions


class NewbornUserTaskParser(_KeepCamundaAttributes, UserTaskParser):
    pass


class NewbornTaskParser(_KeepCamundaAttributes, CamundaTaskParser):
    pass


class NewbornEndEventParser(_KeepCamundaAttributes, CamundaEndEventParser):
    pass


class NewbornThrowEventParser(_KeepCamundaAttributes, CamundaIntermediateThrowEventParser):
    pass


class NewbornParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (NewbornUserTaskParser, UserTask),
        full_tag("serviceTask"): (NewbornTaskParser, ServiceTask),
        full_tag("task"): (NewbornTaskParser, NoneTask),
        full_tag("manualTask"): (NewbornTaskParser, ManualTask),
        full_tag("endEvent"): (NewbornEndEventParser, EndEvent),
        full_tag("intermediateThrowEvent"): (NewbornThrowEventParser, IntermediateThrowEvent),
    }
