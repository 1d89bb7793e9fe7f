"""Matching over a course's profiles: candidates, sides, vetoes, reporting lines, review log."""

from __future__ import annotations

from datetime import UTC, datetime

from lti_tool.db import db
from lti_tool.lti.models import User
from lti_tool.pairs import services
from lti_tool.pairs.availability import mask_int, slots_overlapping, week_mask
from lti_tool.pairs.models import ManualPairLog, Pair, Proposal
from tests.pairs.conftest import mentee_profile, mentor_profile

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _run(w, floor="40", mode="quality"):
    resp = w.post(w.teacher, "/pairs/matching/run", mode=mode, floor=floor)
    assert resp.status_code == 303
    with w.app.app_context():
        rows = db.session.scalars(db.select(Proposal).where(Proposal.status == "draft")
                                  .order_by(Proposal.id)).all()
        return [(p.mentor_id, p.mentee_id, p.queue) for p in rows]


def _email(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).email


def test_either_people_fill_the_short_side_most_junior_as_mentor(world):
    w = world
    w.join(w.mentor, mentor_profile(role_preference="either", want_1_competence="3.3",
                                    want_1_target="2", career_stage="1"))
    w.join(w.mentee, mentee_profile(role_preference="either", offer_2_1="2", career_stage="5"))
    assert _run(w) == [(w.mentor.user_id, w.mentee.user_id, "proposed")]


def test_never_paired_along_a_reporting_line(world):
    w = world
    w.join(w.mentor, mentor_profile())
    w.join(w.mentee, mentee_profile(manager_email=_email(w.app, w.mentor.user_id).upper()))
    assert _run(w, floor="0") == []
    assert "Sam Senior" in w.html(w.teacher, "/pairs/matching")  # listed as without suggestion


def test_paused_people_are_not_proposed(world):
    w = world
    w.join(w.mentor, mentor_profile(paused="1"))
    w.join(w.mentee, mentee_profile())
    assert _run(w, floor="0") == []


def test_a_mentor_with_room_for_two_gets_two_and_live_pairs_count(world):
    from tests.factories import person

    w = world
    second = person(w.app, w.ctx, name="Tina Two")
    w.join(w.mentor, mentor_profile(capacity="2"))
    w.join(w.mentee, mentee_profile())
    w.join(second, mentee_profile(department="Finance"))
    assert sorted(_run(w)) == sorted([(w.mentor.user_id, w.mentee.user_id, "proposed"),
                                      (w.mentor.user_id, second.user_id, "proposed")])
    w.post(w.teacher, "/pairs/proposals/send")
    # Running again: both mentees are in live pairs and the mentor is full.
    assert _run(w, floor="0") == []
    with w.app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Proposal).where(
            Proposal.status == "sent")) == 2


def test_review_actions_are_logged_with_their_reasons(world):
    w = world
    w.join(w.mentor, mentor_profile())
    w.join(w.mentee, mentee_profile())
    # A high floor puts the only pair below it, in the queue for a human to judge.
    assert _run(w, floor="100") == [(w.mentor.user_id, w.mentee.user_id, "below_floor")]
    with w.app.app_context():
        pid = db.session.scalar(db.select(Proposal.id).where(Proposal.status == "draft"))
    html = w.html(w.teacher, "/pairs/matching")
    assert "Below the minimum score (1)" in html and "Proposals to send (0)" in html
    resp = w.post(w.teacher, f"/pairs/proposals/{pid}/override", reason="no")
    assert resp.status_code == 422
    assert "Please give a reason of 5 to 1000 characters." in resp.get_data(as_text=True)
    assert w.post(w.teacher, f"/pairs/proposals/{pid}/override",
                  reason="They know each other well").status_code == 303
    assert w.post(w.teacher, f"/pairs/proposals/{pid}/remove",
                  reason="Changed my mind").status_code == 303
    assert w.post(w.teacher, "/pairs/proposals/manual", mentor_id=str(w.mentor.user_id),
                  mentee_id=str(w.mentee.user_id),
                  reason="Same shift pattern").status_code == 303
    with w.app.app_context():
        log = [(r.action, r.reason, r.instructor_id) for r in db.session.scalars(
            db.select(ManualPairLog).order_by(ManualPairLog.id))]
        manual = db.session.scalar(db.select(Proposal).where(Proposal.source == "manual"))
        assert manual.status == "draft" and manual.reasons  # scored for information
    assert log == [("override_floor", "They know each other well", w.teacher.user_id),
                   ("remove_proposal", "Changed my mind", w.teacher.user_id),
                   ("manual_pair", "Same shift pattern", w.teacher.user_id)]
    assert "Added by hand" in w.html(w.teacher, "/pairs/matching")
    # The mentee already has a proposal: a second manual pairing for them is refused.
    resp = w.post(w.teacher, "/pairs/proposals/manual", mentor_id=str(w.mentor.user_id),
                  mentee_id=str(w.mentee.user_id), reason="Once more please")
    assert resp.status_code == 409
    w.post(w.teacher, "/pairs/proposals/send")
    with w.app.app_context():
        pair = db.session.scalar(db.select(Pair))
        assert (pair.status, pair.proposal_id) == ("proposed", manual.id)
    assert "set by hand" in w.html(w.teacher, "/pairs/program")


def test_running_again_replaces_unsent_proposals(world):
    w = world
    w.join(w.mentor, mentor_profile())
    w.join(w.mentee, mentee_profile())
    _run(w)
    _run(w)
    with w.app.app_context():
        statuses = sorted(db.session.scalars(db.select(Proposal.status)))
    assert statuses == ["draft", "superseded"]


def test_the_week_grid_becomes_a_utc_mask():
    # Monday morning in Rome (UTC+1 in winter) is 07:00–11:00 UTC on Monday.
    mask = mask_int(week_mask(["0-morning"], "Europe/Rome", NOW))
    assert [b for b in range(168) if mask >> b & 1] == [7, 8, 9, 10]
    # Monday morning in Tokyo (UTC+9) starts on Sunday 23:00 UTC: the week wraps around.
    mask = mask_int(week_mask(["0-morning"], "Asia/Tokyo", NOW))
    assert [b for b in range(168) if mask >> b & 1] == [0, 1, 2, 167]
    # Reading it back in another zone finds the cells that share an hour.
    rome = mask_int(week_mask(["2-afternoon"], "Europe/Rome", NOW))
    assert slots_overlapping(rome, "Europe/London", NOW) == ["2-morning", "2-afternoon"]
    assert slots_overlapping(rome, "Europe/Rome", NOW) == ["2-afternoon"]


def test_the_candidates_sides_are_explicit(app):
    from tests.factories import course, person

    ctx = course(app)
    a, b = person(app, ctx), person(app, ctx)
    with app.app_context():
        services.save_profile(ctx, a.user_id, _shaped(mentor_profile()), NOW)
        services.save_profile(ctx, b.user_id, _shaped(mentee_profile()), NOW)
        mentors, mentees = services.build_candidates(ctx, NOW)
    assert [(c.id, c.side) for c in mentors] == [(a.user_id, "mentor")]
    assert [(c.id, c.side, c.wants) for c in mentees] == [
        (b.user_id, "mentee", (("2.1", 3), ("1.3", 3)))]
    assert mentors[0].tz_offset == 1.0 and mentors[0].site == "Milan"


def _shaped(form):
    """Form fields through the same schema the page uses (needs an app context)."""
    from flask import current_app

    from lti_tool.pairs.schemas import ProfileSchema, load_form

    with current_app.test_request_context():
        return load_form(ProfileSchema(), form)


def test_four_either_people_split_into_two_pairs_juniors_mentoring(world):
    from tests.factories import person

    w = world
    people = [w.mentor, w.mentee, person(w.app, w.ctx), person(w.app, w.ctx)]
    for who, stage in zip(people, ("5", "1", "4", "2"), strict=True):
        w.join(who, mentor_profile(role_preference="either", career_stage=stage,
                                   want_1_competence="3.3", want_1_target="3",
                                   department=f"Dept {stage}"))
    mentors = {m for m, _n, _q in _run(w, floor="0")}
    assert mentors == {w.mentee.user_id, people[3].user_id}  # career stages 1 and 2
