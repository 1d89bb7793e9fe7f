"""Every figure of the dashboard against values worked out by hand from the scenario in
conftest.py (today is 30 June 2025). Course B's rows sit next to course A's all along, so these
also show that nothing of another course leaks into a course's figures.

Course A: 14 learners opened the tool, 2 more are only on the LMS course list. L1–L10 joined on
1 March, L11–L12 on 1 April, L13–L14 on 1 June. Pairs (mentor, mentee), formed → signed:
  P1 L1/L2   5 Mar → 10 Mar  sessions 12 Mar, 12 Apr, 12 May, 20 Jun
  P2 L3/L4   8 Mar → 10 Mar  sessions 15 Mar, 29 Mar, 25 Jun
  P3 L5/L6  11 Mar → 20 Mar  sessions 25 Mar, 8 Apr; completed 1 May
  P4 L7/L8  15 Mar → 18 Mar  sessions 20 Mar, 3 Apr, 17 Apr, 1 May, 15 Jun
  P5 L9/L10 21 Mar →  1 Apr  sessions 5 Apr, 10 Jun
  P6 L11/L12 3 Apr, not signed, no session
L13/L14 were proposed on 10 June; only L13 accepted.
"""

from __future__ import annotations

from statistics import median

import pytest

from lti_tool.analytics import queries
from lti_tool.analytics.wording import BADGE_ORDER
from lti_tool.badges.models import BadgeAward
from lti_tool.db import db
from lti_tool.modules import get_library
from tests.analytics.conftest import NOW, World, award
from tests.factories import course, person


@pytest.fixture
def dash(world: World) -> queries.Dashboard:
    with world.app.app_context():
        return queries.dashboard(world.ctx, NOW, get_library(), BADGE_ORDER)


def _stage(d: queries.Dashboard, code: str) -> queries.Stage:
    return next(s for s in d.funnel if s.code == code)


def test_funnel_people_and_pairs(dash):
    got = {s.code: (s.people, s.pairs) for s in dash.funnel}
    assert got == {"members": (16, None), "enrolled": (14, None), "matched": (12, 6),
                   "agreement": (10, 5), "first_session": (10, 5),
                   "active": (8, 4),  # P1, P2, P4, P5: P5's last session is 20 days old
                   "completed": (2, 1)}
    assert _stage(dash, "members").detail == {"launch": 14, "roster": 2}


def test_funnel_shares(dash):
    shares = {s.code: (s.share.part, s.share.n, s.base) for s in dash.funnel if s.share}
    assert shares == {"enrolled": (14, 16, "members"), "matched": (12, 14, "enrolled"),
                      "agreement": (5, 6, "matched_pairs"),
                      "first_session": (5, 6, "matched_pairs"),
                      "active": (4, 6, "matched_pairs"), "completed": (1, 6, "matched_pairs")}
    assert _stage(dash, "enrolled").share.value == pytest.approx(14 / 16)


def test_funnel_median_times(dash):
    # Joining → match, per person: L1/L2 4, L3/L4 7, L5/L6 10, L7/L8 14, L9/L10 20, L11/L12 2.
    assert _stage(dash, "matched").time.value == median([4, 4, 7, 7, 10, 10, 14, 14, 20, 20,
                                                         2, 2]) == 8.5
    assert _stage(dash, "matched").time.n == 12
    # Match → signature: 5, 2, 9, 3, 11 days.
    assert _stage(dash, "agreement").time.value == 5
    # Match → first session: 7, 7, 14, 5, 15 days.
    assert _stage(dash, "first_session").time.value == 7
    assert all(s.time is None for s in dash.funnel if s.code in ("active", "completed"))


def test_engagement(dash):
    e = dash.engagement
    # Active pairs P1, P2, P4, P5, P6: 4 + 3 + 5 + 2 + 0 sessions over 117 + 114 + 107 + 101 + 88
    # days since the match, in 30-day months.
    assert e.sessions_per_month.value == pytest.approx(14 / (527 / 30))
    assert (e.sessions_per_month.n, e.sessions_per_month.state) == (5, "shown")
    # Gaps: P1 31, 30, 39; P2 14, 88; P3 14; P4 14, 14, 14, 45; P5 66 → 11 gaps, 5 pairs.
    assert e.session_gap.value == median([31, 30, 39, 14, 88, 14, 14, 14, 14, 45, 66]) == 30
    assert e.session_gap.n == 5
    # One check-in expected per partner and confirmed session: P1 4+2 of 8, P2 3(of 5 sent)+1
    # of 6, P3 1+1 of 4, P4 2+2 of 10, P5 1+1 of 4 → 18 of 32, from 10 people.
    assert (e.checkin_response.part, e.checkin_response.n) == (18, 10)
    assert e.checkin_response.value == pytest.approx(18 / 32)


def test_modules_by_track_and_audience(dash):
    def rows(groups):
        return {g.code: (g.started.value, g.completion.part, g.completion.value,
                         g.passing.part, g.passing.n) for g in groups}

    # Digital skills (D3 and D1, both for mentees): 7 people, 9 starts (L1–L4, L6, L8, L10 in D3;
    # L2, L4 in D1), 4 completed (L1–L4 in D3); quizzes: 5 of 7 passed (L6, L10 failed).
    digital = (7.0, 4, pytest.approx(4 / 9), 5, 7)
    assert rows(dash.engagement.by_track) == {
        "program": (6.0, 0, 0.0, 0, 0), "mentoring-practice": (1.0, 0, 0.0, 0, 0),
        "feedback-culture": (0.0, 0, None, 0, 0), "digital-skills": digital}
    assert rows(dash.engagement.by_audience) == {
        "mentor": (1.0, 0, 0.0, 0, 0), "mentee": digital, "both": (6.0, 0, 0.0, 0, 0)}
    practice = next(g for g in dash.engagement.by_track if g.code == "mentoring-practice")
    assert practice.started.state == practice.completion.state == "hidden"  # one person


def test_pair_health(dash):
    h = dash.health
    assert (h.active_pairs, h.answered) == (5, 5)
    # Latest answers: P1 5/yes 4/yes, P6 5/yes 5/yes → both happy and learning; P2 4/no 5/yes;
    # P4 3/yes 4/yes; P5 2/no 4/yes.
    assert {q: (f.part, f.n) for q, f in h.quadrants.items()} == {
        "happy_learning": (2, 5), "happy_not_learning": (1, 5), "learning_not_happy": (1, 5),
        "neither": (1, 5)}
    assert h.pulse.value == pytest.approx(41 / 10) and h.pulse.n == 10
    assert (h.learning.part, h.learning.n) == (8, 10)
    # Feedback answered both ways: P1 and P3 of 6 formed pairs.
    assert (h.two_way_feedback.part, h.two_way_feedback.n) == (2, 6)


def test_digcomp_change(dash):
    o = dash.outcomes
    area = {r.code: r for r in o.by_area}
    # 2.1 rated twice by L2 1→3, L4 2→3, L6 1→2, L8 2→2, L10 1→4 (L1, L3, L12 rated it once).
    two = area["2"]
    assert two.people.value == 5
    assert two.first.value == pytest.approx(1.4)
    assert two.latest.value == pytest.approx(2.8)
    assert two.change.value == pytest.approx(1.4)
    # 1.1 rated twice only by L2 (2→3) and L4 (3→3): too few to show.
    assert area["1"].people.n == 2 and area["1"].change.state == "hidden"
    assert [r.people.n for r in o.by_area if r.code in "345"] == [0, 0, 0]
    assert [r.code for r in o.by_competence] == ["1.1", "2.1"]


def test_outcomes_pairs(dash):
    o = dash.outcomes
    assert (o.level_up.part, o.level_up.n) == (2, 6)  # P1 and P4 attested
    assert o.learning_entries == 3  # P1 two of three entries, P2 one
    assert (o.reciprocal.part, o.reciprocal.n) == (2, 6)


def test_badges_follow_the_awards_table(world, dash):
    with world.app.app_context():
        held = dict(db.session.execute(
            db.select(BadgeAward.badge_slug, db.func.count())
            .where(BadgeAward.context_id == world.ctx, BadgeAward.revoked_at.is_(None))
            .group_by(BadgeAward.badge_slug)).all())
    assert {slug: int(f.value) for slug, f in dash.outcomes.badges if f.value} == held
    assert [slug for slug, _f in dash.outcomes.badges][:len(BADGE_ORDER)] == list(BADGE_ORDER)


def test_alerts(dash):
    assert dash.alerts == {"awaiting_consent": 1, "info_requested": 0, "no_first_session": 1,
                           "stalled": 0, "agreement_unsigned": 1, "low_pulse": 1,
                           "one_sided": 1}
    assert dash.pairs_with_alerts == 4  # P2 (one-sided), P5, P6, the open proposal


def test_another_course_has_its_own_figures(world):
    with world.app.app_context():
        d = queries.dashboard(world.other_ctx, NOW, get_library(), BADGE_ORDER)
    assert [(s.code, s.people, s.pairs) for s in d.funnel] == [
        ("members", 2, None), ("enrolled", 2, None), ("matched", 2, 1), ("agreement", 2, 1),
        ("first_session", 2, 1), ("active", 2, 1), ("completed", 0, 0)]
    assert d.health.pulse.n == 2 and d.health.pulse.state == "hidden"
    assert d.outcomes.learning_entries == 1
    assert sum(d.alerts.values()) == 1  # its low pulse


def test_badge_counts_hide_small_groups_and_skip_revoked(app):
    ctx = course(app, context_id="badges")
    people = [person(app, ctx) for _ in range(8)]
    with app.app_context():
        for p in people[:6]:
            db.session.add(award(p.user_id, ctx, "pair-formed"))
        db.session.add(award(people[6].user_id, ctx, "pair-formed", revoked=True))
        for p in people[:2]:
            db.session.add(award(p.user_id, ctx, "first-session"))
        db.session.add(award(people[7].user_id, ctx, "retired-badge"))
        db.session.commit()
        o = queries.outcomes(ctx, NOW, badge_order=BADGE_ORDER)
    got = {slug: (f.value, f.state) for slug, f in o.badges}
    assert got["pair-formed"] == (6.0, "shown")  # the revoked award does not count
    assert got["first-session"] == (2.0, "hidden")
    assert got["program-completed"] == (0.0, "empty")
    assert list(got)[-1] == "retired-badge"  # unknown badges come last, by slug


def test_an_empty_course(app):
    ctx = course(app, context_id="empty")
    with app.app_context():
        d = queries.dashboard(ctx, NOW, get_library(), BADGE_ORDER)
    assert [s.people for s in d.funnel] == [0] * 7
    assert d.engagement.sessions_per_month.state == "empty"
    assert all(f.state == "empty" for f in d.health.quadrants.values())
    assert d.pairs_with_alerts == 0
