"""Pair status and alerts are computed on read, from explicit dates (no clock, no sleeping)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lti_tool.db import db
from lti_tool.pairs import queries, services
from lti_tool.pairs.models import Pair
from tests.factories import course, person

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday


def days(n: float) -> datetime:
    return T0 + timedelta(days=n)


def on(n: int) -> date:
    return days(n).date()


@pytest.fixture
def pair(app):
    """An active pair formed at T0, through the services."""
    ctx = course(app)
    mentor, mentee = person(app, ctx, name="Mia"), person(app, ctx, name="Sam")
    with app.app_context():
        p = Pair(context_id=ctx, mentor_id=mentor.user_id, mentee_id=mentee.user_id,
                 proposed_at=days(-3))
        db.session.add(p)
        db.session.flush()
        services.respond_to_proposal(p, mentor.user_id, "accept", "", days(-1))
        services.respond_to_proposal(p, mentee.user_id, "accept", "", T0)
        db.session.commit()
        return p.id


def alerts(app, pair_id, now):
    with app.app_context():
        return queries.pair_facts([db.session.get(Pair, pair_id)], now)[0].alerts


def act(app, pair_id, fn, *args, **kwargs):
    with app.app_context():
        p = db.session.get(Pair, pair_id)
        result = fn(p, *args, **kwargs)
        db.session.commit()
        return getattr(result, "id", None)


def held(app, pair_id, n, minutes=45):
    """A session on day n, logged by the mentor and confirmed by the mentee the same day."""
    with app.app_context():
        p = db.session.get(Pair, pair_id)
        s = services.log_session(p, p.mentor_id, on(n), minutes, "", days(n))
        services.confirm_session(p, s, p.mentee_id, days(n))
        db.session.commit()


def test_no_first_session_after_14_days(app, pair):
    assert alerts(app, pair, days(14)) == []
    assert alerts(app, pair, days(15)) == ["no_first_session"]
    held(app, pair, 15)
    assert alerts(app, pair, days(15)) == []


def test_no_session_for_21_days(app, pair):
    held(app, pair, 3)
    assert "stalled" not in alerts(app, pair, days(24))
    assert "stalled" in alerts(app, pair, days(25))
    held(app, pair, 25)
    assert "stalled" not in alerts(app, pair, days(25))


def test_a_logged_but_unconfirmed_session_does_not_count(app, pair):
    with app.app_context():
        p = db.session.get(Pair, pair)
        services.log_session(p, p.mentor_id, on(2), 30, "", days(2))
        db.session.commit()
        facts = queries.pair_facts([p], days(16))[0]
    assert facts.sessions_waiting == 1 and facts.sessions_confirmed == 0
    assert "no_first_session" in facts.alerts


def test_agreement_unsigned_after_21_days(app, pair):
    assert "agreement_unsigned" not in alerts(app, pair, days(21))
    assert "agreement_unsigned" in alerts(app, pair, days(22))
    data = {"cadence": "weekly", "channels": ["video"], "confidentiality": True,
            "ground_rules": "", "goals": [
                {"direction": "mentee", "text": "Video calls", "competence_id": "2.1",
                 "target_level": 3},
                {"direction": "mentor", "text": "Negotiation", "competence_id": None,
                 "target_level": None}]}
    with app.app_context():
        p = db.session.get(Pair, pair)
        services.save_agreement(p, p.mentor_id, 0, data, days(22))
        services.sign_agreement(p, p.mentor_id, 1, days(22))
        db.session.commit()
    assert "agreement_unsigned" in alerts(app, pair, days(23))  # one signature is not enough
    with app.app_context():
        p = db.session.get(Pair, pair)
        services.sign_agreement(p, p.mentee_id, 2, days(23))
        db.session.commit()
    assert "agreement_unsigned" not in alerts(app, pair, days(23))


def test_low_pulse_follows_each_partners_latest_check_in(app, pair):
    with app.app_context():
        p = db.session.get(Pair, pair)
        mentor, mentee = p.mentor_id, p.mentee_id
    act(app, pair, services.record_checkin, mentee, 2, True, "", days(1))
    assert alerts(app, pair, days(2)) == ["low_pulse"]
    act(app, pair, services.record_checkin, mentor, 5, True, "", days(2))
    assert alerts(app, pair, days(3)) == ["low_pulse"]  # the mentee is still unhappy
    act(app, pair, services.record_checkin, mentee, 4, True, "", days(3))
    assert alerts(app, pair, days(4)) == []


def test_one_sided_activity(app, pair):
    with app.app_context():
        p = db.session.get(Pair, pair)
        mentor, mentee = p.mentor_id, p.mentee_id
    for n in range(4):
        act(app, pair, services.record_checkin, mentor, 4, True, "", days(n))
    assert "one_sided" not in alerts(app, pair, days(5))  # too few entries to judge
    act(app, pair, services.record_checkin, mentor, 4, True, "", days(5))
    assert "one_sided" in alerts(app, pair, days(6))  # 5 of 5 entries by the mentor
    act(app, pair, services.record_checkin, mentee, 4, True, "", days(6))
    assert "one_sided" in alerts(app, pair, days(7))  # 5 of 6: still more than 80%
    act(app, pair, services.record_checkin, mentee, 4, True, "", days(7))
    assert "one_sided" not in alerts(app, pair, days(8))  # 5 of 7


def test_feedback_only_one_way(app, pair):
    with app.app_context():
        p = db.session.get(Pair, pair)
        mentor, mentee = p.mentor_id, p.mentee_id
    ff = {"kind": "feedforward", "suggestion_1": "a", "suggestion_2": "b"}
    act(app, pair, services.give_feedback, mentor, ff, days(1))
    assert "one_sided" not in alerts(app, pair, days(2))
    act(app, pair, services.give_feedback, mentor, ff, days(2))
    assert "one_sided" in alerts(app, pair, days(3))
    act(app, pair, services.give_feedback, mentee, ff, days(3))
    assert "one_sided" not in alerts(app, pair, days(4))


def test_a_proposal_unanswered_for_a_week_and_info_requests(app):
    ctx = course(app)
    a, b = person(app, ctx), person(app, ctx)
    with app.app_context():
        p = Pair(context_id=ctx, mentor_id=a.user_id, mentee_id=b.user_id, proposed_at=T0)
        db.session.add(p)
        db.session.commit()
        pair_id = p.id
    assert alerts(app, pair_id, days(7)) == []
    assert alerts(app, pair_id, days(8)) == ["awaiting_consent"]
    act(app, pair_id, services.respond_to_proposal, b.user_id, "info", "Which site?", days(8))
    assert alerts(app, pair_id, days(8)) == ["awaiting_consent", "info_requested"]


def test_steps_and_course_summary(app, pair):
    with app.app_context():
        p = db.session.get(Pair, pair)
        overview = queries.learner_overview(p.context_id, p.mentee_id, days(1))
        assert overview.profile is None and overview.current_step == "profile"
        facts = queries.pair_facts([p], days(1))[0]
        assert facts.current_step == "agreement"
        summary = queries.program_summary(p.context_id, days(30))
        assert summary.by_status["active"] == 1 and summary.with_alerts == 1
