"""Pair activities complete for both only when both confirm; the pair view shows statuses, never
private reflections or quiz answers; nobody outside the pair gets in."""

from __future__ import annotations

from lti_tool.db import db
from lti_tool.progress.models import PairConfirmation, StepCompletion
from tests.factories import course, person
from tests.progress.conftest import D6, D6_RIGHT, answer_quiz, make_pair, post_step, step_url, walk_d6_to_quiz

F1 = "f1-sbi-feedback"  # why, sbi (lessons), check (quiz), prepare (reflection), together


def _html(resp):
    return resp.get_data(as_text=True)


def _ready_for_pair_step(client, who):
    walk_d6_to_quiz(client, who)
    answer_quiz(client, who, D6, D6_RIGHT)


def test_a_pair_activity_completes_for_both_when_both_confirm(app, client, sent):
    ctx = course(app)
    mentor, mentee = person(app, ctx, name="Mia Mentor"), person(app, ctx, name="Sam Senior")
    pair_id = make_pair(app, ctx, mentor, mentee)
    _ready_for_pair_step(client, mentee)
    html = _html(client.get(step_url(D6, "together"), query_string=mentee.q()))
    assert "With Mia Mentor" in html and f'name="pair_id" value="{pair_id}"' in html
    assert post_step(client, mentee, D6, "together", pair_id=str(pair_id)).status_code == 303
    html = _html(client.get(step_url(D6, "together"), query_string=mentee.q()))
    assert "You confirmed; waiting for Mia Mentor" in html
    assert "together" not in [e["step_id"] for e in sent["step"]]
    # The mentor has not done the earlier steps: their confirmation is out of order.
    assert post_step(client, mentor, D6, "together", pair_id=str(pair_id)).status_code == 409
    _ready_for_pair_step(client, mentor)
    html = _html(client.get(step_url(D6, "together"), query_string=mentor.q()))
    assert "Sam Senior confirmed; your confirmation is missing" in html
    assert post_step(client, mentor, D6, "together", pair_id=str(pair_id)).status_code == 303
    done = [e["user_id"] for e in sent["step"] if e["step_id"] == "together"]
    assert sorted(done) == sorted([mentor.user_id, mentee.user_id])
    assert len(sent["module"]) == 2
    # Confirming again changes nothing.
    assert post_step(client, mentee, D6, "together", pair_id=str(pair_id)).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PairConfirmation)) == 2
    assert len(sent["module"]) == 2
    assert "Done together" in _html(client.get(step_url(D6, "together"), query_string=mentee.q()))


def test_a_pair_the_learner_is_not_in_is_refused_and_nothing_recorded(app, client):
    ctx = course(app)
    a, b, c, d = (person(app, ctx) for _ in range(4))
    theirs = make_pair(app, ctx, a, b)
    make_pair(app, ctx, c, d)
    _ready_for_pair_step(client, c)
    resp = post_step(client, c, D6, "together", pair_id=str(theirs))
    assert resp.status_code == 404 and "nothing was recorded" in _html(resp)
    assert post_step(client, c, D6, "together", pair_id="999999").status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PairConfirmation)) == 0


def test_a_proposed_pair_cannot_confirm_activities(app, client):
    ctx = course(app)
    a, b = person(app, ctx), person(app, ctx)
    proposed = make_pair(app, ctx, a, b, status="proposed")
    _ready_for_pair_step(client, a)
    assert post_step(client, a, D6, "together", pair_id=str(proposed)).status_code == 404
    # Without an active pair the page offers "on my own" instead.
    html = _html(client.get(step_url(D6, "together"), query_string=a.q()))
    assert "I did this on my own" in html


def test_a_mentor_with_two_mentees_chooses_the_partner(app, client):
    ctx = course(app)
    mentor, one, two = person(app, ctx), person(app, ctx, name="One"), person(app, ctx, name="Two")
    p1, p2 = make_pair(app, ctx, mentor, one), make_pair(app, ctx, mentor, two)
    _ready_for_pair_step(client, mentor)
    html = _html(client.get(step_url(D6, "together"), query_string=mentor.q()))
    assert "<legend>Which partner did you do this with?</legend>" in html
    assert f'id="pair-{p1}"' in html and f'id="pair-{p2}"' in html
    resp = post_step(client, mentor, D6, "together")
    assert resp.status_code == 422 and 'href="#pair-choice"' in _html(resp)
    assert post_step(client, mentor, D6, "together", pair_id=str(p2)).status_code == 303


def test_the_pair_view_shows_statuses_and_shared_reflections_only(app, client):
    ctx = course(app)
    mentor, mentee = person(app, ctx, name="Mia Mentor"), person(app, ctx, name="Sam Senior")
    pair_id = make_pair(app, ctx, mentor, mentee)
    for who, text, share in ((mentee, "PRIVATE-NOTE of the mentee", None),
                             (mentor, "SHARED-NOTE of the mentor", "1")):
        post_step(client, who, F1, "why")
        post_step(client, who, F1, "sbi")
        answer_quiz(client, who, F1, {"q1": "b", "q2": "c", "q3": "d"})
        fields = {"text": text, **({"share": share} if share else {})}
        assert post_step(client, who, F1, "prepare", **fields).status_code == 303
    post_step(client, mentee, F1, "together", pair_id=str(pair_id))
    post_step(client, mentee, D6, "before", **{"rating-4.1": "1", "rating-4.2": "1"})
    for viewer in (mentor, mentee):
        resp = client.get(f"/progress/pairs/{pair_id}", query_string=viewer.q())
        assert resp.status_code == 200
        html = _html(resp)
        assert "SHARED-NOTE of the mentor" in html
        assert "PRIVATE-NOTE" not in html
        assert "In progress: 4 of 5 steps done" in html
        assert "Passwords, a second lock" in html  # started by one partner: shown to both
        # Statuses only: no quiz answers, no option texts, no ratings.
        assert "Your answer" not in html and "I can&#39;t do this yet" not in html
    assert "Waiting for you" in _html(client.get(f"/progress/pairs/{pair_id}",
                                                 query_string=mentor.q()))
    assert "Waiting for Mia Mentor" in _html(client.get(f"/progress/pairs/{pair_id}",
                                                        query_string=mentee.q()))
    listing = _html(client.get("/progress/pairs", query_string=mentee.q()))
    assert f"/progress/pairs/{pair_id}?ltik=" in listing and "With Mia Mentor" in listing


def test_outsiders_cannot_see_a_pairs_progress(app, client):
    ctx = course(app)
    mentor, mentee, outsider = person(app, ctx), person(app, ctx), person(app, ctx)
    teacher = person(app, ctx, role="instructor")
    pair_id = make_pair(app, ctx, mentor, mentee)
    other_pair = make_pair(app, ctx, outsider, person(app, ctx))
    assert client.get(f"/progress/pairs/{pair_id}", query_string=outsider.q()).status_code == 404
    assert client.get(f"/progress/pairs/{other_pair}",
                      query_string=mentor.q()).status_code == 404
    assert client.get(f"/progress/pairs/{pair_id}", query_string=teacher.q()).status_code == 403
    assert client.get("/progress/pairs/424242", query_string=mentor.q()).status_code == 404
    proposed = make_pair(app, ctx, mentee, person(app, ctx), status="proposed")
    assert client.get(f"/progress/pairs/{proposed}", query_string=mentee.q()).status_code == 404
    # The same pair seen from another course is not there either.
    elsewhere = person(app, course(app, context_id="course-2"))
    assert client.get(f"/progress/pairs/{pair_id}",
                      query_string=elsewhere.q()).status_code == 404


def test_done_on_my_own_does_not_complete_and_a_later_pair_still_can(app, client, sent):
    ctx = course(app)
    mentor, mentee = person(app, ctx), person(app, ctx)
    _ready_for_pair_step(client, mentee)
    assert post_step(client, mentee, D6, "together", solo="1").status_code == 303
    # A confirmed activity does not block the learner: the module page points at it as pending.
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StepCompletion)
                                 .where(StepCompletion.step_id == "together")) == 0
    pair_id = make_pair(app, ctx, mentor, mentee)
    _ready_for_pair_step(client, mentor)
    post_step(client, mentor, D6, "together", pair_id=str(pair_id))
    assert sent["module"] == []  # the mentee's solo note does not count for the pair
    post_step(client, mentee, D6, "together", pair_id=str(pair_id))
    assert len(sent["module"]) == 2
