"""Authorization is deny by default: every view must be marked public or protected."""

from lti_tool.lti.session import Actor


def test_every_view_is_marked(app):
    unmarked = [rule.endpoint for rule in app.url_map.iter_rules()
                if rule.endpoint != "static"
                and getattr(app.view_functions[rule.endpoint], "_authz", None) is None]
    assert unmarked == []


def test_an_unmarked_view_is_refused(app):
    @app.get("/unmarked-for-test")
    def unmarked():
        return "secret"

    resp = app.test_client().get("/unmarked-for-test")
    assert resp.status_code == 403
    assert b"secret" not in resp.data


def _token(app, role="learner"):
    tokens = app.extensions["lti_tool.tokens"]
    return tokens.issue(Actor(user_id=1, context_id=1, deployment_id=1, registration_id=1,
                              role=role, locale="en"))


def test_protected_pages_need_a_launch_token(client):
    resp = client.get("/learn")
    assert resp.status_code == 401
    assert b"Open the tool again from your course" in resp.data


def test_a_forged_token_is_refused(client):
    resp = client.get("/learn?ltik=forged.token.value")
    assert resp.status_code == 401
    assert b"not valid" in resp.data


def test_learners_cannot_open_instructor_pages(app):
    resp = app.test_client().get("/program", query_string={"ltik": _token(app)})
    assert resp.status_code == 403


def test_expired_tokens_are_refused(app, monkeypatch):
    token = _token(app)
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 3600)
    resp = app.test_client().get("/learn", query_string={"ltik": token})
    assert resp.status_code == 401
    assert b"ended" in resp.data


def test_json_clients_get_json_errors(client):
    resp = client.get("/learn", headers={"Accept": "application/json"})
    assert resp.status_code == 401
    assert resp.get_json()["message"]


def test_static_files_are_public(client):
    resp = client.get("/static/style.css")
    assert resp.status_code == 200
    assert b"--ink" in resp.data
