"""End-to-end launches against the independent demo LMS, and every refused case."""

from __future__ import annotations

import time

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from demo_lms import client
from lti_tool.db import db
from lti_tool.lti.models import Deployment, Membership, User

from .conftest import INSTRUCTOR


def test_learner_launch_lands_on_the_learner_page(world):
    s = requests.Session()
    resp = client.launch(s, world.lms.url, user_id="user-giovanni", locale="it")
    assert resp.status_code == 200, resp.text[:500]
    assert urlpath(resp.url) == "/learn"
    assert 'lang="it"' in resp.text
    assert "Giovanni" in resp.text
    with world.app.app_context():
        user = db.session.scalar(select(User).where(User.sub == "user-giovanni"))
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert (user.locale, membership.role) == ("it", "learner")


def test_instructor_launch_lands_on_the_program_page(world):
    resp = client.launch(requests.Session(), world.lms.url, user_id="user-irene")
    assert resp.status_code == 200, resp.text[:500]
    assert urlpath(resp.url) == "/program"
    assert "Reverse Mentoring Pilot" in resp.text


def test_the_tool_keeps_working_with_the_launch_token_only(world):
    s = requests.Session()
    resp = client.launch(s, world.lms.url, user_id="user-maya")
    token = resp.url.split("ltik=")[1]
    # A browser that blocks every cookie: the token in the link is all it has.
    again = requests.get(world.tool.url + "/learn", params={"ltik": token})
    assert again.status_code == 200 and "Maya" in again.text
    header = requests.get(world.tool.url + "/learn", headers={"Authorization": "Bearer " + token})
    assert header.status_code == 200


def test_a_replayed_id_token_is_refused_even_in_the_same_browser(world):
    s = requests.Session()
    form_page = client.open_launch_form(s, world.lms.url, user_id="user-maya")
    first = client.submit_form(s, form_page, form_id="lti-launch-form")
    assert first.status_code == 200
    fields = client.parse_forms(form_page.text, form_page.url)[0].fields
    # Put the state cookie back, as an attacker replaying the whole request would.
    import hashlib

    digest = hashlib.sha256(fields["state"].encode()).hexdigest()[:32]
    s.cookies.set("lti_state_" + digest, "1", path="/lti/")
    replay = s.post(world.tool.url + "/lti/launch", data=fields, allow_redirects=False)
    assert replay.status_code == 400
    assert "already used" in replay.text


def test_the_platform_key_set_is_cached_not_fetched_per_launch(world):
    for user in ("user-maya", "user-luca", "user-giovanni"):
        assert client.launch(requests.Session(), world.lms.url, user_id=user).status_code == 200
    assert world.lms.lms.request_count("jwks") == 1


def test_platform_key_rotation_is_picked_up_without_a_failed_launch(world):
    assert client.launch(requests.Session(), world.lms.url, user_id="user-maya").ok
    world.lms.lms.keys.rotate()  # the platform signs with a key the tool has never seen
    resp = client.launch(requests.Session(), world.lms.url, user_id="user-maya")
    assert resp.status_code == 200, resp.text[:300]
    assert world.lms.lms.request_count("jwks") == 2


def test_tool_key_rotation_publishes_the_next_key_before_it_signs(world):
    before = {k["kid"] for k in requests.get(world.tool.url + "/lti/jwks").json()["keys"]}
    with world.app.app_context():
        store = world.app.extensions["lti_tool.keys"]
        store.rotate("lti", None)
        db.session.commit()
        store.forget_memo()
        signing = store.current("lti").kid
    # A platform that cached our key set before the rotation already knows the new key.
    assert signing in before
    assert client.launch(requests.Session(), world.lms.url, user_id="user-maya").ok


def test_launch_claims_with_withheld_name_and_email_still_work(world):
    s = requests.Session()
    state, nonce, _ = world.login(s, login_hint="user-x")
    token = world.id_token(nonce, sub="user-x", name=None, email=None)
    resp = world.post_launch(s, token, state)
    assert resp.status_code == 303
    with world.app.app_context():
        user = db.session.scalar(select(User).where(User.sub == "user-x"))
        assert user.name is None and user.email is None


def test_teaching_assistants_are_instructors(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    ta = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    resp = world.post_launch(s, world.id_token(nonce, claim_roles=[ta]), state)
    assert resp.headers["Location"].startswith("/program")


def test_clock_skew_within_60_seconds_is_accepted(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    ahead = int(time.time()) + 45
    resp = world.post_launch(s, world.id_token(nonce, iat=ahead, nbf=ahead), state)
    assert resp.status_code == 303


# -- refused launches: each a 4xx page in plain language, never a 500 ------------------------

def refused(resp, status, phrase):
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    assert phrase in resp.text
    assert "Traceback" not in resp.text


def test_bad_signature(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = world.id_token(nonce, key=other)
    refused(world.post_launch(s, token, state), 400, "could not be verified")


def test_tampered_claims(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    header, body, sig = world.id_token(nonce).split(".")
    claims = jwt.decode(world.id_token(nonce), options={"verify_signature": False})
    claims["https://purl.imsglobal.org/spec/lti/claim/roles"] = [INSTRUCTOR]
    forged_body = jwt.utils.base64url_encode(jwt.api_jwt.json.dumps(claims).encode()).decode()
    refused(world.post_launch(s, f"{header}.{forged_body}.{sig}", state), 400,
            "could not be verified")


def test_expired(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    old = int(time.time()) - 3600
    refused(world.post_launch(s, world.id_token(nonce, iat=old, exp=old + 300), state), 400,
            "has expired")


def test_unsigned_tokens_are_refused(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    claims = jwt.decode(world.id_token(nonce), options={"verify_signature": False})
    none_token = jwt.encode(claims, None, algorithm="none")
    refused(world.post_launch(s, none_token, state), 400, "could not be verified")


def test_wrong_audience(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    refused(world.post_launch(s, world.id_token(nonce, aud="someone-else"), state), 400,
            "not registered")


def test_several_audiences_need_a_matching_azp(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    token = world.id_token(nonce, aud=["demo-client", "other"], azp="other")
    refused(world.post_launch(s, token, state), 400, "meant for another tool")
    state, nonce, _ = world.login(s)
    ok = world.id_token(nonce, aud=["other", "demo-client"], azp="demo-client")
    assert world.post_launch(s, ok, state).status_code == 303


def test_unknown_issuer_at_login(world):
    _, _, resp = world.login(requests.Session(), iss="https://unknown.example.org")
    refused(resp, 400, "not registered with the tool")


def test_unknown_client_at_launch(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    refused(world.post_launch(s, world.id_token(nonce, aud="not-our-client"), state), 400,
            "not registered")


def test_login_target_on_another_host_is_refused(world):
    _, _, resp = world.login(requests.Session(), target_link_uri="https://evil.example.org/x")
    refused(resp, 400, "different website")


def test_unknown_deployment_is_recorded_and_can_be_activated(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    token = world.id_token(nonce, claim_deployment_id="new-deployment")
    refused(world.post_launch(s, token, state), 403, "not activated yet")
    with world.app.app_context():
        dep = db.session.scalar(select(Deployment).where(
            Deployment.deployment_id == "new-deployment"))
        assert dep is not None and dep.active is False
        dep_pk = dep.id
    admin = requests.Session()
    admin.post(world.tool.url + "/admin/login", data={"token": "admin-token-for-tests-0123456789"})
    page = admin.get(world.tool.url + "/admin/")
    assert "new-deployment" in page.text and "not activated yet" in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    done = admin.post(world.tool.url + f"/admin/deployments/{dep_pk}",
                      data={"active": "1", "csrf_token": csrf})
    assert done.status_code == 200
    state, nonce, _ = world.login(s)
    token = world.id_token(nonce, claim_deployment_id="new-deployment")
    assert world.post_launch(s, token, state).status_code == 303


def test_missing_state(world):
    s = requests.Session()
    _, nonce, _ = world.login(s)
    refused(world.post_launch(s, world.id_token(nonce), ""), 400, "could not match")


def test_a_state_from_another_browser_is_refused(world):
    attacker = requests.Session()
    state, nonce, _ = world.login(attacker)
    victim = requests.Session()
    resp = world.post_launch(victim, world.id_token(nonce), state)
    refused(resp, 401, "open the tool in a new window")
    # Nothing was consumed: the browser that started the login can still finish it.
    assert world.post_launch(attacker, world.id_token(nonce), state).status_code == 303


def test_nonce_must_be_the_one_issued_with_the_state(world):
    s = requests.Session()
    state, _, _ = world.login(s)
    refused(world.post_launch(s, world.id_token("another-nonce"), state), 400, "already used")


def test_malformed_jwt(world):
    s = requests.Session()
    state, _, _ = world.login(s)
    refused(world.post_launch(s, "not-a-jwt", state), 400, "could not be read")
    refused(world.post_launch(s, "a.b.c", state), 400, "could not be read")


def test_missing_required_claims(world):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    refused(world.post_launch(s, world.id_token(nonce, claim_resource_link=None), state), 400,
            "does not understand")


def test_oversized_body(world):
    s = requests.Session()
    resp = s.post(world.tool.url + "/lti/launch", data={"id_token": "x" * (3 * 1024 * 1024),
                                                        "state": "s"})
    assert resp.status_code == 413
    assert "too large" in resp.text


def test_refusals_are_logged_with_issuer_client_and_deployment(world, caplog):
    s = requests.Session()
    state, nonce, _ = world.login(s)
    with caplog.at_level("WARNING", logger="lti_tool.lti"):
        world.post_launch(s, world.id_token(nonce, claim_deployment_id="dep-x"), state)
    line = next(r.getMessage() for r in caplog.records if "lti refused" in r.getMessage())
    assert world.issuer in line and "demo-client" in line and "dep-x" in line


# -- no third-party cookies ---------------------------------------------------------------------

def test_platform_storage_replaces_the_state_cookie(world):
    s = requests.Session()
    state, nonce, resp = world.login(s, lti_storage_target="_parent")
    assert resp.status_code == 200  # an HTML page that stores the nonce in the platform frame
    assert 'data-mode="put"' in resp.text
    state, nonce = _storage_login(resp)
    cookieless = requests.Session()
    token = world.id_token(nonce)
    page = world.post_launch(cookieless, token, state)
    assert page.status_code == 200 and 'data-mode="get"' in page.text
    origin = {"Origin": world.tool.url}
    wrong = cookieless.post(world.tool.url + "/lti/launch", headers=origin, allow_redirects=False,
                            data={"id_token": token, "state": state, "lti_storage_nonce": "x"})
    refused(wrong, 400, "could not match")
    state, nonce, resp = world.login(s, lti_storage_target="_parent")
    state, nonce = _storage_login(resp)
    ok = cookieless.post(world.tool.url + "/lti/launch", headers=origin, allow_redirects=False,
                         data={"id_token": world.id_token(nonce), "state": state,
                               "lti_storage_nonce": nonce})
    assert ok.status_code == 303


def _storage_login(resp):
    """The state and nonce a platform-storage login page hands to its script."""
    import html
    from urllib.parse import parse_qs, urlsplit

    next_url = html.unescape(resp.text.split('data-next="')[1].split('"')[0])
    query = parse_qs(urlsplit(next_url).query)
    assert query["nonce"][0] == html.unescape(resp.text.split('data-value="')[1].split('"')[0])
    return query["state"][0], query["nonce"][0]


def test_cookie_set_over_https_is_partitioned(make_app):
    app = make_app("https://tool.example.org")
    from lti_tool.lti.services import register_platform as reg

    with app.app_context():
        reg(issuer="https://lms.example.org", client_id="c", auth_login_url="https://lms/auth",
            auth_token_url="https://lms/token", key_set_url="https://lms/jwks",
            deployment_ids=["d"])
        db.session.commit()
    resp = app.test_client().get("/lti/login", query_string={
        "iss": "https://lms.example.org", "login_hint": "u", "client_id": "c",
        "target_link_uri": "https://tool.example.org/lti/launch"})
    cookie = resp.headers["Set-Cookie"]
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie


def test_dynamic_registration_end_to_end(make_app):
    from demo_lms.config import PlatformConfig
    from demo_lms.server import start_platform_server
    from tests.conftest import serve

    tool, app = serve(lambda url: make_app(url))
    lms = start_platform_server(PlatformConfig(tool_url=tool.url, client_id=None))
    try:
        page = requests.get(lms.lms.dynamic_registration_url())
        assert page.status_code == 200, page.text[:500]
        assert "registered" in page.text and "lti-close.js" in page.text
        resp = client.launch(requests.Session(), lms.url, user_id="user-maya")
        assert resp.status_code == 200, resp.text[:500]
        assert urlpath(resp.url) == "/learn"
    finally:
        lms.shutdown()
        tool.stop()


def urlpath(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def test_an_identical_relaunch_writes_nothing_but_a_changed_claim_does(world):
    from sqlalchemy import event

    def launch_counting_writes(name):
        s = requests.Session()
        state, nonce, _ = world.login(s)
        writes = []
        with world.app.app_context():
            engine = db.engine

        def count(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("INSERT") and "key_set" not in statement:
                writes.append(statement.split("(")[0])

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert world.post_launch(s, world.id_token(nonce, name=name), state).status_code == 303
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return writes

    assert len(launch_counting_writes("Maya Okafor")) == 5  # nonce + 4 upserts
    assert len(launch_counting_writes("Maya Okafor")) == 1  # only the nonce
    assert len(launch_counting_writes("Maya O.")) == 5
    with world.app.app_context():
        assert db.session.scalar(select(User.name).where(User.sub == "user-maya")) == "Maya O."


def test_registration_over_https_refuses_a_plain_http_configuration(make_app):
    app = make_app("https://tool.example.org")
    resp = app.test_client().get("/lti/register", query_string={
        "openid_configuration": "http://169.254.169.254/latest", "registration_token": "t"})
    assert resp.status_code == 400
    assert "https URL" in resp.get_data(as_text=True)
