"""Telling people: the SMS outbox and its dispatcher (``notifications``), notices (受理通知书 …),
the case timeline and the case archive.

May import storage only (and ``engine.background`` for the dispatcher's thread).
"""
