"""The simulation: the same engine, escalation and calendar on a virtual clock (``replay``), the
``python -m engine simulate`` command (``cli``), and the one simulated department system
(``departments``) the replay and the workers' simulated adapter share.

May import every other engine folder and module; nothing in the engine imports it, except the surface
(``engine/__init__.py``), which hands ``departments`` to the workers.
"""
