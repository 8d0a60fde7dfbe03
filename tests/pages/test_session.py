"""Login, logout, expiry and CSRF of the pages' cookie session (Flask test client, no browser)."""
import re
import time

from api.cli import initialise

REGION = "gx-qinzhou-qinbei"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, username, password="demo"):
    token = _csrf(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_login_sets_a_strict_cookie_and_sends_each_role_home(client):
    response = _login(client, f"{REGION}.health")
    assert response.status_code == 302 and response.headers["Location"] == "/clerk"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/clerk").status_code == 200
    assert client.get("/supervisor").status_code == 403  # a clerk is not a supervisor
    assert _login(client.application.test_client(), f"{REGION}.family").headers["Location"] == "/family"
    assert _login(client.application.test_client(), f"{REGION}.supervisor").headers["Location"] == "/supervisor"


def test_wrong_password_and_missing_csrf_are_refused(client):
    assert _login(client, f"{REGION}.health", "wrong").status_code == 401
    response = client.post("/login", data={"username": f"{REGION}.health", "password": "demo"})
    assert response.status_code == 400 and client.get("/clerk").status_code == 302


def test_cookie_writes_need_the_csrf_header_reads_do_not(client):
    _login(client, f"{REGION}.family")
    assert client.get("/api/v1/cases").status_code == 200
    body = {"case_id": "x"}
    refused = client.post("/api/v1/cases", json={"region": REGION, "items": [], "form": {}})
    assert refused.status_code == 403 and refused.get_json()["errors"][0]["code"] == "forbidden"
    page = client.get("/family").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    allowed = client.post("/api/v1/cases", json={"region": REGION, "items": ["birth_certificate"], "form": {}},
                          headers={"X-CSRF-Token": token})
    assert allowed.status_code == 422, allowed.get_json()  # past CSRF, into validation
    forged = client.post("/api/v1/cases", json=body, headers={"X-CSRF-Token": token[:-2] + "xx"})
    assert forged.status_code == 403


def test_logout_ends_the_session(client):
    _login(client, f"{REGION}.supervisor")
    token = _csrf(client.get("/supervisor").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/supervisor").headers["Location"] == "/login"
    assert client.get("/api/v1/cases").status_code == 401


def test_session_expires(make_app):
    app = make_app(PAGES_SESSION_SECONDS=1)
    initialise(app)
    client = app.test_client()
    _login(client, f"{REGION}.health")
    assert client.get("/clerk").status_code == 200
    time.sleep(2.1)
    assert client.get("/clerk").status_code == 302
    assert client.get("/api/v1/tasks").status_code == 401


def test_the_cookie_is_signed_by_one_serializer_per_key_and_a_new_key_refuses_old_cookies(client):
    """The signing serializer is built once (not per request); a changed SECRET_KEY still logs everyone
    out, as Flask's own interface would."""
    app = client.application
    interface = app.session_interface
    _login(client, f"{REGION}.health")
    assert client.get("/clerk").status_code == 200
    first = interface.get_signing_serializer(app)
    assert first is interface.get_signing_serializer(app) and first is not None
    key, app.secret_key = app.secret_key, "another-secret-key-0123456789abcdef"
    try:
        assert interface.get_signing_serializer(app) is not first
        assert client.get("/clerk").status_code == 302
    finally:
        app.secret_key = key
