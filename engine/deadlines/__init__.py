"""Time: the working-day calendar (with 调休 and operator data files), clocks, the deadline rule
(``sla``), escalation firings, the APScheduler escalation scheduler and supervisors' queries.

May import storage and notify (an escalation writes the timeline and the SMS outbox); never the work.
"""
