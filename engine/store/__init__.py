"""Storage: the tables (``models``), engines and sessions (``db``), the step's transaction helper,
the in-process cache of committed workflows, and the Alembic migrations (``migrations/``).

May import ``engine.errors`` and ``engine.states`` only: everything else in the engine stands on it.
"""
