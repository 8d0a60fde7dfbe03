"""The simulation: the same engine, escalation and calendar on a virtual clock (``replay``), and the
``python -m engine simulate`` command (``cli``). Nothing else in the engine imports it.
"""
