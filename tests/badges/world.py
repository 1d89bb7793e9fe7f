"""A course with a mentor and a mentee, driven through the real pairs services (which send the
real events), and shortcuts for progress facts (rows + the documented signals).

Test modules define a `world` fixture with make_world(make_app).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lti_tool import events
from lti_tool.badges.models import BadgeAward
from lti_tool.db import db
from lti_tool.pairs import services as pairs
from lti_tool.pairs.models import Agreement, Feedback, LearningEntry, MentoringSession, Pair
from lti_tool.progress.models import ModuleCompletion, SelfAssessment
from tests.factories import Launched, course, person

FORMED = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
SECRET = "PRIVATE-PAIR-TEXT"  # written into every free-text field; must never reach a badge


def at(days: float) -> datetime:
    """A moment `days` after the pair formed."""
    return FORMED + timedelta(days=days)


@dataclass
class World:
    app: Any
    ctx: int
    teacher: Launched
    mentor: Launched
    mentee: Launched
    pair_id: int | None = None

    # -- plumbing ---------------------------------------------------------------------------
    def _pair(self) -> Pair:
        pair = db.session.get(Pair, self.pair_id)
        assert pair is not None
        return pair

    def run(self, work: Any) -> Any:
        with self.app.app_context():
            result = work()
            db.session.commit()
            return result

    # -- pairs (real services, real events) -------------------------------------------------
    def form_pair(self, when: datetime = FORMED) -> int:
        def work() -> int:
            pair = Pair(context_id=self.ctx, mentor_id=self.mentor.user_id,
                        mentee_id=self.mentee.user_id, status="proposed",
                        proposed_at=when - timedelta(days=1))
            db.session.add(pair)
            db.session.flush()
            pairs.respond_to_proposal(pair, self.mentor.user_id, "accept", "", when)
            pairs.respond_to_proposal(pair, self.mentee.user_id, "accept", "", when)
            return pair.id
        self.pair_id = self.run(work)
        return self.pair_id

    def sign_agreement(self, when: datetime, *, competence: str = "2.1",
                       confidentiality: bool = True, mentor_goal: bool = True) -> None:
        def work() -> None:
            pair = self._pair()
            agreement = db.session.scalar(db.select(Agreement).where(Agreement.pair_id == pair.id))
            goals = [{"direction": "mentee", "text": f"{SECRET} goal", "competence_id": competence,
                      "target_level": 3}]
            if mentor_goal:
                goals.append({"direction": "mentor", "text": f"{SECRET} mentor goal",
                              "competence_id": None, "target_level": None})
            pairs.save_agreement(pair, self.mentor.user_id, agreement.revision, {
                "cadence": "weekly", "channels": ["video"], "confidentiality": confidentiality,
                "ground_rules": SECRET, "goals": goals}, when)
            db.session.refresh(agreement)
            pairs.sign_agreement(pair, self.mentor.user_id, agreement.revision, when)
            db.session.refresh(agreement)
            pairs.sign_agreement(pair, self.mentee.user_id, agreement.revision, when)
        self.run(work)

    def session(self, held_on: date, minutes: int = 45, when: datetime | None = None) -> None:
        moment = when or datetime.combine(held_on, datetime.min.time(), UTC) + timedelta(hours=18)

        def work() -> None:
            pair = self._pair()
            s = pairs.log_session(pair, self.mentor.user_id, held_on, minutes, SECRET, moment)
            pairs.confirm_session(pair, s, self.mentee.user_id, moment)
        self.run(work)

    def sessions(self, first_day: float, count: int, every_days: int = 7) -> None:
        for i in range(count):
            self.session((FORMED + timedelta(days=first_day + i * every_days)).date())

    def feedback(self, giver: Launched, when: datetime, kind: str = "sbi",
                 acknowledge: bool = True) -> None:
        def work() -> None:
            pair = self._pair()
            fb = pairs.give_feedback(pair, giver.user_id, {
                "kind": kind, "situation": SECRET, "behaviour": SECRET, "impact": SECRET,
                "suggestion_1": SECRET, "suggestion_2": SECRET}, when)
            if acknowledge:
                pairs.acknowledge_feedback(pair, fb, pair.partner_of(giver.user_id), "try",
                                           SECRET, when)
        self.run(work)

    def checkin(self, who: Launched, when: datetime, kind: str = "pulse") -> None:
        self.run(lambda: pairs.record_checkin(self._pair(), who.user_id, 4, True, SECRET, when,
                                              kind=kind))

    def learning_entry(self, when: datetime, confirm: bool = True) -> None:
        def work() -> None:
            pair = self._pair()
            entry = pairs.add_learning_entry(pair, self.mentor.user_id, SECRET, when)
            if confirm:
                pairs.confirm_learning_entry(pair, entry, when)
        self.run(work)

    def attest(self, competence: str, when: datetime) -> None:
        self.run(lambda: pairs.attest(self._pair(), self.mentor.user_id, competence, 3, SECRET,
                                      when.date(), when))

    def complete(self, when: datetime) -> None:
        def work() -> None:
            pair = self._pair()
            pairs.mark_complete(pair, self.mentor.user_id, when)
            pairs.mark_complete(pair, self.mentee.user_id, when)
        self.run(work)

    # -- progress (rows + the documented signals, as the progress area sends them) ----------
    def pass_module(self, who: Launched, slug: str, when: datetime, passed: bool = True) -> None:
        def work() -> None:
            db.session.add(ModuleCompletion(user_id=who.user_id, context_id=self.ctx,
                                            module_slug=slug, content_version=1, score=1.0,
                                            passed=passed, completed_at=when, updated_at=when))
            db.session.flush()
            events.module_completed.send("tests", user_id=who.user_id, context_id=self.ctx,
                                         module_slug=slug, content_version=1, score=1.0,
                                         passed=passed, completed_at=when)
        self.run(work)

    def rate(self, who: Launched, ratings: dict[str, int], when: datetime, step: str) -> None:
        def work() -> None:
            db.session.add(SelfAssessment(user_id=who.user_id, context_id=self.ctx,
                                          source="d1-search-and-check-sources",
                                          module_slug="d1-search-and-check-sources",
                                          step_id=step, content_version=1, ratings=ratings,
                                          framework="2.2", recorded_at=when))
            db.session.flush()
            events.self_assessment_recorded.send("tests", user_id=who.user_id,
                                                 context_id=self.ctx, ratings=ratings,
                                                 source="d1-search-and-check-sources",
                                                 recorded_at=when)
        self.run(work)

    # -- what was awarded -------------------------------------------------------------------
    def awards(self, who: Launched | None = None) -> list[BadgeAward]:
        with self.app.app_context():
            query = db.select(BadgeAward).order_by(BadgeAward.id)
            if who is not None:
                query = query.where(BadgeAward.user_id == who.user_id)
            rows = list(db.session.scalars(query))
            for row in rows:
                db.session.expunge(row)
            return rows

    def slugs(self, who: Launched) -> set[str]:
        return {a.badge_slug for a in self.awards(who)}

    def secrets_anywhere(self) -> list[str]:
        """Every private-text leak found in awards (credential JSON and stored evidence)."""
        import json

        found = []
        for award in self.awards():
            for blob in (award.credential_json, award.evidence):
                if SECRET in json.dumps(blob):
                    found.append(f"{award.badge_slug}: {SECRET} in the badge")
        return found

    # -- one pair through the whole programme -----------------------------------------------
    def full_programme(self) -> None:
        self.form_pair()
        self.sign_agreement(at(3))
        self.sessions(first_day=5, count=8, every_days=14)
        self.feedback(self.mentor, at(20))
        self.feedback(self.mentee, at(21))
        self.checkin(self.mentor, at(95), "midpoint")
        self.checkin(self.mentee, at(96), "midpoint")
        self.learning_entry(at(30))
        self.learning_entry(at(40))
        self.rate(self.mentee, {"2.1": 1}, at(1), "before")
        self.rate(self.mentee, {"2.1": 3}, at(100), "again")
        self.attest("2.1", at(101))
        self.checkin(self.mentor, at(170), "closing")
        self.checkin(self.mentee, at(171), "closing")
        self.complete(at(172))

    def every_badge(self) -> None:
        """The whole programme plus the mentee's learning path: all ten badge types."""
        self.full_programme()
        for i, slug in enumerate(("d1-search-and-check-sources", "d2-cloud-files",
                                  "d3-video-calls-and-chat", "d4-co-editing",
                                  "d5-digital-identity-e-services", "d6-passwords-mfa-phishing",
                                  "f2-feedforward")):
            self.pass_module(self.mentee, slug, at(150 + i))


def make_world(make_app: Any, base_url: str = "http://127.0.0.1:5000", **config: Any) -> World:
    return world_for(make_app(base_url, BADGES_RAISE_ERRORS=True, **config))


def world_for(app: Any) -> World:
    """A course with an instructor, a mentor and a mentee in `app`."""
    ctx = course(app)
    return World(app, ctx, person(app, ctx, role="instructor", name="Irene Instructor"),
                 person(app, ctx, name="Marta Mentor", email="marta@example.org"),
                 person(app, ctx, name="Sergio Senior", email="sergio@example.org"))


def all_feedback_texts(app: Any) -> list[str]:
    with app.app_context():
        return [f.situation for f in db.session.scalars(db.select(Feedback))] + [
            e.text for e in db.session.scalars(db.select(LearningEntry))] + [
            s.topics for s in db.session.scalars(db.select(MentoringSession))]
