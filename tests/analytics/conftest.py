"""A course with a known history, built through the real pairs and progress services.

Every date is explicit, so each figure of the dashboard can be worked out by hand; the
expected values are written next to the tests (test_figures.py). Free text the partners write
carries SECRET so tests can check that none of it reaches the dashboard or its export.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest

from lti_tool.badges.models import BadgeAward
from lti_tool.db import db
from lti_tool.lti.models import Membership, User
from lti_tool.modules import get_library
from lti_tool.pairs import services as pairs
from lti_tool.pairs.models import (
    Agreement,
    AgreementVersion,
    Attestation,
    CheckIn,
    Feedback,
    LearningEntry,
    MentoringSession,
    Pair,
    Profile,
    SessionConfirmation,
)
from lti_tool.progress import services as progress
from lti_tool.progress.models import (
    ModuleCompletion,
    QuizAttempt,
    SelfAssessment,
    StepCompletion,
)
from tests.factories import Launched, course, person

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
SECRET = "SECRET"
_keys = itertools.count(1)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def profile_data(role: str) -> dict[str, Any]:
    mentor = role == "mentor"
    return {"role_preference": role, "offers": {"2.1": 4} if mentor else {},
            "wants": [] if mentor else [["2.1", 3, None]], "teach_back_offers": [],
            "teach_back_wants": [], "channels": ["video"], "response_time": "same_day",
            "cadence": "weekly", "slots": ["1-morning"], "timezone": "UTC",
            "career_stage": 1 if mentor else 5, "department": "", "team": "", "site": "",
            "manager_email": None, "languages": ["en"], "in_person_only": False, "pace": None,
            "structure": None, "directness": None, "paused": False, "capacity": 1}


def roster_member(app: Any, ctx: int, name: str) -> int:
    """Someone on the LMS course list who never opened the tool."""
    with app.app_context():
        reg = db.session.execute(db.text(
            "SELECT d.registration_id FROM lti_context c JOIN lti_deployment d "
            "ON d.id = c.deployment_id WHERE c.id = :c"), {"c": ctx}).scalar_one()
        user = User(registration_id=reg, sub=f"roster-{next(_keys)}", name=name,
                    created_at=NOW)
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(context_id=ctx, user_id=user.id, role="learner",
                                  source="roster"))
        db.session.commit()
        return user.id


@dataclass
class PairPlan:
    """What one pair does, in dates; everything happens through the pairs services."""

    formed: datetime
    signed: datetime | None = None
    sessions: list[date] = field(default_factory=list)
    # (side, when, happy, learning), in time order
    checkins: list[tuple[str, datetime, int, bool]] = field(default_factory=list)
    feedback: list[tuple[str, bool]] = field(default_factory=list)  # (giver side, answered)
    entries: list[bool] = field(default_factory=list)  # confirmed?
    attested: bool = False
    completed: datetime | None = None


def run_pair(ctx: int, instructor: int, mentor: int, mentee: int, plan: PairPlan) -> int:
    """Propose, accept and live one pair through the services (inside an app context)."""
    pairs.add_manual_pair(ctx, instructor, mentor, mentee, "planned", plan.formed)
    (pair,), _skipped = pairs.send_proposals(ctx, plan.formed)
    for user in (mentor, mentee):
        pairs.respond_to_proposal(pair, user, "accept", "", plan.formed)
    db.session.commit()
    side = {"mentor": mentor, "mentee": mentee}
    if plan.signed:
        pairs.save_agreement(pair, mentor, 0, {
            "cadence": "weekly", "channels": ["video"], "confidentiality": True,
            "ground_rules": SECRET + " rules", "goals": [
                {"direction": "mentee", "text": SECRET + " goal", "competence_id": "2.1",
                 "target_level": 3}]}, plan.signed)
        pairs.sign_agreement(pair, mentor, 1, plan.signed)
        pairs.sign_agreement(pair, mentee, 2, plan.signed)
    for i, held in enumerate(plan.sessions):
        logger, other = (mentor, mentee) if i % 2 == 0 else (mentee, mentor)
        when = datetime(held.year, held.month, held.day, 18, tzinfo=UTC)
        session = pairs.log_session(pair, logger, held, 60, SECRET + " topics", when)
        pairs.confirm_session(pair, session, other, when)
    for who, when, happy, learning in plan.checkins:
        pairs.record_checkin(pair, side[who], happy, learning, SECRET + " note", when)
    for giver, answered in plan.feedback:
        fb = pairs.give_feedback(pair, side[giver], {"kind": "sbi", "situation": SECRET,
                                                     "behaviour": SECRET, "impact": SECRET},
                                 plan.formed)
        if answered:
            pairs.acknowledge_feedback(pair, fb, fb.receiver_id, "try", SECRET, plan.formed)
    for confirmed in plan.entries:
        entry = pairs.add_learning_entry(pair, mentor, SECRET + " learned", plan.formed)
        if confirmed:
            pairs.confirm_learning_entry(pair, entry, plan.formed)
    if plan.attested:
        pairs.attest(pair, mentor, "2.1", 3, SECRET + " task", plan.formed.date(), plan.formed)
    if plan.completed:
        for user in (mentor, mentee):
            pairs.mark_complete(pair, user, plan.completed)
    db.session.commit()
    return pair.id


# The six formed pairs of course A (mentor Ln, mentee Ln+1), worked out in test_figures.py.
def plans() -> list[PairPlan]:
    return [
        PairPlan(at(3, 5), at(3, 10),
                 [date(2025, 3, 12), date(2025, 4, 12), date(2025, 5, 12), date(2025, 6, 20)],
                 [("mentor", at(3, 12, 20), 3, True), ("mentor", at(4, 12, 20), 4, True),
                  ("mentor", at(5, 12, 20), 5, True), ("mentor", at(6, 20, 20), 5, True),
                  ("mentee", at(3, 13), 2, False), ("mentee", at(6, 21), 4, True)],
                 [("mentor", True), ("mentee", True)], [True, True, False], attested=True),
        PairPlan(at(3, 8), at(3, 10),
                 [date(2025, 3, 15), date(2025, 3, 29), date(2025, 6, 25)],
                 [("mentor", at(3, 15, 20), 4, True), ("mentor", at(3, 29, 20), 4, True),
                  ("mentor", at(4, 29, 20), 4, True), ("mentor", at(5, 29, 20), 4, True),
                  ("mentor", at(6, 25, 20), 4, False), ("mentee", at(6, 26), 5, True)],
                 [("mentor", True)], [True]),
        PairPlan(at(3, 11), at(3, 20), [date(2025, 3, 25), date(2025, 4, 8)],
                 [("mentor", at(3, 25, 20), 1, False), ("mentee", at(4, 8, 20), 2, False)],
                 [("mentor", True), ("mentee", True)], completed=at(5, 1)),
        PairPlan(at(3, 15), at(3, 18),
                 [date(2025, 3, 20), date(2025, 4, 3), date(2025, 4, 17), date(2025, 5, 1),
                  date(2025, 6, 15)],
                 [("mentor", at(3, 20, 20), 3, True), ("mentee", at(3, 21), 5, True),
                  ("mentor", at(6, 15, 20), 3, True), ("mentee", at(6, 16), 4, True)],
                 [("mentor", True), ("mentee", False)], attested=True),
        PairPlan(at(3, 21), at(4, 1), [date(2025, 4, 5), date(2025, 6, 10)],
                 [("mentor", at(6, 10, 20), 2, False), ("mentee", at(6, 11), 4, True)]),
        PairPlan(at(4, 3), None, [],
                 [("mentor", at(4, 10), 5, True), ("mentee", at(4, 11), 5, True)]),
    ]


@dataclass
class World:
    app: Any
    client: Any
    ctx: int
    teacher: Launched
    learners: list[Launched]  # L1..L14 (index 0 is L1)
    other_ctx: int
    other_teacher: Launched
    pair_ids: list[int]

    def L(self, n: int) -> int:  # noqa: N802 - the scenario's names
        return self.learners[n - 1].user_id

    def get(self, who: Launched, url: str, **query: Any) -> Any:
        return self.client.get(url, query_string=who.q(**query))

    def html(self, who: Launched, url: str = "/analytics", **query: Any) -> str:
        resp = self.get(who, url, **query)
        assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:500])
        return resp.get_data(as_text=True)


def submit(user: int, ctx: int, slug: str, step_id: str, when: datetime,
           pair: Pair | None = None, **data: Any) -> None:
    module = get_library().get(slug)
    assert module is not None
    step = module.step(step_id)
    assert step is not None
    progress.submit_step(user, ctx, module, step, data, pair=pair, now=when)
    db.session.commit()


D3_RIGHT = {"q1": ["b"], "q2": ["c"], "q3": ["a"]}
D3_WRONG = {"q1": ["a"], "q2": ["a"], "q3": ["b"]}


def run_modules(w: World) -> None:
    """Module work of course A (inside an app context); see test_figures.py for the sums."""
    ctx = w.ctx
    p1 = "p1-how-reverse-mentoring-works"
    baseline_21 = {2: 1, 4: 2, 6: 1, 8: 2, 10: 1, 12: 1}
    for n, level in baseline_21.items():
        u = w.L(n)
        submit(u, ctx, p1, "welcome", at(3, 2))
        submit(u, ctx, p1, "choosing", at(3, 2))
        submit(u, ctx, p1, "baseline", at(3, 2, 11), ratings={
            "1.1": 2 if n != 4 else 3, "2.1": level, "3.1": 2, "4.1": 2, "5.4": 2})
    d3 = "d3-video-calls-and-chat"
    later_21 = {1: 5, 2: 3, 3: 5, 4: 3, 6: 2, 8: 2, 10: 4}
    passes = {1: True, 2: True, 3: True, 4: True, 6: False, 8: True, 10: False}
    for n, level in later_21.items():
        u = w.L(n)
        submit(u, ctx, d3, "before", at(5, 1), ratings={"2.1": level, "2.5": 3})
        submit(u, ctx, d3, "join-host", at(5, 1))
        submit(u, ctx, d3, "share-chat", at(5, 1))
        submit(u, ctx, d3, "check", at(5, 1, 12), submission=f"k{next(_keys)}",
               answers=D3_RIGHT if passes[n] else D3_WRONG)
    for mentor, mentee, pair_id in ((1, 2, w.pair_ids[0]), (3, 4, w.pair_ids[1])):
        pair = db.session.get(Pair, pair_id)
        submit(w.L(mentor), ctx, d3, "together", at(5, 2), pair=pair)
        submit(w.L(mentee), ctx, d3, "together", at(5, 2), pair=pair)
    d1 = "d1-search-and-check-sources"
    for n in (2, 4):
        submit(w.L(n), ctx, d1, "before", at(5, 10), ratings={"1.1": 3, "1.2": 2})
    submit(w.L(5), ctx, "m1-active-listening", "welcome", at(5, 10))


def build_world(app: Any, client: Any) -> World:
    ctx = course(app)
    teacher = person(app, ctx, role="instructor", name="Irene Instructor")
    learners = [person(app, ctx, name=f"Learner {n:02d} Zed") for n in range(1, 15)]
    for n in (1, 2):
        roster_member(app, ctx, f"Roster {n} Zed")
    other_ctx = course(app, context_id="course-2", title="Other course")
    other_teacher = person(app, other_ctx, role="instructor", name="Otto Other")
    others = [person(app, other_ctx, name=f"Other {n} Zed") for n in range(1, 3)]
    w = World(app, client, ctx, teacher, learners, other_ctx, other_teacher, [])
    joined = {n: at(3, 1) for n in range(1, 11)} | {11: at(4, 1), 12: at(4, 1),
                                                    13: at(6, 1), 14: at(6, 1)}
    with app.app_context():
        for n, when in joined.items():
            pairs.save_profile(ctx, w.L(n), profile_data("mentor" if n % 2 else "mentee"), when)
        for i, who in enumerate(others):
            pairs.save_profile(other_ctx, who.user_id,
                               profile_data("mentor" if i == 0 else "mentee"), at(3, 1))
        db.session.commit()
        for i, plan in enumerate(plans()):
            w.pair_ids.append(run_pair(ctx, teacher.user_id, w.L(2 * i + 1), w.L(2 * i + 2),
                                       plan))
        # L13 and L14: proposed on 10 June, only the mentor has answered.
        pairs.add_manual_pair(ctx, teacher.user_id, w.L(13), w.L(14), "planned", at(6, 10))
        (open_pair,), _ = pairs.send_proposals(ctx, at(6, 10))
        pairs.respond_to_proposal(open_pair, w.L(13), "accept", "", at(6, 11))
        db.session.commit()
        # The other course: one busy pair, so its rows sit next to course A's.
        run_pair(other_ctx, other_teacher.user_id, others[0].user_id, others[1].user_id,
                 PairPlan(at(3, 1), at(3, 2), [date(2025, 6, 29)] * 3,
                          [("mentor", at(6, 29), 1, False), ("mentee", at(6, 29), 1, False)],
                          [("mentor", True), ("mentee", True)], [True], attested=True))
        for who in others:
            submit(who.user_id, other_ctx, "d3-video-calls-and-chat", "before", at(3, 1),
                   ratings={"2.1": 1, "2.5": 1})
        run_modules(w)
    return w


@pytest.fixture
def world(app: Any, client: Any) -> World:
    return build_world(app, client)


# --- many pairs, fast: rows written directly (for counting SQL statements) --------------------


def bulk_course(app: Any, n_pairs: int, context_id: str) -> Launched:
    """A course with `n_pairs` busy pairs and rows in every table the dashboard reads."""
    ctx = course(app, context_id=context_id, title=context_id)
    teacher = person(app, ctx, role="instructor")
    people = [person(app, ctx) for _ in range(2 * n_pairs)]
    with app.app_context():
        for i in range(n_pairs):
            mentor, mentee = people[2 * i].user_id, people[2 * i + 1].user_id
            for u, role in ((mentor, "mentor"), (mentee, "mentee")):
                pairs.save_profile(ctx, u, profile_data(role), at(3, 1))
            status = "completed" if i % 3 == 0 else "active"
            pair = Pair(context_id=ctx, mentor_id=mentor, mentee_id=mentee, status=status,
                        proposed_at=at(3, 2), mentor_accepted_at=at(3, 3),
                        mentee_accepted_at=at(3, 3), formed_at=at(3, 3),
                        completed_at=at(6, 1) if status == "completed" else None)
            db.session.add(pair)
            db.session.flush()
            agreement = Agreement(pair_id=pair.id, revision=3, created_at=at(3, 3),
                                  updated_at=at(3, 4))
            db.session.add(agreement)
            db.session.flush()
            db.session.add(AgreementVersion(agreement_id=agreement.id, number=1,
                                            cadence="weekly", created_at=at(3, 3),
                                            mentor_signed_at=at(3, 4),
                                            mentee_signed_at=at(3, 4), signed_at=at(3, 4)))
            for k, held in enumerate((date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 20))):
                s = MentoringSession(pair_id=pair.id, created_by=mentor, held_on=held,
                                     minutes=60, logged_by=mentor, logged_at=at(6, 20),
                                     confirmed_at=at(6, 21))
                db.session.add(s)
                db.session.flush()
                for u in (mentor, mentee):
                    db.session.add(SessionConfirmation(session_id=s.id, user_id=u,
                                                       confirmed_at=at(6, 21)))
                for u in (mentor, mentee):
                    db.session.add(CheckIn(pair_id=pair.id, user_id=u, session_id=s.id,
                                           happy=3 + k % 3, learning=bool(k % 2),
                                           recorded_at=at(6, 21)))
            for giver, receiver in ((mentor, mentee), (mentee, mentor)):
                db.session.add(Feedback(pair_id=pair.id, giver_id=giver, receiver_id=receiver,
                                        kind="sbi", acknowledged_at=at(6, 22), action="try"))
            db.session.add(LearningEntry(pair_id=pair.id, mentor_id=mentor, text="x",
                                         confirmed_at=at(6, 22)))
            db.session.add(Attestation(pair_id=pair.id, mentor_id=mentor, mentee_id=mentee,
                                       competence_id="2.1", level=3, task="x",
                                       observed_on=date(2025, 6, 1)))
            for u in (mentor, mentee):
                for when, level in ((at(3, 2), 2), (at(6, 2), 4)):
                    db.session.add(SelfAssessment(user_id=u, context_id=ctx, source="x",
                                                  ratings={"2.1": level, "4.2": level},
                                                  recorded_at=when))
                db.session.add(StepCompletion(user_id=u, context_id=ctx,
                                              module_slug="d3-video-calls-and-chat",
                                              step_id="before", kind="self-assessment",
                                              content_version=1))
                db.session.add(QuizAttempt(user_id=u, context_id=ctx,
                                           module_slug="d3-video-calls-and-chat",
                                           step_id="check", content_version=1,
                                           submission_key=f"b{next(_keys)}", answers={},
                                           right=3, total=3, passed=True))
                db.session.add(ModuleCompletion(user_id=u, context_id=ctx,
                                                module_slug="d3-video-calls-and-chat",
                                                content_version=1, score=1.0, passed=True))
                db.session.add(award(u, ctx, "pair-formed"))
        db.session.commit()
    return teacher


def award(user_id: int, ctx: int, slug: str, revoked: bool = False) -> BadgeAward:
    n = next(_keys)
    return BadgeAward(user_id=user_id, context_id=ctx, badge_slug=slug, badge_version=1,
                      credential_id=f"urn:uuid:test-{n}", status_index=10_000 + n,
                      credential_json={}, recipient_salt="salt", identity_hash="sha256$x",
                      revoked_at=NOW if revoked else None)


__all__ = ["NOW", "SECRET", "Profile", "World", "award", "bulk_course"]
