"""Who sees what: partners see their pair, nobody else does; instructors see metadata only.

IDOR: guessing the ids of another pair's rows, or of another course's, gets 403/404 and
changes nothing.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from lti_tool import authz
from lti_tool.db import db
from lti_tool.lti.session import Actor
from lti_tool.pairs.models import (
    Agreement,
    CheckIn,
    Feedback,
    LearningEntry,
    MentoringSession,
    Pair,
    Profile,
    Proposal,
)
from tests.factories import course, person
from tests.pairs.conftest import agreement_form, mentee_profile, mentor_profile

SECRET = {
    "goal": "Secret goal about online banking",
    "rules": "Secret ground rule",
    "topics": "Secret session topics",
    "feedback": "Secret behaviour observed",
    "note": "Secret pulse note",
    "learned": "Secret thing I learned",
    "task": "Secret evidence of the task",
}


def _fill(w, pair_id):
    """A pair with one of everything, each holding a secret text."""
    base = f"/pairs/{pair_id}"
    today = date.today().isoformat()
    assert w.post(w.mentor, base + "/agreement", **agreement_form(
        0, mentee_goal_1_text=SECRET["goal"], ground_rules=SECRET["rules"])).status_code == 303
    assert w.post(w.mentor, base + "/sessions/log", held_on=today, minutes="30",
                  topics=SECRET["topics"]).status_code == 303
    assert w.post(w.mentor, base + "/feedback", kind="sbi", situation="s",
                  behaviour=SECRET["feedback"], impact="i").status_code == 303
    assert w.post(w.mentee, base + "/checkins", happy="2", learning="yes",
                  note=SECRET["note"]).status_code == 303
    assert w.post(w.mentor, base + "/learning", text=SECRET["learned"]).status_code == 303
    assert w.post(w.mentor, base + "/attestations", competence_id="2.1",
                  task=SECRET["task"], observed_on=today).status_code == 303
    with w.app.app_context():
        return {
            "session": db.session.scalar(db.select(MentoringSession.id)),
            "feedback": db.session.scalar(db.select(Feedback.id)),
            "entry": db.session.scalar(db.select(LearningEntry.id)),
        }


def _snapshot(app):
    with app.app_context():
        s = db.session
        return (
            [(p.id, p.status, p.mentor_completed_at, p.mentee_completed_at)
             for p in s.scalars(db.select(Pair))],
            s.scalar(db.select(db.func.max(Agreement.revision))),
            [(m.id, m.confirmed_at, len(m.confirmations)) for m in s.scalars(
                db.select(MentoringSession))],
            [(f.id, f.acknowledged_at) for f in s.scalars(db.select(Feedback))],
            s.scalar(db.select(db.func.count()).select_from(CheckIn)),
            [(e.id, e.confirmed_at) for e in s.scalars(db.select(LearningEntry))],
            [(p.id, p.status) for p in s.scalars(db.select(Proposal))],
        )


PAGES = ("", "/agreement", "/agreement/edit", "/sessions", "/feedback", "/checkins", "/learning")


def _writes(pair_id, ids):
    today = date.today().isoformat()
    return [
        (f"/pairs/{pair_id}/respond", {"answer": "decline"}),
        (f"/pairs/{pair_id}/complete", {}),
        (f"/pairs/{pair_id}/agreement", agreement_form(1)),
        (f"/pairs/{pair_id}/agreement/sign", {"base_revision": "1"}),
        (f"/pairs/{pair_id}/sessions/plan", {"on": "2099-01-01", "at": "10:00",
                                             "minutes": "30"}),
        (f"/pairs/{pair_id}/sessions/log", {"held_on": today, "minutes": "30"}),
        (f"/pairs/{pair_id}/sessions/{ids['session']}/confirm", {}),
        (f"/pairs/{pair_id}/feedback", {"kind": "feedforward", "suggestion_1": "a",
                                        "suggestion_2": "b"}),
        (f"/pairs/{pair_id}/feedback/{ids['feedback']}/acknowledge", {"action": "try"}),
        (f"/pairs/{pair_id}/checkins", {"happy": "5", "learning": "yes"}),
        (f"/pairs/{pair_id}/learning", {"text": "Something"}),
        (f"/pairs/{pair_id}/learning/{ids['entry']}/confirm", {}),
        (f"/pairs/{pair_id}/attestations", {"competence_id": "2.1", "task": "A task",
                                            "observed_on": today}),
    ]


def test_a_learner_of_another_pair_in_the_course_gets_403_and_changes_nothing(world):
    w = world
    pair_id = w.form_pair()
    ids = _fill(w, pair_id)
    other = person(w.app, w.ctx, name="Olga Other")
    before = _snapshot(w.app)
    for page in PAGES:
        resp = w.get(other, f"/pairs/{pair_id}{page}")
        assert resp.status_code == 403, page
        assert not any(s in resp.get_data(as_text=True) for s in SECRET.values())
    assert w.get(other, f"/pairs/{pair_id}/sessions/{ids['session']}/calendar.ics"
                 ).status_code == 403
    for url, fields in _writes(pair_id, ids):
        assert w.post(other, url, **fields).status_code == 403, url
    assert _snapshot(w.app) == before


def test_ids_of_another_course_are_not_found(world, make_app):
    w = world
    pair_id = w.form_pair()
    ids = _fill(w, pair_id)
    ctx2 = course(w.app, context_id="course-2", title="Other course")
    stranger = person(w.app, ctx2, name="Stan Stranger")
    teacher2 = person(w.app, ctx2, role="instructor")
    before = _snapshot(w.app)
    for page in PAGES:
        assert w.get(stranger, f"/pairs/{pair_id}{page}").status_code == 404, page
    for url, fields in _writes(pair_id, ids):
        assert w.post(stranger, url, **fields).status_code == 404, url
    # The other course's instructor sees nothing of this course and cannot touch its proposals.
    html = w.html(teacher2, "/pairs/program")
    assert "Mia Mentor" not in html and "Sam Senior" not in html
    with w.app.app_context():
        proposal_id = db.session.scalar(db.select(Proposal.id))
    for action, fields in (("remove", {}), ("override", {"reason": "Let me in please"})):
        resp = w.post(teacher2, f"/pairs/proposals/{proposal_id}/{action}", **fields)
        assert resp.status_code == 404
    resp = w.post(teacher2, "/pairs/proposals/manual", mentor_id=str(w.mentor.user_id),
                  mentee_id=str(w.mentee.user_id), reason="Cross-course pairing")
    assert resp.status_code == 404
    assert _snapshot(w.app) == before


def test_ids_of_another_pair_inside_my_own_pair_urls_are_not_found(world):
    w = world
    pair_id = w.form_pair()
    ids = _fill(w, pair_id)
    # A second active pair in the same course guesses the first pair's row ids.
    c, d = person(w.app, w.ctx, name="Cleo"), person(w.app, w.ctx, name="Dan")
    w.join(c, mentor_profile())
    w.join(d, mentee_profile())
    w.post(w.teacher, "/pairs/matching/run", mode="quality", floor="0")
    w.post(w.teacher, "/pairs/proposals/send")
    mine = w.pair().id
    assert mine != pair_id
    for who in (c, d):
        w.post(who, f"/pairs/{mine}/respond", answer="accept")
    before = _snapshot(w.app)
    base = f"/pairs/{mine}"
    assert w.post(d, f"{base}/sessions/{ids['session']}/confirm").status_code == 404
    assert w.post(d, f"{base}/feedback/{ids['feedback']}/acknowledge",
                  action="try").status_code == 404
    assert w.post(d, f"{base}/learning/{ids['entry']}/confirm").status_code == 404
    assert w.get(d, f"{base}/sessions/{ids['session']}/calendar.ics").status_code == 404
    assert w.post(d, f"{base}/sessions/log", held_on=date.today().isoformat(), minutes="30",
                  session_id=str(ids["session"])).status_code == 404
    assert _snapshot(w.app) == before


def test_instructors_see_status_and_counts_but_never_what_pairs_write(world):
    w = world
    pair_id = w.form_pair()
    _fill(w, pair_id)
    for url in ("/pairs/program", "/pairs/matching", "/program"):
        html = w.html(w.teacher, url)
        assert not any(s in html for s in SECRET.values()), url
    html = w.html(w.teacher, "/pairs/program")
    assert "Mia Mentor" in html and "Active" in html and "1 waiting" in html
    assert "Low pulse" in html
    # Pair pages are for the partners only.
    for page in PAGES:
        assert w.get(w.teacher, f"/pairs/{pair_id}{page}").status_code == 403
    # Partners do see their content.
    assert SECRET["feedback"] in w.html(w.mentee, f"/pairs/{pair_id}/feedback")


def test_learners_cannot_open_instructor_pages(world):
    w = world
    for url in ("/pairs/program", "/pairs/matching"):
        assert w.get(w.mentee, url).status_code == 403
    assert w.post(w.mentee, "/pairs/matching/run", mode="quality", floor="0").status_code == 403
    assert w.post(w.mentee, "/pairs/proposals/send").status_code == 403
    assert w.get(w.teacher, "/pairs/profile").status_code == 403
    assert w.post(w.teacher, "/pairs/profile", **mentee_profile()).status_code == 403
    with w.app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Profile)) == 0


def test_a_pair_page_without_a_launch_is_refused(world):
    w = world
    pair_id = w.form_pair()
    assert w.client.get(f"/pairs/{pair_id}").status_code == 401


# --- the decisions themselves ----------------------------------------------------------------

def _actor(user_id, context_id=1, role="learner"):
    return Actor(user_id=user_id, context_id=context_id, deployment_id=1, registration_id=1,
                 role=role, locale="en")


PAIR = SimpleNamespace(id=7, context_id=1, mentor_id=10, mentee_id=20, status="active")


@pytest.mark.parametrize(("who", "view", "meta", "work"), [
    (_actor(10), True, True, True),
    (_actor(20), True, True, True),
    (_actor(30), False, False, False),  # another learner of the course
    (_actor(10, context_id=2), False, False, False),  # the same id in another course
    (_actor(99, role="instructor"), False, True, False),
    (_actor(99, context_id=2, role="instructor"), False, False, False),
])
def test_pair_decisions(who, view, meta, work):
    assert authz.can_view_pair(who, PAIR) is view
    assert authz.can_view_pair_metadata(who, PAIR) is meta
    assert authz.can_work_in_pair(who, PAIR) is work


def test_role_specific_decisions():
    mentor, mentee = _actor(10), _actor(20)
    feedback = SimpleNamespace(pair_id=7, receiver_id=20)
    entry = SimpleNamespace(pair_id=7)
    assert authz.can_acknowledge_feedback(mentee, PAIR, feedback)
    assert not authz.can_acknowledge_feedback(mentor, PAIR, feedback)
    assert not authz.can_acknowledge_feedback(mentee, PAIR, SimpleNamespace(pair_id=8,
                                                                            receiver_id=20))
    assert authz.can_confirm_learning_entry(mentee, PAIR, entry)
    assert not authz.can_confirm_learning_entry(mentor, PAIR, entry)
    assert authz.can_add_learning_entry(mentor, PAIR) and not authz.can_add_learning_entry(
        mentee, PAIR)
    assert authz.can_attest(mentor, PAIR) and not authz.can_attest(mentee, PAIR)
    proposed = SimpleNamespace(**{**vars(PAIR), "status": "proposed"})
    assert authz.can_respond_to_proposal(mentee, proposed)
    assert not authz.can_respond_to_proposal(mentee, PAIR)
    assert not authz.can_work_in_pair(mentee, proposed)
    assert authz.can_edit_profile(mentee, None)
    assert authz.can_edit_profile(mentee, SimpleNamespace(context_id=1, user_id=20))
    assert not authz.can_edit_profile(mentee, SimpleNamespace(context_id=1, user_id=10))
    assert not authz.can_edit_profile(_actor(20, role="instructor"), None)
    assert authz.can_manage_matching(_actor(1, role="instructor"), 1)
    assert not authz.can_manage_matching(_actor(1, role="instructor"), 2)
    assert not authz.can_manage_matching(mentee, 1)
