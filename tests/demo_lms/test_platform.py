"""The demo LMS's own strict checks (it must refuse what lti1p3platform would accept)."""

from __future__ import annotations

import html
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from flask import Flask, redirect, request
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from demo_lms import PlatformConfig, start_platform_server
from demo_lms.client import launch as browser_launch
from demo_lms.config import (
    MEDIA_LINEITEM,
    MEDIA_LINEITEM_CONTAINER,
    MEDIA_MEMBERSHIP_CONTAINER,
    MEDIA_SCORE,
    ROLE_INSTRUCTOR,
    ROLE_LEARNER,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_SCORE,
)
from demo_lms.state import DemoLMS

C = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
TOOL_CONF = "https://purl.imsglobal.org/spec/lti-tool-configuration"


def service_path(url: str) -> str:
    """Path + query of a service URL handed out by the platform (for the test client)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def scores_path(lineitem_url: str) -> str:
    path, _, query = service_path(lineitem_url).partition("?")
    return f"{path}/scores?{query}"


def page_text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def stamp(offset_s: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat()


def graded_link(lms: DemoLMS) -> tuple[str, str]:
    link = lms.create_resource_link("Module 1", line_item={
        "scoreMaximum": 100, "label": "Module 1 quiz", "resourceId": "mm-1", "tag": "quiz"})
    assert link.line_item_id
    return link.id, lms.lineitem_url(link.line_item_id)


# ----------------------------------------------------------------------------- home page


def test_home_page_is_accessible_and_lists_the_course(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<html lang="en">', html)
    assert "Reverse Mentoring Pilot" in html
    assert ">Launch as Irene Instructor</button>" in html
    assert ">Add an activity (Deep Linking)</button>" in html
    assert ">Register the tool (Dynamic Registration)</button>" in html
    assert html.count(">Launch as ") == 7
    # every select has a visible label pointing at it
    select_ids = re.findall(r'<select id="([^"]+)"', html)
    assert select_ids
    for select_id in select_ids:
        assert f'<label for="{select_id}">' in html
    assert ":focus-visible" in html and "font-size: 112.5%" in html


# ----------------------------------------------------------------------------- OIDC + launch


def test_login_initiation_sends_the_tool_everything(tool: Any, lms: DemoLMS) -> None:
    login = tool.login_params(user="user-maya", locale="pt")
    assert login["iss"] == lms.issuer
    assert login["login_hint"] == "user-maya"
    assert login["target_link_uri"] == tool.launch_url
    assert login["client_id"] == "demo-client"
    assert login["lti_deployment_id"] == "demo-deployment"
    assert login["lti_message_hint"]


def test_learner_launch_claims(tool: Any, lms: DemoLMS) -> None:
    _, lineitem_url = graded_link(lms)
    link_id = next(link.id for link in lms.links.values() if link.line_item_id)
    claims = tool.launch_claims(user="user-maya", link=link_id, locale="it")
    assert claims["sub"] == "user-maya"
    assert claims[C + "message_type"] == "LtiResourceLinkRequest"
    assert claims[C + "version"] == "1.3.0"
    assert claims[C + "deployment_id"] == "demo-deployment"
    assert claims[C + "roles"] == [ROLE_LEARNER]
    assert claims[C + "custom"]["program_role"] == "mentor"
    assert claims[C + "launch_presentation"]["locale"] == "it"
    assert claims[C + "launch_presentation"]["return_url"].startswith(lms.issuer + "/return?")
    assert claims[C + "resource_link"]["id"] == link_id
    assert claims[C + "context"]["id"] == lms.config.context_id
    assert claims[C + "context"]["title"] == "Reverse Mentoring Pilot"
    assert claims[C + "tool_platform"]["product_family_code"] == "demo_lms"
    assert claims["name"] == "Maya Okafor" and claims["email"] == "maya.okafor@example.org"
    assert claims[AGS]["lineitems"].endswith("/lineitems?type_id=1")
    assert claims[AGS]["lineitem"] == lineitem_url and lineitem_url.endswith("?type_id=1")
    assert SCOPE_SCORE in claims[AGS]["scope"]
    assert claims[NRPS]["context_memberships_url"].endswith("/memberships?type_id=1")


def test_instructor_and_withheld_pii(tool: Any) -> None:
    claims = tool.launch_claims(user="user-irene")
    assert claims[C + "roles"] == [ROLE_INSTRUCTOR]
    assert "program_role" not in claims.get(C + "custom", {})
    hidden = tool.launch_claims(user="user-antonio")
    assert hidden[C + "custom"]["program_role"] == "mentee"
    for claim in ("name", "given_name", "family_name", "email"):
        assert claim not in hidden


def test_custom_parameter_substitution(tool: Any, lms: DemoLMS) -> None:
    link = lms.create_resource_link("Pairing", custom={
        "ctx": "$Context.id", "who": "$User.id", "unknown": "$Canvas.user.id", "plain": "x"})
    claims = tool.launch_claims(user="user-luca", link=link.id)
    assert claims[C + "custom"] == {"ctx": lms.config.context_id, "who": "user-luca",
                                    "unknown": "$Canvas.user.id", "plain": "x",
                                    "program_role": "mentor"}


@pytest.mark.parametrize(("override", "message"), [
    ({"response_type": "code"}, "response_type must be"),
    ({"scope": "openid profile"}, "scope must be"),
    ({"response_mode": "query"}, "response_mode must be"),
    ({"prompt": "login"}, "prompt must be"),
    ({"prompt": None}, "prompt must be"),
    ({"client_id": "someone-else"}, "is not registered"),
    ({"redirect_uri": "http://127.0.0.1:5000/lti/launch/"}, "not one of the registered"),
    ({"redirect_uri": "https://evil.example/steal"}, "not one of the registered"),
    ({"login_hint": "user-luca"}, "login_hint does not match"),
    ({"lti_message_hint": "forged"}, "lti_message_hint is missing, unknown"),
    ({"nonce": None}, "nonce is required"),
    ({"state": None}, "state is required"),
])
def test_auth_refuses_bad_requests(tool: Any, client: FlaskClient, lms: DemoLMS,
                                   override: dict[str, str | None], message: str) -> None:
    params = tool.auth_params(tool.login_params(), **override)
    response = client.get("/auth", query_string=params)
    assert response.status_code == 400
    assert message in page_text(response)
    assert len(lms.launches) == 0


def test_auth_post_and_single_use_hint_and_nonce(tool: Any, client: FlaskClient) -> None:
    params = tool.auth_params(tool.login_params())
    assert client.post("/auth", data=params).status_code == 200
    again = client.post("/auth", data=params)
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    reused_nonce = tool.auth_params(tool.login_params(), nonce=params["nonce"])
    response = client.post("/auth", data=reused_nonce)
    assert response.status_code == 400 and "nonce" in response.get_data(as_text=True)


def test_deep_linking_launch_is_instructor_only(tool: Any, client: FlaskClient) -> None:
    assert client.get("/deep_link?user=user-maya").status_code == 403
    claims = tool.launch_claims(user="user-irene", deep_link=True)
    assert claims[C + "message_type"] == "LtiDeepLinkingRequest"
    assert C + "resource_link" not in claims
    settings = claims[DL]
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_multiple"] is True
    assert settings["accept_lineitem"] is True
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["deep_link_return_url"].endswith("/deep_link_return")
    assert isinstance(settings["data"], str) and settings["data"]


# ----------------------------------------------------------------------------- deep linking


ITEM = {"type": "ltiResourceLink", "title": "Module 2: phishing", "url": "http://127.0.0.1:5000/lti/launch",
        "custom": {"module_id": "mm-2"},
        "lineItem": {"scoreMaximum": 50, "label": "Phishing quiz", "resourceId": "mm-2",
                     "tag": "quiz"}}


def test_deep_link_return_creates_link_and_line_item(tool: Any, client: FlaskClient,
                                                     lms: DemoLMS) -> None:
    data = tool.deep_link_data()
    token = tool.deep_link_response(data, [ITEM])
    response = client.post("/deep_link_return", data={"JWT": token})
    assert response.status_code == 200, response.data
    assert "Module 2: phishing" in response.get_data(as_text=True)
    link = lms.links[lms.deep_link_returns[-1].created_link_ids[0]]
    assert link.custom == {"module_id": "mm-2"}
    item = lms.line_items[link.line_item_id]  # type: ignore[index]
    assert (item.score_maximum, item.label, item.resource_id, item.tag, item.resource_link_id) \
        == (50, "Phishing quiz", "mm-2", "quiz", link.id)
    # The same response again (replay) and a fresh response to the answered request: refused.
    assert client.post("/deep_link_return", data={"JWT": token}).status_code == 400
    again = tool.deep_link_response(data, [ITEM])
    assert client.post("/deep_link_return", data={"JWT": again}).status_code == 400
    # Later launches of the new link carry its line item.
    claims = tool.launch_claims(user="user-giovanni", link=link.id)
    assert claims[AGS]["lineitem"] == lms.lineitem_url(item.id)
    assert claims[C + "custom"] == {"module_id": "mm-2", "program_role": "mentee"}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"aud": ["https://other-lms.example"]}, "aud must be the platform issuer"),
    ({"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "other"}, "deployment_id"),
    ({"nonce": None}, "nonce is required"),
    ({"https://purl.imsglobal.org/spec/lti-dl/claim/data": "not-ours"}, "data must echo"),
    ({"https://purl.imsglobal.org/spec/lti-dl/claim/data": None}, "data must echo"),
    ({"iss": "someone-else"}, "is not the client_id of a registered tool"),
    ({"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest"},
     "isn't a Deep Linking Response"),
    ({"exp": int(time.time()) - 10}, "expired"),
])
def test_deep_link_return_refusals(tool: Any, client: FlaskClient, lms: DemoLMS,
                                   overrides: dict[str, Any], message: str) -> None:
    data = tool.deep_link_data()
    response = client.post("/deep_link_return",
                           data={"JWT": tool.deep_link_response(data, [ITEM], **overrides)})
    assert response.status_code == 400
    assert message in page_text(response)
    assert len(lms.links) == 1


@pytest.mark.parametrize(("item", "message"), [
    ({**ITEM, "url": "https://evil.example/launch"}, "on the tool's domain"),
    ({**ITEM, "lineItem": {"label": "x"}}, "scoreMaximum must be a number > 0"),
    ({**ITEM, "custom": {"n": 1}}, "custom must map strings to strings"),
    ({"type": "html", "html": "<p>hi</p>"}, "Content item type is not supported"),
])
def test_deep_link_return_refuses_bad_items(tool: Any, client: FlaskClient,
                                            item: dict[str, Any], message: str) -> None:
    token = tool.deep_link_response(tool.deep_link_data(), [item])
    response = client.post("/deep_link_return", data={"JWT": token})
    assert response.status_code == 400
    assert message in page_text(response)


def test_deep_link_return_refuses_a_forged_signature(tool: Any, client: FlaskClient,
                                                     other_tool_key: Any) -> None:
    token = tool.deep_link_response(tool.deep_link_data(), [ITEM], key=other_tool_key)
    response = client.post("/deep_link_return", data={"JWT": token})
    assert response.status_code == 400
    assert "Signature verification failed" in response.get_data(as_text=True)


# ----------------------------------------------------------------------------- token endpoint


def test_token_grant_and_replay(tool: Any, client: FlaskClient, lms: DemoLMS) -> None:
    form = tool.token_form(tool.client_assertion(), [SCOPE_SCORE, SCOPE_NRPS, "bogus"])
    response = client.post("/token", data=form)
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == f"{SCOPE_SCORE} {SCOPE_NRPS}"
    header = jwt.get_unverified_header(body["access_token"])
    assert header["kid"] == lms.keys.active_kid
    replay = client.post("/token", data=form)
    assert replay.status_code == 401
    assert "already used" in replay.json["error_description"]
    assert len(lms.token_grants) == 1


@pytest.mark.parametrize(("overrides", "status", "message"), [
    ({"sub": "someone-else"}, 401, "iss and sub must both be the client_id"),
    ({"aud": "http://localhost/token/"}, 401, "aud must be the token endpoint"),
    ({"aud": "http://localhost"}, 200, ""),  # the issuer is accepted as audience too
    ({"aud": ["http://localhost/token"]}, 200, ""),
    ({"jti": None}, 401, "jti is required"),
    ({"exp": int(time.time()) - 30}, 401, "expired"),
    ({"iss": "unknown-client"}, 401, "not a registered client_id"),
])
def test_token_assertion_checks(tool: Any, client: FlaskClient, overrides: dict[str, Any],
                                status: int, message: str) -> None:
    response = client.post("/token", data=tool.token_form(tool.client_assertion(**overrides)))
    assert response.status_code == status, response.json
    if message:
        assert message in response.json["error_description"]


def test_token_form_checks(tool: Any, client: FlaskClient, other_tool_key: Any) -> None:
    form = tool.token_form(tool.client_assertion())
    assert client.post("/token", data={**form, "grant_type": "password"}).json["error"] \
        == "unsupported_grant_type"
    assert client.post("/token", data={**form, "scope": "bogus"}).json["error"] \
        == "invalid_scope"
    forged = tool.token_form(other_tool_key.sign({
        "iss": "demo-client", "sub": "demo-client", "aud": "http://localhost/token",
        "exp": int(time.time()) + 60, "iat": int(time.time()), "jti": str(uuid.uuid4())}))
    assert client.post("/token", data=forged).status_code == 401


# ----------------------------------------------------------------------------- NRPS


def test_nrps_paging_with_link_header(tool: Any, client: FlaskClient, lms: DemoLMS) -> None:
    token = tool.access_token([SCOPE_NRPS])
    url: str | None = lms.memberships_url({"limit": 3})
    members: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = client.get(service_path(url), headers=bearer(token))
        assert response.status_code == 200, response.json
        assert response.mimetype == MEDIA_MEMBERSHIP_CONTAINER
        body = json.loads(response.data)
        assert "next" not in body
        assert body["context"]["id"] == lms.config.context_id
        members.extend(body["members"])
        pages += 1
        match = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
        url = match.group(1) if match else None
        if url:
            assert "type_id=1" in url and url != url.lower()  # opaque mixed-case cursor
    assert pages == 3
    assert [m["user_id"] for m in members] == list(lms.people)
    antonio = next(m for m in members if m["user_id"] == "user-antonio")
    assert "name" not in antonio and "email" not in antonio
    maya = next(m for m in members if m["user_id"] == "user-maya")
    assert maya["name"] == "Maya Okafor" and maya["roles"] == [ROLE_LEARNER]
    assert maya["status"] == "Active"


def test_nrps_refusals(tool: Any, client: FlaskClient, lms: DemoLMS) -> None:
    token = tool.access_token([SCOPE_NRPS])
    path = service_path(lms.memberships_url())
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer("garbage")).status_code == 401
    no_query = client.get(path.split("?")[0], headers=bearer(token))
    assert no_query.status_code == 400 and "type_id=1" in no_query.json["error_description"]
    wrong_scope = client.get(path, headers=bearer(tool.access_token([SCOPE_SCORE])))
    assert wrong_scope.status_code == 403
    # A client that lowercases the next URL (pylti1p3 2.0.0) gets a clear 400.
    first = client.get(service_path(lms.memberships_url({"limit": 2})), headers=bearer(token))
    next_url = first.headers["Link"][1:].split(">")[0]
    assert client.get(service_path(next_url.lower()), headers=bearer(token)).status_code == 400
    assert client.get("/nrps/other-course/memberships?type_id=1",
                      headers=bearer(token)).status_code == 404


def test_nrps_default_page_size_and_role_filter(make_app: Callable[..., Flask],
                                                tool_for: Callable[[Flask], Any]) -> None:
    tool = tool_for(make_app(nrps_default_limit=2, opaque_page_cursors=False))
    token = tool.access_token([SCOPE_NRPS])
    first = tool.client.get(service_path(tool.lms.memberships_url()), headers=bearer(token))
    assert len(first.json["members"]) == 2
    assert first.headers["Link"].endswith('page=2>; rel="next"')
    learners = tool.client.get(service_path(tool.lms.memberships_url(
        {"role": "Learner", "limit": 50})), headers=bearer(token))
    assert len(learners.json["members"]) == 6 and "Link" not in learners.headers
    rlid = tool.client.get(service_path(tool.lms.memberships_url({"rlid": "nope"})),
                           headers=bearer(token))
    assert rlid.status_code == 403


# ----------------------------------------------------------------------------- AGS


def test_scores_validation_and_timestamp_order(tool: Any, client: FlaskClient,
                                               lms: DemoLMS) -> None:
    _, lineitem_url = graded_link(lms)
    token = tool.access_token([SCOPE_SCORE])
    url = scores_path(lineitem_url)

    def post(body: dict[str, Any], media: str = MEDIA_SCORE) -> Any:
        return client.post(url, data=json.dumps(body), headers={**bearer(token),
                                                                 "Content-Type": media})

    score = {"userId": "user-giovanni", "scoreGiven": 87, "scoreMaximum": 100,
             "activityProgress": "Completed", "gradingProgress": "FullyGraded",
             "timestamp": stamp()}
    assert post(score).status_code == 200
    assert post(score).status_code == 409  # same timestamp: not strictly increasing
    assert post({**score, "timestamp": stamp(-60)}).status_code == 409
    assert post({**score, "scoreGiven": 90, "timestamp": stamp(1)}).status_code == 200
    assert post({**score, "scoreGiven": 101, "timestamp": stamp(2)}).status_code == 400
    assert post({**score, "userId": "stranger", "timestamp": stamp(3)}).status_code == 400
    assert post({**score, "timestamp": "2026-01-01T10:00:00"}).status_code == 400  # no zone
    assert post({**score, "activityProgress": "Done", "timestamp": stamp(4)}).status_code == 400
    assert post({**score, "timestamp": stamp(5)}, media="application/json").status_code == 415
    other_user = {**score, "userId": "user-margaret", "scoreGiven": 70}
    assert post(other_user).status_code == 200

    assert [s.score_given for s in lms.scores] == [87, 90, 70]
    latest = lms.results[(lms.scores[0].line_item_id, "user-giovanni")]
    assert latest.score_given == 90
    assert [r.status for r in lms.rejected_scores] == [409, 409, 400, 400, 400, 400, 415]

    readonly = client.post(url, data=json.dumps({**score, "timestamp": stamp(9)}),
                           headers={**bearer(tool.access_token([SCOPE_LINEITEM_READONLY])),
                                    "Content-Type": MEDIA_SCORE})
    assert readonly.status_code == 403
    # '/scores' appended after the query string misses the route: the tool must insert it.
    wrong = client.post(service_path(lineitem_url) + "/scores", data=json.dumps(score),
                        headers={**bearer(token), "Content-Type": MEDIA_SCORE})
    assert wrong.status_code in (400, 404, 405)

    results_path = url.replace("/scores?", "/results?")
    results = client.get(results_path, headers=bearer(tool.access_token()))
    assert results.status_code == 200
    by_user = {r["userId"]: r for r in results.json}
    assert by_user["user-giovanni"]["resultScore"] == 90
    assert by_user["user-giovanni"]["scoreOf"] == lineitem_url


def test_line_item_crud_and_filters(tool: Any, client: FlaskClient, lms: DemoLMS) -> None:
    graded_link(lms)
    token = tool.access_token()
    container = service_path(lms.lineitems_url())
    headers = {**bearer(token), "Content-Type": MEDIA_LINEITEM}
    created = client.post(container, headers=headers, data=json.dumps(
        {"label": "Reflection", "scoreMaximum": 10, "resourceId": "mm-9", "tag": "essay"}))
    assert created.status_code == 201, created.json
    item = created.json
    assert item["id"].endswith("?type_id=1")
    assert client.post(container, headers=headers,
                       data=json.dumps({"label": "No max"})).status_code == 400

    listing = client.get(container, headers=bearer(token))
    assert listing.mimetype == MEDIA_LINEITEM_CONTAINER
    assert [i["label"] for i in listing.json] == ["Module 1 quiz", "Reflection"]
    filtered = client.get(container + "&resource_id=mm-9", headers=bearer(token))
    assert [i["id"] for i in filtered.json] == [item["id"]]
    assert client.get(container + "&tag=quiz", headers=bearer(token)).json[0]["label"] \
        == "Module 1 quiz"
    paged = client.get(container + "&limit=1", headers=bearer(token))
    assert len(paged.json) == 1 and 'rel="next"' in paged.headers["Link"]

    item_path = service_path(item["id"])
    updated = client.put(item_path, headers=headers,
                         data=json.dumps({**item, "label": "Reflection v2"}))
    assert updated.status_code == 200 and updated.json["label"] == "Reflection v2"
    assert client.get(item_path, headers=bearer(token)).json["label"] == "Reflection v2"
    assert client.delete(item_path, headers=bearer(token)).status_code == 204
    assert client.get(item_path, headers=bearer(token)).status_code == 404
    readonly = bearer(tool.access_token([SCOPE_LINEITEM_READONLY]))
    assert client.post(container, headers={**readonly, "Content-Type": MEDIA_LINEITEM},
                       data=json.dumps({"label": "x", "scoreMaximum": 1})).status_code == 403


# ----------------------------------------------------------------------------- faults, keys


def test_fault_injection_and_counters(tool: Any, client: FlaskClient, lms: DemoLMS) -> None:
    lms.faults.error("token", status=500, times=1)
    form = tool.token_form(tool.client_assertion())
    assert client.post("/token", data=form).status_code == 500
    assert client.post("/token", data=form).status_code == 200  # fault used up

    _, lineitem_url = graded_link(lms)
    token = tool.access_token()
    lms.faults.down("ags")
    down = client.get(service_path(lineitem_url), headers=bearer(token))
    assert down.status_code == 503 and down.headers["Retry-After"] == "1"
    lms.faults.reset("ags")
    assert client.get(service_path(lineitem_url), headers=bearer(token)).status_code == 200

    lms.reset_counters()
    lms.faults.slow("jwks", delay_ms=80)
    started = time.perf_counter()
    assert client.get("/jwks").status_code == 200
    assert time.perf_counter() - started >= 0.08
    client.get("/jwks")
    assert lms.request_count("jwks") == 2
    assert lms.faults.hits["jwks"] == 2
    lms.faults.reset()
    with pytest.raises(ValueError):
        lms.faults.error("nope")


def test_key_rotation(tool: Any, client: FlaskClient, lms: DemoLMS) -> None:
    old_kid = lms.keys.active_kid
    old_token = tool.access_token([SCOPE_NRPS])
    new_kid = lms.keys.add()  # published first ...
    assert {k["kid"] for k in client.get("/jwks").json["keys"]} == {old_kid, new_kid}
    assert jwt.get_unverified_header(tool.access_token([SCOPE_NRPS]))["kid"] == old_kid
    lms.keys.activate(new_kid)  # ... then signs
    tool.launch_claims(user="user-maya")
    assert jwt.get_unverified_header(lms.launches[-1].id_token)["kid"] == new_kid
    members = service_path(lms.memberships_url())
    assert client.get(members, headers=bearer(old_token)).status_code == 200
    lms.keys.remove(old_kid)  # retired: tokens it signed die
    assert client.get(members, headers=bearer(old_token)).status_code == 401
    with pytest.raises(ValueError):
        lms.keys.remove(new_kid)


# ----------------------------------------------------------------------------- registration


def registration_request(tool_url: str = "http://127.0.0.1:5000", **overrides: Any
                         ) -> dict[str, Any]:
    body: dict[str, Any] = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{tool_url}/lti/login",
        "redirect_uris": [f"{tool_url}/lti/launch"],
        "client_name": "Reverse mentoring",
        "jwks_uri": f"{tool_url}/lti/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": f"{SCOPE_SCORE} {SCOPE_NRPS}",
        TOOL_CONF: {
            "domain": urlsplit(tool_url).netloc,
            "target_link_uri": f"{tool_url}/lti/launch",
            "claims": ["iss", "sub", "name", "locale"],
            "messages": [{"type": "LtiResourceLinkRequest"},
                         {"type": "LtiDeepLinkingRequest",
                          "target_link_uri": f"{tool_url}/lti/launch"}],
        },
    }
    body.update(overrides)
    return body


def test_dynamic_registration(make_app: Callable[..., Flask], tool_key: Any) -> None:
    app = make_app(client_id=None)
    client = app.test_client()
    lms = app.extensions["demo_lms"]
    assert lms.active_registration is None
    assert "No tool is registered yet" in client.get("/").get_data(as_text=True)
    assert client.get("/launch/rl-1?user=user-maya").status_code == 409

    config = client.get("/.well-known/openid-configuration").json
    assert config["registration_endpoint"] == "http://localhost/register"
    platform = config["https://purl.imsglobal.org/spec/lti-platform-configuration"]
    assert platform["product_family_code"] == "demo_lms"
    assert {m["type"] for m in platform["messages_supported"]} \
        == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}

    start = client.post("/register/start").get_data(as_text=True)
    src = re.search(r'<iframe[^>]+src="([^"]+)"', start).group(1).replace("&amp;", "&")
    query = parse_qs(urlsplit(src).query)
    assert src.startswith("http://127.0.0.1:5000/lti/register?")
    assert query["openid_configuration"] == ["http://localhost/.well-known/openid-configuration"]
    token = query["registration_token"][0]

    body = registration_request()
    assert client.post("/register", json=body).status_code == 401
    bad = client.post("/register", json={**body, "grant_types": ["implicit"],
                                         "redirect_uris": ["https://elsewhere.example/x"]},
                      headers=bearer(token))
    assert bad.status_code == 400
    assert "grant_types" in bad.json["error_description"]
    missing_dl = registration_request()
    missing_dl[TOOL_CONF]["messages"] = [{"type": "LtiResourceLinkRequest"}]
    assert "LtiDeepLinkingRequest" in client.post(
        "/register", json=missing_dl, headers=bearer(token)).json["error_description"]

    answer = client.post("/register", json=body, headers=bearer(token))
    assert answer.status_code == 200, answer.json
    client_id = answer.json["client_id"]
    deployment_id = answer.json[TOOL_CONF]["deployment_id"]
    assert answer.json["scope"] == f"{SCOPE_SCORE} {SCOPE_NRPS}"
    assert client.post("/register", json=body, headers=bearer(token)).status_code == 401

    registration = lms.active_registration
    assert (registration.client_id, registration.deployment_id) == (client_id, deployment_id)
    response = client.get("/launch/rl-1?user=user-maya")
    assert f"client_id={client_id}" in response.headers["Location"]
    hint = parse_qs(urlsplit(response.headers["Location"]).query)["lti_message_hint"][0]
    auth = client.get("/auth", query_string={
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
        "prompt": "none", "client_id": client_id, "redirect_uri": body["redirect_uris"][0],
        "login_hint": "user-maya", "lti_message_hint": hint, "nonce": "n-1", "state": "s-1"})
    assert auth.status_code == 200
    claims = lms.launches[-1].claims
    assert claims["aud"] == client_id
    assert claims["name"] == "Maya Okafor" and "email" not in claims  # only requested claims
    assert claims[AGS]["scope"] == [SCOPE_SCORE]  # only granted scopes are offered


# ----------------------------------------------------------------------------- real HTTP


def _fake_tool_app(platform_url: str) -> Flask:
    """A few lines of tool: login redirect + launch that verifies the id_token."""
    app = Flask("fake_tool")
    sessions: dict[str, str] = {}

    @app.route("/lti/login", methods=["GET", "POST"])
    def login() -> Any:
        params = request.values
        state, nonce = str(uuid.uuid4()), str(uuid.uuid4())
        sessions[state] = nonce
        query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
                 "prompt": "none", "client_id": params["client_id"],
                 "redirect_uri": f"{request.host_url}lti/launch",
                 "login_hint": params["login_hint"],
                 "lti_message_hint": params["lti_message_hint"], "state": state,
                 "nonce": nonce}
        return redirect(f"{params['iss']}/auth?{urlencode(query)}")

    @app.post("/lti/launch")
    def launch() -> Any:
        token = request.form["id_token"]
        keys = requests.get(f"{platform_url}/jwks", timeout=5).json()["keys"]
        kid = jwt.get_unverified_header(token)["kid"]
        key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid))
        claims = jwt.decode(token, key, algorithms=["RS256"], audience="demo-client")
        assert sessions.pop(request.form["state"]) == claims["nonce"]
        return {"sub": claims["sub"], "locale": claims[C + "launch_presentation"]["locale"]}

    return app


def test_server_helper_and_browser_launch(platform_key_pem: str) -> None:
    tool_server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
    tool_url = f"http://127.0.0.1:{tool_server.server_port}"
    with start_platform_server(PlatformConfig(tool_url=tool_url,
                                              private_key_pem=platform_key_pem)) as platform:
        tool_server.app = _fake_tool_app(platform.url)  # type: ignore[attr-defined]
        thread = threading.Thread(target=tool_server.serve_forever, daemon=True)
        thread.start()
        try:
            assert platform.url.startswith("http://127.0.0.1:")
            assert platform.lms.issuer == platform.url
            session = requests.Session()
            answer = browser_launch(session, platform.url, user_id="user-beatriz",
                                    locale="pt")
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"sub": "user-beatriz", "locale": "pt"}
            assert platform.lms.request_count("jwks") == 1
            assert platform.lms.request_count("auth") == 1
        finally:
            tool_server.shutdown()
            tool_server.server_close()
