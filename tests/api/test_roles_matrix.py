"""Roles × endpoints: every cell allowed or denied as specified (403 for a role or scope denial,
404 for a case the caller may not know exists, 401 without credentials)."""
import pytest

from tests.api.helpers import User, open_user_tasks, sample_form

REGION, OTHER = "gx-qinzhou-qinbei", "cq-jiangjin"
ROLES = {"admin": "admin", "clerk": f"{REGION}.health", "other_lane": f"{REGION}.police",
         "other_region": f"{OTHER}.health", "supervisor": f"{REGION}.supervisor",
         "other_supervisor": f"{OTHER}.supervisor", "family": f"{REGION}.family",
         "other_family": f"{OTHER}.family", "worker": "worker", "anonymous": None}
OK = "ok"  # allowed: 2xx, or a state answer (409 / 422 / 400) that is not a denial
ROLE_ORDER = list(ROLES)
#                                   admin clerk lane  region sup   osup  fam   ofam  work  anon
MATRIX = [
    ("GET", "/regions",             [OK,   OK,   OK,   OK,    OK,   OK,   OK,   OK,   OK,   401]),
    ("GET", "/regions/{region}",    [OK,   OK,   OK,   OK,    OK,   OK,   OK,   OK,   OK,   401]),
    ("GET", "/definitions",         [OK,   OK,   OK,   OK,    OK,   OK,   403,  403,  403,  401]),
    ("POST", "/definitions",        [OK,   403,  403,  403,   403,  403,  403,  403,  403,  401]),
    ("GET", "/cases",               [OK,   OK,   OK,   OK,    OK,   OK,   OK,   OK,   403,  401]),
    ("GET", "/cases/{case}",        [OK,   OK,   OK,   404,   OK,   404,  OK,   404,  403,  401]),
    ("GET", "/cases/{case}/archive", [OK,  OK,   403,  404,   403,  404,  OK,   404,  403,  401]),
    ("GET", "/cases/{case}/notices/1.html", [404, 404, 404, 404, 404, 404, 404, 404, 403, 401]),
    ("POST", "/cases/{case}/evaluation", [403, 403, 403, 403, 403, 403, OK,   404,  403,  401]),
    ("POST", "/cases/{case}/supplement", [OK,  403,  403,  403,   403,  403,  OK,   404,  403,  401]),
    ("POST", "/cases/{case}/delivery", [403, 403,  403,  403,   403,  403,  OK,   404,  403,  401]),
    ("GET", "/tasks",               [OK,   OK,   OK,   OK,    OK,   OK,   403,  403,  403,  401]),
    ("GET", "/tasks/{task}",        [OK,   OK,   403,  403,   OK,   403,  403,  403,  403,  401]),
    ("POST", "/tasks/{task}/unclaim", [OK, OK,   403,  403,   403,  403,  403,  403,  403,  401]),
    ("POST", "/tasks/{task}/delegate", [OK, OK,  403,  403,   403,  403,  403,  403,  403,  401]),
    ("POST", "/tasks/{task}/assign", [OK,  403,  403,  403,   403,  403,  403,  403,  403,  401]),
    ("POST", "/tasks/{task}/complete", [OK, OK,  403,  403,   403,  403,  403,  403,  403,  401]),
    ("POST", "/tasks/{task}/claim", [OK,   OK,   403,  403,   403,  403,  403,  403,  403,  401]),
    ("GET", "/supervision/overdue", [OK,   403,  403,  403,   OK,   OK,   403,  403,  403,  401]),
    ("GET", "/supervision/incidents",[OK,   403,  403,  403,   OK,   OK,   403,  403,  403,  401]),
]
BODIES = {"/evaluation": {"score": 5}, "/supplement": {}, "/delegate": {"user": "nobody"},
          "/assign": {"user": "nobody"}, "/complete": {"data": {}},
          "/delivery": {"item": "birth_certificate", "method": "pickup", "place": "钦北区妇幼保健院"}}


@pytest.fixture
def world(app):
    client = app.test_client()
    users = {role: (User(client, name) if name else None) for role, name in ROLES.items()}
    created = users["family"].post("/api/v1/cases", json={
        "region": REGION, "items": ["birth_certificate"], "form": sample_form(REGION)})
    assert created.status_code == 201
    case_id = created.get_json()["id"]
    [task] = open_user_tasks(users["supervisor"], case_id)
    return client, users, {"region": REGION, "case": case_id, "task": task["id"]}


def test_every_cell_of_the_roles_matrix(world):
    client, users, ids = world
    wrong = []
    for method, path, expected in MATRIX:
        url = "/api/v1" + path.format(**ids)
        body = next((b for suffix, b in BODIES.items() if path.endswith(suffix)), None)
        for role, want in zip(ROLE_ORDER, expected):
            user = users[role]
            call = (client.get if method == "GET" else client.post)
            kwargs = {"headers": user.headers} if user else {}
            if method == "POST":
                kwargs["json"] = body if body is not None else {}
            status = call(url, **kwargs).status_code
            got_ok = status < 400 or status in (400, 409, 422)
            if (want == OK and not got_ok) or (want != OK and status != want):
                wrong.append(f"{method} {path} as {role}: expected {want}, got {status}")
    assert not wrong, "\n".join(wrong)
