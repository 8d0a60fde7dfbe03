"""The BPMN model: safe XML parsing (``safe_xml``), the Camunda-aware SpiffWorkflow parser (``parser``),
what the engine reads of a diagram (``model``: activities, lanes and their department codes, extension
properties), deploy validation (``validation``), the restricted expression engine (``expressions``) and
the spec and state serializers (``serializer``).

May import ``engine.errors`` and ``engine.states`` only: it knows no rows, no cases and no time.
"""
from engine.bpmn import joins  # noqa: F401,E402 (SpiffWorkflow's parallel join, made faster on import)
from engine.bpmn import state_changes  # noqa: F401,E402 (its task state change, logged only when listened to)
from engine.bpmn import task_walks  # noqa: F401,E402 (its task-tree walks, answered from the task dict)
