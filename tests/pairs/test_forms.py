"""Bad input on every form: 422, a message at each field, the input kept, nothing written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lti_tool.db import db
from lti_tool.pairs.models import (
    Attestation,
    CheckIn,
    Feedback,
    LearningEntry,
    ManualPairLog,
    MatchRun,
    MentoringSession,
    Profile,
    Proposal,
)
from tests.pairs.conftest import mentee_profile, mentor_profile


def _rows(app, model):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def _invalid(resp, *messages):
    assert resp.status_code == 422, resp.status_code
    html = resp.get_data(as_text=True)
    assert "Please correct the following" in html  # the error summary
    for message in messages:
        assert message in html, message
    return html


def test_an_empty_profile_names_every_missing_answer(world):
    w = world
    html = _invalid(w.post(w.mentee, "/pairs/profile"),
                    "Please choose one of the options.",
                    "Choose at least one way to keep in touch.",
                    "Tick at least one time of the week when you are free.",
                    "Choose at least one language.", "Please fill in this field.")
    # Each message sits at its field and is linked to it for screen readers.
    assert 'id="e-channels"' in html and 'aria-describedby="e-channels"' in html
    assert 'href="#f-role_preference"' in html
    assert _rows(w.app, Profile) == 0


@pytest.mark.parametrize(("over", "messages", "kept"), [
    ({"want_1_competence": "", "want_1_now": "", "want_1_target": "", "want_2_competence": "",
      "want_2_target": ""}, ["Choose at least one skill you want to learn."], "Sales"),
    ({"want_1_now": "4", "want_1_target": "3"},
     ["Choose a level higher than the level you have now."], "Sales"),
    ({"want_2_competence": "2.1"}, ["You chose this skill twice."], "Sales"),
    ({"want_3_target": "4"}, ["Choose the skill you want to learn."], "Sales"),
    ({"manager_email": "not-an-address", "department": "Kept dept"},
     ["Please enter an e-mail address like name@example.org."], "Kept dept"),
    ({"timezone": "Mars/Olympus"}, ["Choose your time zone from the list."], "Sales"),
    ({"career_stage": "9"}, ["Please choose one of the options."], "Sales"),
    ({"slots": ["8-night"]}, ["Please choose one of the options."], "Sales"),
    ({"hours_needed": "lots"}, ["Please enter a whole number."], "Sales"),
    ({"channels": ["pigeon"]}, ["Please choose one of the options."], "Sales"),
])
def test_bad_profile_answers_are_refused_with_the_input_kept(world, over, messages, kept):
    w = world
    html = _invalid(w.post(w.mentee, "/pairs/profile", **mentee_profile(**over)), *messages)
    assert kept in html
    assert _rows(w.app, Profile) == 0


def test_a_mentor_must_offer_a_skill(world):
    w = world
    fields = {k: v for k, v in mentor_profile().items() if not k.startswith("offer_")}
    html = _invalid(w.post(w.mentor, "/pairs/profile", **fields),
                    "Choose your level for at least one skill you can teach.")
    assert 'id="e-offers"' in html and "<details id=\"f-offers\" open>" in html
    assert _rows(w.app, Profile) == 0


def test_bad_session_input(world):
    w = world
    base = f"/pairs/{w.form_pair()}/sessions"
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    for url in ("http://meet.example.org/x", "javascript:alert(1)", "https://", "meet.example"):
        html = _invalid(w.post(w.mentor, base + "/plan", on=tomorrow, at="10:00", minutes="30",
                               meeting_url=url),
                        "Please enter a meeting link that starts with https://")
        assert 'aria-describedby="h-plan-meeting_url e-plan-meeting_url"' in html
    _invalid(w.post(w.mentor, base + "/plan", on=yesterday, at="25:99", minutes="3"),
             "Choose today or a later date.", "Please enter a time like 14:30.",
             "Please enter from 5 to 600 minutes.")
    _invalid(w.post(w.mentor, base + "/plan", on="31/12/2030", at="10:00", minutes="30"),
             "Please enter a date like 2025-03-31 (year-month-day).")
    html = _invalid(w.post(w.mentor, base + "/log", held_on=tomorrow, minutes="abc",
                           topics="Kept topics"),
                    "A session can be logged on the day it happened or later.",
                    "Please enter a whole number.")
    assert "Kept topics" in html
    _invalid(w.post(w.mentor, base + "/log"), "Please enter a date.", "Please fill in this field.")
    assert _rows(w.app, MentoringSession) == 0


def test_bad_feedback_checkin_learning_and_attestation_input(world):
    w = world
    pair_id = w.form_pair()
    base = f"/pairs/{pair_id}"
    html = _invalid(w.post(w.mentor, base + "/feedback", kind="sbi", situation="Kept situation"),
                    "Please fill in this part.")
    assert 'id="e-behaviour"' in html and 'id="e-impact"' in html and "Kept situation" in html
    _invalid(w.post(w.mentor, base + "/feedback", kind="feedforward", suggestion_1="One"),
             "Please fill in this part.")
    _invalid(w.post(w.mentor, base + "/feedback", kind="rant"),
             "Please choose one of the options.")
    assert _rows(w.app, Feedback) == 0

    w.post(w.mentor, base + "/feedback", kind="feedforward", suggestion_1="a", suggestion_2="b")
    with w.app.app_context():
        fid = db.session.scalar(db.select(Feedback.id))
    html = _invalid(w.post(w.mentee, f"{base}/feedback/{fid}/acknowledge", action_note="Kept"),
                    "Please choose one of the options.")
    assert f'id="e-ack-{fid}-action"' in html and "Kept" in html
    with w.app.app_context():
        assert db.session.get(Feedback, fid).acknowledged_at is None

    _invalid(w.post(w.mentee, base + "/checkins", happy="7", note="Kept note"),
             "Please choose one of the options.")
    assert _rows(w.app, CheckIn) == 0
    _invalid(w.post(w.mentor, base + "/learning", text="  "), "Please write what you learned.")
    assert _rows(w.app, LearningEntry) == 0
    future = (date.today() + timedelta(days=3)).isoformat()
    _invalid(w.post(w.mentor, base + "/attestations", competence_id="9.9", task="ok",
                    observed_on=future),
             "Please choose one of the options.", "Choose today or an earlier date.",
             "Please write from 5 to 1000 characters.")
    assert _rows(w.app, Attestation) == 0


def test_bad_matching_input(world):
    w = world
    w.join(w.mentor, mentor_profile())
    w.join(w.mentee, mentee_profile())
    _invalid(w.post(w.teacher, "/pairs/matching/run", mode="random", floor="200"),
             "Please choose one of the options.", "Please enter a number from 0 to 100.")
    assert _rows(w.app, MatchRun) == 0
    html = _invalid(w.post(w.teacher, "/pairs/proposals/manual",
                           mentor_id=str(w.mentor.user_id), mentee_id=str(w.mentee.user_id)),
                    "Please say why you pair these two people.")
    assert f'<option value="{w.mentor.user_id}" selected>' in html
    _invalid(w.post(w.teacher, "/pairs/proposals/manual", mentor_id=str(w.mentor.user_id),
                    mentee_id=str(w.mentor.user_id), reason="Because I say so"),
             "Choose two different people.")
    assert _rows(w.app, Proposal) == 0 and _rows(w.app, ManualPairLog) == 0


def test_a_post_without_the_csrf_token_is_refused(world):
    w = world
    resp = w.client.post("/pairs/profile", data={"ltik": w.mentee.token, **mentee_profile()})
    assert resp.status_code == 403
    assert _rows(w.app, Profile) == 0
