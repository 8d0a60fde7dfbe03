"""The work: starting cases, the engine step every completion goes through (``runtime``), clerks'
user tasks, department systems' external tasks and their retry policy (``retries``), the family's own
tasks and 补正 (supplements), and moving running cases to another version of their definition
(``version_moves``).

May import storage, deadlines, notify, the BPMN model, definitions and the top-level vocabulary
(``errors``, ``states``, ``scope``); never the simulation.
"""
