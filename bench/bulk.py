"""Bulk-generate plausible cases, tasks and candidate rows inside PostgreSQL (PostgreSQL only).

Rows copy the deployed definitions' real user activities (name, lane, candidate groups, form key,
item, limit), so every list query sees what production would: like engine/work/runtime.py, only open tasks
have candidate rows (a closing task's rows are deleted).
"""
import json
from datetime import datetime

import psycopg
from psycopg.types.numeric import Int8

from bench import qinbei

FINISHED_TASKS_PER_CASE = 10
HOSPITALS = 20  # each case's 助产机构 is one of these; health and cdc tasks carry it (engine/work/runtime.py)


def user_activities(conn) -> list[tuple]:
    """(definition id, region, bpmn id, activity) of every user task of every deployed definition."""
    out = []
    for def_id, region, activities in conn.execute("SELECT id, region, activities FROM definitions"):
        acts = activities if isinstance(activities, dict) else json.loads(activities)
        out += [(def_id, region, bpmn_id, act) for bpmn_id, act in acts.items()
                if act.get("kind") == "user" and act.get("candidate_groups")
                and "applicant" not in act["candidate_groups"]]
    return out


def generate(url: str, open_tasks: int, finished_tasks: int, now: datetime) -> dict:
    """Rows are made by PostgreSQL itself (generate_series): a million rows in seconds, not minutes."""
    form = json.dumps(qinbei.sample_form(now.date()), ensure_ascii=False)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        acts = user_activities(conn)
        conn.execute("CREATE TEMP TABLE acts (n int, def_id text, region text, bpmn_id text, name text, "
                     "lane text, groups json, form_key text, item text)")
        with conn.cursor().copy("COPY acts FROM STDIN") as copy:
            for n, (def_id, region, bpmn_id, act) in enumerate(acts):
                copy.write_row((n, def_id, region, bpmn_id, act.get("name") or bpmn_id, act.get("lane"),
                                json.dumps(act["candidate_groups"]), act.get("form_key"), act.get("item")))
        # bigint parameters: psycopg sends a small Python int as smallint, and arithmetic on it overflows
        params = {"now": now, "form": form, "items": json.dumps(qinbei.ALL_ITEMS), "acts": Int8(len(acts)),
                  "open": Int8(open_tasks), "cases_done": Int8(finished_tasks // FINISHED_TASKS_PER_CASE),
                  "per": Int8(FINISHED_TASKS_PER_CASE), "props": PROPS}
        conn.execute("SET session_replication_role = replica")  # the rows are consistent by construction: skip FK triggers
        indexes = _drop_secondary_indexes(conn)  # built once after the load: faster than row by row
        for statement in GENERATE:
            conn.execute(statement, params)
        for definition in indexes:
            conn.execute(definition)
        conn.commit()
        conn.execute("ANALYZE")
    return {"open_tasks": open_tasks, "finished_tasks": params["cases_done"] * FINISHED_TASKS_PER_CASE,
            "cases": open_tasks + params["cases_done"]}


def _drop_secondary_indexes(conn) -> list[str]:
    """Drops the plain (not constraint-backed) indexes of the bulk tables; returns their definitions."""
    rows = conn.execute("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename IN ('cases', 'tasks', 'task_candidates')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""").fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def _hospital(case_number: str) -> str:
    """The case's hospital code (H00…H19), the same for the case and its tasks; hashed, because the case
    number also picks the activity (and so the region): a plain modulo would tie hospitals to regions."""
    return f"'H' || lpad((abs(hashtext(({case_number})::text)) %% {HOSPITALS})::text, 2, '0')"


PROPS = json.dumps({"warningWorkingDays": "1", "escalationLevel1WorkingDays": "1", "escalationLevel2WorkingDays": "2"})
CASE_INSERT = """
INSERT INTO cases (id, region, definition_id, status, items, form, facts, state, row_version, submitted_at,
                   accepted_at, completed_at, promise_working_days, deadline, deadline_fallback, paused_working_days,
                   institution)
SELECT md5(i::text || %(tag)s)::uuid::text, a.region, a.def_id, %(status)s, %(items)s::json, %(form)s::json,
       '{}'::json, '', 1, s.at, s.at + interval '2 hours', CASE WHEN %(status)s = 'completed'
       THEN s.at + interval '20 days' END, 33, s.at + interval '46 days', false, 0, %(hospital)s
FROM generate_series(1, %(count)s) i
JOIN acts a ON a.n = i %% %(acts)s
CROSS JOIN LATERAL (SELECT %(now)s::timestamp - random() * interval '60 days' - interval '1 day' + i * interval '0') s(at)
"""


def _cases(tag: str, status: str, count: str) -> str:
    return (CASE_INSERT.replace("%(tag)s", tag).replace("%(status)s", status).replace("%(count)s", count)
            .replace("%(hospital)s", _hospital("i")))


GENERATE = [
    _cases("'o'", "'in_progress'", "%(open)s"),
    _cases("'c'", "'completed'", "%(cases_done)s"),
    """
INSERT INTO tasks (id, case_id, definition_id, region, bpmn_id, name, kind, lane, candidate_groups, form_key, item,
                   state, assignee, limit_working_days, due_at, due_fallback, created_at, claimed_at, attempts,
                   properties, institution)
SELECT md5(i::text || 'to')::uuid::text, md5(i::text || 'o')::uuid::text, a.def_id, a.region, a.bpmn_id, a.name,
       'user', a.lane, a.groups, a.form_key, a.item,
       CASE WHEN i %% 10 < 3 THEN 'claimed' ELSE 'ready' END,
       CASE WHEN i %% 10 < 3 THEN a.region || '.' || (a.groups->>0) END,
       (ARRAY[1, 2, 15, 30])[1 + i %% 4], %(now)s::timestamp + (random() * 45 - 5) * interval '1 day', false,
       %(now)s::timestamp - random() * interval '30 days', NULL, 0, %(props)s::json,
       CASE WHEN a.groups::jsonb ?| array['health', 'cdc'] THEN """ + _hospital("i") + """ END
FROM generate_series(1, %(open)s) i JOIN acts a ON a.n = i %% %(acts)s
""",
    """
INSERT INTO tasks (id, case_id, definition_id, region, bpmn_id, name, kind, lane, candidate_groups, form_key, item,
                   state, assignee, limit_working_days, due_at, due_fallback, created_at, completed_at, completed_by,
                   attempts, properties, institution)
SELECT md5(j::text || 'tc')::uuid::text, md5(((j - 1) / %(per)s + 1)::text || 'c')::uuid::text, a.def_id,
       a.region, a.bpmn_id, a.name, 'user', a.lane, a.groups, a.form_key, a.item, 'completed',
       a.region || '.' || (a.groups->>0), 15, s.at + interval '15 days', false, s.at, s.at + interval '3 hours',
       a.region || '.' || (a.groups->>0), 0, %(props)s::json,
       CASE WHEN a.groups::jsonb ?| array['health', 'cdc'] THEN """ + _hospital("(j - 1) / %(per)s + 1") + """ END
FROM generate_series(1, %(cases_done)s * %(per)s) j
JOIN acts a ON a.n = ((j - 1) / %(per)s + 1) %% %(acts)s
CROSS JOIN LATERAL (SELECT %(now)s::timestamp - random() * interval '400 days' + j * interval '0') s(at)
""",
    """
INSERT INTO task_candidates (task_id, "group")
SELECT t.id, g FROM tasks t CROSS JOIN LATERAL json_array_elements_text(t.candidate_groups) g
WHERE t.state IN ('ready', 'claimed', 'locked', 'incident')
ON CONFLICT DO NOTHING
""",
]
