"""Roles × every route of the OpenAPI document: each cell one exact status.

2xx where the audience may act (the call really succeeds: each row's preparation puts its object in
the state the call needs), 403 for a role or scope denial, 404 for a case (or a worker's task of
another region) the caller may not know exists, 401 without credentials, and the exact state answer
(409 / 422 / 400) where the object's state or the body refuses. A route in /api/v1/openapi.json
without a row fails the test.

Columns: admin; 钦北's health clerk (no institution); 钦北's police clerk (another lane); 江津's health
clerk (another region); a health clerk of hospital H2 in 钦北 (the cases are H1's); 钦北's and 江津's
supervisors; 钦北's family (the applicant) and 江津's; the demo worker; no credentials."""
import os
import re

from tests.api.roles_world import DELEGATE, ROLES, World

A = list(ROLES)
DISCOVER = os.environ.get("ROLES_MATRIX_DISCOVER")  # print the statuses seen (for writing a new row)


def _task_state(state, holder=None):
    """The review task ``ready`` (holder None) or claimed by ``holder(role)``."""
    def prepare(w, role):
        w.set_task(w.ids["task"], state=state, assignee=holder(role) if holder else None,
                   claimed_at=w.now() if holder else None, owner=None, delegation=None)
    return prepare


def _own(role):
    """Who holds the task for an allowed caller: the admin or the clerk themselves; else the clerk."""
    return ROLES[role] if role in ("admin", "clerk") else ROLES["clerk"]


def _fresh_claimed_review(w, role):
    case_id, task_id = w.new_review()
    w.set_task(task_id, state="claimed", assignee=_own(role), claimed_at=w.now())
    return {"task": task_id, "case": case_id}


def _locked_by_caller(w, role):
    return {"ext": w.lock_service_task(ROLES[role] or "nobody")}


def _worker(extra=None):
    return lambda w, role, ids: {"workerId": ROLES[role] or "nobody", **(extra or {})}


def _complete_body(w, role, ids):
    return {"workerId": ROLES[role] or "nobody", "variables": w.department_result(ids["ext"])}


def _fetch_body(w, role, ids):
    return {"workerId": ROLES[role] or "nobody", "maxTasks": 1,
            "topics": [{"topicName": "birth_certificate.issue", "lockDuration": 1000}]}


def _case_body(w, role, ids):
    from tests.api.helpers import sample_form
    return {"region": w.ids["region"], "items": ["birth_certificate"], "form": sample_form(w.ids["region"])}


READ = None   # a GET with no body
#             admin clerk lane region hosp sup  osup fam  ofam work anon
ALL_200 =     [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]
SIGNED_IN =   [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401]
STAFF =       [200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 401]
OWN_REGION_STAFF = [200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 401]  # another region's supervisor: 403
OWN_SUPERVISOR = [200, 403, 403, 403, 403, 200, 403, 403, 403, 403, 401]
CLERKS_WORK = [200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401]
SUPERVISORS = [200, 403, 403, 403, 403, 200, 200, 403, 403, 403, 401]
ADMIN_ONLY =  [200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401]
WORKERS =     [200, 403, 403, 403, 403, 403, 403, 403, 403, 200, 401]
WORKERS_204 = [204, 403, 403, 403, 403, 403, 403, 403, 403, 204, 401]
ROWS = [
    # method, path, body, prepare, expected (A's order)
    ("POST", "/api/v1/auth/token", {"username": "admin", "password": "demo"}, None, ALL_200),
    ("GET", "/api/v1/regions", READ, None, SIGNED_IN),
    ("GET", "/api/v1/regions/{region}", READ, None, SIGNED_IN),
    ("GET", "/api/v1/regions/{region}/form-schema", READ, None, SIGNED_IN),
    ("GET", "/api/v1/regions/{region}/requirements", READ, None, SIGNED_IN),
    ("POST", "/api/v1/cases", _case_body, None, [201, 201, 403, 403, 201, 403, 403, 201, 201, 403, 401]),
    ("GET", "/api/v1/cases", READ, None, [200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 401]),
    ("GET", "/api/v1/cases/{case}", READ, None, [200, 200, 200, 404, 404, 200, 404, 200, 404, 403, 401]),
    ("POST", "/api/v1/cases/{case}/supplement", {}, None, [409, 403, 403, 403, 403, 403, 403, 409, 404, 403, 401]),
    ("POST", "/api/v1/cases/{done}/evaluation", {"score": 5, "comment": "好"}, None, [403, 403, 403, 403, 403, 403, 403, 201, 404, 403, 401]),
    ("POST", "/api/v1/cases/{done}/delivery", {"item": "birth_certificate", "method": "pickup",
                                               "place": "钦北区妇幼保健院"}, None, [403, 403, 403, 403, 403, 403, 403, 200, 404, 403, 401]),
    ("POST", "/api/v1/cases/{done}/items/{item}/tracking", {"tracking_number": "SF12345678"}, None, [200, 403, 403, 404, 404, 403, 403, 403, 403, 403, 401]),
    ("GET", "/api/v1/cases/{done}/notices/{notice}.{fmt}", READ, None, [200, 200, 200, 404, 404, 200, 404, 200, 404, 403, 401]),
    ("GET", "/api/v1/cases/{done}/archive", READ, None, [200, 200, 403, 404, 404, 403, 404, 200, 404, 403, 401]),
    ("GET", "/api/v1/cases/{case}/family-tasks", READ, None, [200, 403, 403, 403, 403, 403, 403, 200, 404, 403, 401]),
    ("POST", "/api/v1/cases/{case}/family-tasks/{task}/complete", {"data": {}}, None, [403, 403, 403, 403, 403, 403, 403, 403, 404, 403, 401]),
    ("GET", "/api/v1/tasks", READ, None, [200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 401]),
    ("GET", "/api/v1/tasks/{task}", READ, None, [200, 200, 403, 403, 403, 200, 403, 403, 403, 403, 401]),
    ("POST", "/api/v1/tasks/{task}/claim", {}, _task_state("ready"), CLERKS_WORK),
    ("POST", "/api/v1/tasks/{task}/unclaim", {}, _task_state("claimed", _own), CLERKS_WORK),
    ("POST", "/api/v1/tasks/{task}/complete", {"data": {"decision": "accept"}}, _fresh_claimed_review, CLERKS_WORK),
    ("POST", "/api/v1/tasks/{task}/delegate", {"user": DELEGATE}, _task_state("claimed", _own), CLERKS_WORK),
    ("POST", "/api/v1/tasks/{task}/assign", {"user": DELEGATE}, _task_state("ready"), ADMIN_ONLY),
    ("GET", "/api/v1/definitions", READ, None, STAFF),
    # a body that is no BPMN is a refused diagram: 400 with its problems, as /engine-rest answers
    ("POST", "/api/v1/definitions", {}, None, [400, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401]),
    ("GET", "/api/v1/definitions/{key}/versions", READ, None, OWN_REGION_STAFF),
    # a body that is no BPMN is a dry run's problem list, not a refusal
    ("POST", "/api/v1/definitions/validate", {}, None, [200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401]),
    ("GET", "/api/v1/definitions/region-files", READ, None, ADMIN_ONLY),
    ("GET", "/api/v1/definitions/region-files/{region}", READ, None, ADMIN_ONLY),
    ("GET", "/api/v1/definitions/{key}/diff?from={version}&to={version}", READ, None, OWN_SUPERVISOR),
    ("POST", "/api/v1/definitions/{key}/migrations", lambda w, role, ids: {"from_version": ids["version"],
     "to_version": ids["version"], "dry_run": True}, None,  # a version onto itself is refused
     [422, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401]),
    ("GET", "/api/v1/definitions/{key}/versions/{version}/xml", READ, None, OWN_REGION_STAFF),
    ("GET", "/api/v1/supervision/overdue", READ, None, SUPERVISORS),
    ("GET", "/api/v1/supervision/due-soon", READ, None, SUPERVISORS),
    ("GET", "/api/v1/supervision/escalations", READ, None, SUPERVISORS),
    ("POST", "/api/v1/supervision/escalations/{escalation}/acknowledge", {},
     lambda w, role: w.reopen_escalation(), [200, 403, 403, 403, 403, 200, 404, 403, 403, 403, 401]),
    ("GET", "/api/v1/supervision/stats", READ, None, SUPERVISORS),
    ("GET", "/api/v1/supervision/incidents", READ, None, SUPERVISORS),
    ("POST", "/api/v1/supervision/incidents/{incident}/retry", {}, lambda w, role: w.reopen_incident(), [200, 403, 403, 403, 403, 200, 404, 403, 403, 403, 401]),
    ("GET", "/api/v1/calendar/add-working-days?from=2025-09-29&days=3", READ, None, SIGNED_IN),
    ("GET", "/api/v1/calendar/{year}", READ, None, SIGNED_IN),
    ("POST", "/api/v1/calendar/years", {}, None, [422, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401]),
    ("GET", "/api/v1/stub-handovers", READ, None, [200, 200, 403, 200, 200, 200, 200, 403, 403, 403, 401]),
    ("GET", "/engine-rest/version", READ, None, ALL_200),
    ("GET", "/engine-rest/deployment", READ, None, ADMIN_ONLY),
    ("GET", "/engine-rest/deployment/{deployment_id}", READ, None, ADMIN_ONLY),
    ("POST", "/engine-rest/deployment/create", {}, None, [400, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401]),
    ("GET", "/engine-rest/process-definition", READ, None, ADMIN_ONLY),
    ("GET", "/engine-rest/process-definition/key/{key}", READ, None, ADMIN_ONLY),
    ("GET", "/engine-rest/process-definition/{definition}", READ, None, ADMIN_ONLY),
    ("POST", "/engine-rest/process-definition/{definition}/start", {"variables": {}}, None, ADMIN_ONLY),
    ("POST", "/engine-rest/process-definition/key/{key}/start", {"variables": {}}, None, ADMIN_ONLY),
    ("POST", "/engine-rest/external-task/fetchAndLock", _fetch_body, None, WORKERS),
    ("POST", "/engine-rest/external-task/{ext}/complete", _complete_body, _locked_by_caller, WORKERS_204),
    ("POST", "/engine-rest/external-task/{ext}/failure", _worker({"errorMessage": "超时", "retries": 2,
                                                                  "retryTimeout": 0}), _locked_by_caller, WORKERS_204),
    # 钦北's diagram catches no BPMN error: an allowed worker's error code is refused as undeclared (400)
    ("POST", "/engine-rest/external-task/{ext}/bpmnError", _worker({"errorCode": "no_such_error"}),
     _locked_by_caller, [400, 403, 403, 403, 403, 403, 403, 403, 403, 400, 401]),
    ("POST", "/engine-rest/external-task/{ext}/extendLock", _worker({"newDuration": 60_000}),
     _locked_by_caller, WORKERS_204),
    ("POST", "/engine-rest/external-task/{ext}/unlock", {}, _locked_by_caller, WORKERS_204),
    ("GET", "/engine-rest/external-task/{ext}", READ, None, WORKERS),
    ("GET", "/engine-rest/external-task", READ, None, WORKERS),
    ("GET", "/health", READ, None, ALL_200),
    ("GET", "/ready", READ, None, ALL_200),
    ("GET", "/metrics", READ, None, ADMIN_ONLY),
]


def _call(w, role, method, path, body, prepare):
    ids = dict(w.ids)
    ids.update((prepare(w, role) if prepare else None) or {})
    user = w.users[role]
    kwargs = {"headers": user.headers} if user else {}
    if method == "POST":
        kwargs["json"] = body(w, role, ids) if callable(body) else body
    call = w.client.post if method == "POST" else w.client.get
    return call(path.format(**ids), **kwargs).status_code


def test_every_cell_of_the_roles_matrix(app):
    w = World(app)
    wrong, seen = [], []
    for method, path, body, prepare, expected in ROWS:
        got = [_call(w, role, method, path, body, prepare) for role in A]
        seen.append(f"{method} {path}: {got}")
        if got != expected:
            wrong.append(f"{method} {path}: expected {expected}, got {got}")
    if DISCOVER:
        print("\n".join(seen))
    assert not wrong, "\n".join(wrong)


def _route(method: str, path: str) -> tuple[str, str]:
    """Placeholders by position, whatever their names: /cases/{case_id} and /cases/{done} are one route."""
    return method.upper(), re.sub(r"\{[^}]+\}", "{}", path.split("?")[0])


def test_every_route_of_the_openapi_document_has_a_row(client):
    """A new route without a row here fails: its audiences must be decided and tested."""
    document = client.get("/api/v1/openapi.json").get_json()
    routes = {_route(method, path) for path, ops in document["paths"].items() for method in ops
              if method in ("get", "post", "put", "patch", "delete")}
    assert len(routes) > 50
    assert routes - {_route(method, path) for method, path, *_ in ROWS} == set()
