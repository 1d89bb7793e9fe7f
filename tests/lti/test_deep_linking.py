"""Deep Linking against the demo LMS: the picker, the signed response, the links it creates,
a learner launching one and the grade reaching the gradebook; and every malformed request."""

from __future__ import annotations

import jwt
import pytest
import requests
from sqlalchemy import select

from demo_lms import client
from lti_tool import events
from lti_tool.db import db, utcnow
from lti_tool.grades.worker import Worker, WorkerOptions
from lti_tool.lti.advantage_models import DeepLinkRequest
from lti_tool.lti.models import Context, ResourceLink, User

from .conftest import INSTRUCTOR, LEARNER

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
SETTINGS = DL + "deep_linking_settings"
TWO = ("d1-search-and-check-sources", "m1-active-listening")


def picker_form(page: requests.Response) -> client.HtmlForm:
    forms = [f for f in client.parse_forms(page.text, page.url) if f.method == "POST"]
    assert forms, page.text[:500]
    return forms[0]


def choose(session: requests.Session, page: requests.Response, slugs: tuple[str, ...],
           **extra: str) -> requests.Response:
    form = picker_form(page)
    data = [(k, v) for k, v in form.fields.items() if k != "module"]
    data += [("module", s) for s in slugs] + list(extra.items())
    return session.post(form.action, data=data)


def response_claims(page: requests.Response) -> dict:
    token = client.parse_forms(page.text, page.url)[0].fields["JWT"]
    return jwt.decode(token, options={"verify_signature": False}), jwt.get_unverified_header(
        token)


def test_deep_link_pick_return_launch_complete_grade(world):
    s = requests.Session()
    page = client.start_deep_link(s, world.lms.url)
    assert page.status_code == 200 and "/assignments/pick/" in page.url, page.text[:300]
    assert 'type="checkbox"' in page.text  # the demo LMS accepts several items
    answer = choose(s, page, TWO)
    assert answer.status_code == 200
    claims, header = response_claims(answer)
    with world.app.app_context():
        kid = world.app.extensions["lti_tool.keys"].current("lti").kid
    assert header["kid"] == kid
    assert claims["iss"] == "demo-client" and claims["aud"] == [world.lms.url]
    assert claims[DL + "msg"]
    items = claims[DL + "content_items"]
    assert [i["custom"]["module"] for i in items] == list(TWO)
    for item in items:
        assert item["type"] == "ltiResourceLink"
        assert item["url"] == world.tool.url + "/lti/launch"  # Moodle: the registered URL
        assert item["lineItem"]["scoreMaximum"] == 100
        assert item["lineItem"]["resourceId"] == item["custom"]["module"]
        assert item["lineItem"]["tag"] == "reverse-mentoring" and item["lineItem"]["label"]
    done = client.submit_form(s, answer)  # the auto-submitting form, as a browser would
    assert done.status_code == 200, done.text[:500]
    lms = world.lms.lms
    [returned] = lms.deep_link_returns
    links = [lms.links[i] for i in returned.created_link_ids]
    assert [link.custom["module"] for link in links] == list(TWO)
    assert all(lms.line_items[link.line_item_id].resource_id == link.custom["module"]
               for link in links)
    with world.app.app_context():  # the request was used up
        assert db.session.scalar(select(DeepLinkRequest)) is None

    learner = requests.Session()
    landed = client.launch(learner, world.lms.url, user_id="user-maya", link_id=links[0].id)
    assert landed.status_code == 200
    assert f"/modules/{TWO[0]}" in landed.url  # straight to the module
    with world.app.app_context():
        link_row = db.session.scalar(select(ResourceLink).where(
            ResourceLink.resource_link_id == links[0].id))
        assert link_row.module_slug == TWO[0]
        assert link_row.lineitem_url == lms.lineitem_url(links[0].line_item_id)
        user = db.session.scalar(select(User.id).where(User.sub == "user-maya"))
        course = db.session.scalar(select(Context.id))
    with world.app.app_context():
        events.module_completed.send("tests", user_id=user, context_id=course,
                                     module_slug=TWO[0], content_version=1, score=1.0,
                                     passed=True, completed_at=utcnow())
        db.session.commit()
        shared = world.app.extensions["lti_tool.advantage"]
        stats = Worker(shared, WorkerOptions(once=True)).run()
    assert stats.sent == 1
    [score] = lms.scores_for(user_id="user-maya")
    assert score.line_item_id == links[0].line_item_id and score.body["scoreGiven"] == 100


def test_the_picker_filters_by_track_audience_and_language(world):
    s = requests.Session()
    page = client.start_deep_link(s, world.lms.url)
    library = world.app.extensions["lti_tool.modules"]
    everything = page.text.count('name="module"')
    assert everything == len(library)
    digital = s.get(page.url, params={"track": "digital-skills"})
    assert digital.text.count('name="module"') == len(library.filter(track="digital-skills"))
    mentees = s.get(page.url, params={"audience": "mentee", "language": "it"})
    assert mentees.text.count('name="module"') == len(library.filter(audience="mentee",
                                                                     language="it"))
    assert 0 < len(library.filter(audience="mentee")) < everything


def test_cancel_returns_no_items(world):
    s = requests.Session()
    page = client.start_deep_link(s, world.lms.url)
    answer = choose(s, page, (), cancel="1")
    claims, _ = response_claims(answer)
    assert claims[DL + "content_items"] == []
    assert client.submit_form(s, answer).status_code == 200
    assert world.lms.lms.deep_link_returns[0].created_link_ids == ()


def test_nothing_chosen_asks_again(world):
    s = requests.Session()
    page = client.start_deep_link(s, world.lms.url)
    again = choose(s, page, ())
    assert again.status_code == 422 and "at least one module" in again.text


def test_the_picker_is_single_use_and_bound_to_the_launch(world):
    s = requests.Session()
    page = client.start_deep_link(s, world.lms.url)
    other = requests.Session()
    stranger = client.start_deep_link(other, world.lms.url)  # the same instructor, again
    token = stranger.url.split("ltik=")[1]
    foreign = other.get(page.url.split("?")[0], params={"ltik": token})
    assert foreign.status_code == 404 and "expired" in foreign.text
    assert choose(s, page, TWO[:1]).status_code == 200
    replay = choose(s, page, TWO[:1])
    assert replay.status_code == 404


# -- requests crafted by hand (settings a real platform may send) -----------------------------

def dl_token(world, nonce, settings=None, drop_settings=False, roles=None, **claims):
    base = {"deep_link_return_url": world.lms.lms.deep_link_return_url,
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True, "data": "opaque-123"}
    base.update(settings or {})
    extra = {SETTINGS: None if drop_settings else base}
    return world.id_token(nonce, claim_message_type="LtiDeepLinkingRequest",
                          claim_resource_link=None, claim_roles=roles or [INSTRUCTOR],
                          sub="user-irene", **extra, **claims)


def dl_launch(world, s=None, **kwargs):
    s = s or requests.Session()
    state, nonce, _ = world.login(s, login_hint="user-irene")
    return s, world.post_launch(s, dl_token(world, nonce, **kwargs), state)


def test_one_module_only_when_the_platform_accepts_one_item(world):
    s, resp = dl_launch(world, settings={"accept_multiple": False})
    assert resp.status_code == 303
    page = s.get(world.tool.url + resp.headers["Location"])
    assert 'type="radio"' in page.text and 'type="checkbox"' not in page.text
    two = choose(s, page, TWO)
    assert two.status_code == 422 and "one module" in two.text
    one = choose(s, page, TWO[:1])
    claims, _ = response_claims(one)
    assert len(claims[DL + "content_items"]) == 1
    assert claims[DL + "data"] == "opaque-123"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == "demo-deployment"


def test_no_line_item_when_the_platform_says_it_ignores_them(world):
    s, resp = dl_launch(world, settings={"accept_lineitem": False, "data": None})
    page = s.get(world.tool.url + resp.headers["Location"])
    claims, _ = response_claims(choose(s, page, TWO[:1]))
    [item] = claims[DL + "content_items"]
    assert "lineItem" not in item and item["custom"] == {"module": TWO[0]}
    assert DL + "data" not in claims  # absent in the request, absent in the answer


@pytest.mark.parametrize("placement", ["assignment_selection", "link_selection"])
def test_canvas_placements_use_the_same_picker(world, placement):
    s, resp = dl_launch(world, **{"https://www.instructure.com/placement": placement})
    assert resp.status_code == 303 and "/assignments/pick/" in resp.headers["Location"]
    with world.app.app_context():
        assert db.session.scalar(select(DeepLinkRequest.placement)) == placement


def refused(resp, status, phrase):
    assert resp.status_code == status, (resp.status_code, resp.text[:400])
    assert phrase in resp.text and "Traceback" not in resp.text


def test_missing_deep_linking_settings_are_refused_clearly(world):
    _, resp = dl_launch(world, drop_settings=True)
    refused(resp, 400, "does not understand")


def test_a_missing_return_url_is_refused_clearly(world):
    _, resp = dl_launch(world, settings={"deep_link_return_url": None})
    refused(resp, 400, "did not say where to send the chosen modules back")
    _, resp = dl_launch(world, settings={"deep_link_return_url": "javascript:alert(1)"})
    refused(resp, 400, "did not say where to send")


def test_accept_types_without_resource_links_are_refused(world):
    _, resp = dl_launch(world, settings={"accept_types": ["file", "html"]})
    refused(resp, 400, "does not understand")


def test_learners_cannot_open_the_picker(world):
    _, resp = dl_launch(world, roles=[LEARNER])
    refused(resp, 403, "Only instructors")
