"""Completions are stored once, in order, with their events; bad input records nothing."""

from __future__ import annotations

import pytest

from lti_tool.db import db, utcnow
from lti_tool.modules import get_library
from lti_tool.progress import queries, services
from lti_tool.progress.models import (
    ModuleCompletion,
    PairConfirmation,
    QuizAttempt,
    Reflection,
    SelfAssessment,
    StepCompletion,
)
from tests.factories import course, person
from tests.progress.conftest import (
    D6,
    D6_RIGHT,
    answer_quiz,
    make_pair,
    post_step,
    step_url,
    submission_key,
    walk_d6_to_quiz,
)

ALL = (StepCompletion, QuizAttempt, ModuleCompletion, Reflection, PairConfirmation,
       SelfAssessment)


def _counts(app):
    with app.app_context():
        return {m.__name__: db.session.scalar(db.select(db.func.count()).select_from(m))
                for m in ALL}


def test_a_double_submit_counts_once_and_sends_one_event(app, client, sent):
    learner = person(app, course(app))
    post_step(client, learner, D6, "before", **{"rating-4.1": "1", "rating-4.2": "1"})
    first = post_step(client, learner, D6, "passwords")
    again = post_step(client, learner, D6, "passwords")
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    with app.app_context():
        rows = db.session.scalars(db.select(StepCompletion)
                                  .where(StepCompletion.step_id == "passwords")).all()
        assert len(rows) == 1 and rows[0].content_version == 1 and rows[0].kind == "lesson"
    assert [e["step_id"] for e in sent["step"]] == ["before", "passwords"]
    event = sent["step"][1]
    assert event == {"user_id": learner.user_id, "context_id": learner.actor.context_id,
                     "module_slug": D6, "step_id": "passwords", "kind": "lesson",
                     "content_version": 1, "score": None, "passed": None,
                     "completed_at": rows[0].completed_at}


def test_a_racing_duplicate_fails_inside_a_savepoint_and_keeps_the_transaction(app, sent):
    """Two requests that both saw "not done": the unique constraint lets one through."""
    learner = person(app, course(app))
    with app.app_context():
        module = get_library().get(D6)
        step = module.step("before")
        stale = queries.module_progress(learner.user_id, learner.actor.context_id, module)
        # The other request commits first.
        db.session.add(StepCompletion(user_id=learner.user_id,
                                      context_id=learner.actor.context_id, module_slug=D6,
                                      step_id="before", kind="self-assessment",
                                      content_version=1, completed_at=utcnow()))
        db.session.commit()
        marker = Reflection(user_id=learner.user_id, context_id=learner.actor.context_id,
                            module_slug="x", step_id="y", content_version=1, text="kept")
        db.session.add(marker)
        db.session.flush()
        assert services._complete(learner.user_id, learner.actor.context_id, module, step,
                                  stale, utcnow()) is False
        db.session.commit()  # the outer transaction survived the failed insert
        assert db.session.scalar(db.select(db.func.count()).select_from(Reflection)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(StepCompletion)) == 1
    assert sent["step"] == []


def test_out_of_order_posts_are_refused_with_409_and_record_nothing(app, client, sent):
    learner = person(app, course(app))
    before = _counts(app)
    resp = post_step(client, learner, D6, "check", submission="k" * 20, **{"q-q1": "b"})
    assert resp.status_code == 409
    assert "Step 5 is not open yet: finish step 1 of this module first." in resp.get_data(
        as_text=True)
    assert post_step(client, learner, D6, "mfa").status_code == 409
    assert post_step(client, learner, D6, "together", solo="1").status_code == 409
    json = client.post(step_url(D6, "mfa"), data=learner.form(),
                       headers={"Accept": "application/json"})
    assert json.status_code == 409 and "not open yet" in json.get_json()["message"]
    assert _counts(app) == before and sent["step"] == []


@pytest.mark.parametrize("answers", [
    {"q1": "z", "q2": "a", "q3": "c"},  # an option the question does not have
    {"q1": ["a", "b"], "q2": "a", "q3": "c"},  # two options on single choice
    {"q1": "b", "q2": "a"},  # a question left out
    {"q1": "b", "q2": "a", "q3": "c", "q9": "a"},  # a question the quiz does not have
    {"q1": ["b", "b"], "q2": "a", "q3": "c"},  # the same option twice
])
def test_tampered_quiz_answers_are_refused_and_record_nothing(app, client, sent, answers):
    learner = person(app, course(app))
    walk_d6_to_quiz(client, learner)
    before, events_before = _counts(app), len(sent["step"])
    resp = answer_quiz(client, learner, D6, answers)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "There is a problem" in html and "data-autofocus" in html
    assert _counts(app) == before and len(sent["step"]) == events_before


def test_a_missing_answer_is_linked_to_its_question(app, client):
    learner = person(app, course(app))
    walk_d6_to_quiz(client, learner)
    html = answer_quiz(client, learner, D6, {"q1": "b", "q3": "c"}).get_data(as_text=True)
    assert 'id="q-q2-error"' in html and 'aria-describedby="q-q2-error"' in html
    assert 'href="#q-q2-0"' in html and 'aria-invalid="true"' in html
    assert 'value="b" checked' in html  # earlier choices are kept


def test_a_quiz_form_posted_twice_is_one_attempt(app, client, sent):
    learner = person(app, course(app))
    walk_d6_to_quiz(client, learner)
    page = client.get(step_url(D6, "check"), query_string=learner.q())
    key = submission_key(page.get_data(as_text=True))
    fields = {"submission": key, **{f"q-{q}": a for q, a in D6_RIGHT.items()}}
    one = post_step(client, learner, D6, "check", **fields)
    two = post_step(client, learner, D6, "check", **fields)
    assert one.headers["Location"] == two.headers["Location"]
    assert _counts(app)["QuizAttempt"] == 1
    assert [e["step_id"] for e in sent["step"]].count("check") == 1
    # A missing or malformed key is not a valid form.
    bad = post_step(client, learner, D6, "check", submission="../x",
                    **{f"q-{q}": a for q, a in D6_RIGHT.items()})
    assert bad.status_code == 422 and _counts(app)["QuizAttempt"] == 1


def test_module_completion_sends_one_event_with_the_score(app, client, sent):
    ctx = course(app)
    mentor, mentee = person(app, ctx), person(app, ctx)
    make_pair(app, ctx, mentor, mentee)
    for who in (mentor, mentee):
        walk_d6_to_quiz(client, who)
    answer_quiz(client, mentee, D6, {"q1": "b", "q2": "a", "q3": "a"})  # 2 of 3: passed
    answer_quiz(client, mentor, D6, {"q1": "a", "q2": "b", "q3": "a"})  # 0 of 3
    assert post_step(client, mentee, D6, "together").status_code == 303
    assert sent["module"] == []
    assert post_step(client, mentor, D6, "together").status_code == 303
    by_user = {e["user_id"]: e for e in sent["module"]}
    assert set(by_user) == {mentor.user_id, mentee.user_id}
    assert by_user[mentee.user_id]["score"] == pytest.approx(2 / 3)
    assert by_user[mentee.user_id]["passed"] is True
    assert by_user[mentor.user_id]["score"] == 0 and by_user[mentor.user_id]["passed"] is False
    assert by_user[mentee.user_id]["content_version"] == 1
    assert by_user[mentee.user_id]["module_slug"] == D6
    # A better retake raises the stored score without a second event.
    answer_quiz(client, mentor, D6, D6_RIGHT)
    assert len(sent["module"]) == 2
    with app.app_context():
        row = db.session.scalar(db.select(ModuleCompletion)
                                .where(ModuleCompletion.user_id == mentor.user_id))
        assert row.score == 1 and row.passed is True
    overview = client.get(f"/modules/{D6}", query_string=mentor.q()).get_data(as_text=True)
    assert "You completed this module" in overview and "6 of 6 steps done" in overview


def test_steps_of_another_course_do_not_count(app, client):
    ctx, other = course(app), course(app, context_id="course-2", title="Other course")
    learner = person(app, ctx)
    post_step(client, learner, D6, "before", **{"rating-4.1": "1", "rating-4.2": "1"})
    elsewhere = person(app, other)
    html = client.get(f"/modules/{D6}", query_string=elsewhere.q()).get_data(as_text=True)
    assert "0 of 6 steps done" in html
