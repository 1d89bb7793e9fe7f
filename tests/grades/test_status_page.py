"""The instructor's view of line items and delivery per learner, with the retry button."""

from __future__ import annotations

import requests

from demo_lms import client

SLUG = "d1-search-and-check-sources"


def instructor(gw):
    s = requests.Session()
    home = client.launch(s, gw.lms.url, user_id="user-irene")
    token = home.url.split("ltik=")[1]
    return s, token, home


def csrf_of(page):
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def test_line_items_and_delivery_status_with_retry(gw):
    link = gw.add_module_link(SLUG, title="D1 Search and check sources")
    for learner in ("user-maya", "user-luca", "user-beatriz"):
        gw.launch_as(learner, link.id)
    gw.complete("user-maya", SLUG, score=1.0)
    gw.run_worker()  # Maya's score is sent
    gw.lms.lms.faults.error("scores", status=500, times=1)
    gw.complete("user-luca", SLUG, score=0.5)
    gw.run_worker(backoff_base=300, backoff_max=600)  # Luca's waits for a later retry
    gw.lms.lms.faults.error("scores", status=404, times=1)
    gw.complete("user-beatriz", SLUG, score=0.0)
    gw.run_worker()  # Beatriz's is refused and parked
    s, token, home = instructor(gw)
    assert "Grades to the course gradebook" in home.text and "not accepted: 1" in home.text
    page = s.get(gw.tool.url + "/grades/", params={"ltik": token})
    assert page.status_code == 200
    text = page.text
    assert "D1 Search and check sources" in text and gw.line_item_of(link) in text
    assert "Maya Okafor" in text and "sent" in text
    assert "Luca Ferri" in text and "waiting" in text and "HTTP 500" in text
    assert "Beatriz Santos" in text and "not accepted" in text and "HTTP 404" in text
    assert text.count("Send again") == 1
    form = [f for f in client.parse_forms(text, page.url) if "/retry" in f.action
            and "retry-failed" not in f.action][0]
    done = s.post(form.action, data=form.fields)
    assert done.status_code == 200 and "Queued again" in done.text
    gw.make_due()
    gw.run_worker()
    assert {r.user_sub: r.status for r in gw.rows()} == {
        "user-maya": "sent", "user-luca": "sent", "user-beatriz": "sent"}
    assert len(gw.scores()) == 3


def test_retry_all_failed(gw):
    link = gw.add_module_link(SLUG)
    for learner in ("user-maya", "user-luca"):
        gw.launch_as(learner, link.id)
        gw.complete(learner, SLUG)
    gw.lms.lms.faults.error("scores", status=400, times=2)
    gw.run_worker()
    s, token, _ = instructor(gw)
    page = s.get(gw.tool.url + "/grades/", params={"ltik": token})
    done = s.post(gw.tool.url + "/grades/retry-failed",
                  data={"ltik": token, "csrf_token": csrf_of(page)})
    assert done.status_code == 200
    assert {r.status for r in gw.rows()} == {"pending"}
    gw.run_worker()
    assert len(gw.scores()) == 2


def test_learners_and_other_courses_cannot_see_or_retry(gw, make_app):
    link = gw.add_module_link(SLUG)
    gw.launch_as("user-maya", link.id)
    gw.complete("user-maya", SLUG)
    gw.lms.lms.faults.error("scores", status=400, times=1)
    gw.run_worker()
    row_id = gw.rows()[0].id
    maya = client.launch(requests.Session(), gw.lms.url, user_id="user-maya", link_id="rl-1")
    learner_token = maya.url.split("ltik=")[1]
    assert requests.get(gw.tool.url + "/grades/",
                        params={"ltik": learner_token}).status_code == 403
    from tests import factories

    other = factories.course(gw.app, issuer="https://other.example.org", context_id="x")
    stranger = factories.person(gw.app, other, role="instructor")
    resp = requests.post(gw.tool.url + f"/grades/{row_id}/retry",
                         data=stranger.form(), params=stranger.q())
    assert resp.status_code == 404
    assert gw.rows()[0].status == "failed"


def test_a_course_without_grades_says_so(make_world):
    from demo_lms.config import SCOPE_NRPS

    gw = make_world({"tool_scopes": (SCOPE_NRPS,)})
    s, token, _ = instructor(gw)
    page = s.get(gw.tool.url + "/grades/", params={"ltik": token})
    assert page.status_code == 200
    assert "does not offer grades to the tool" in page.text
