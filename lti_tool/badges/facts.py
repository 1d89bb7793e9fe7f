"""What the milestone rules may know: counts, dates, flags and competence ids, read from the
pairs and progress tables. Read-only, and never a column of free text (goals, notes, topics,
feedback, learning entries, attestation notes) — badges must not be able to leak pair content.

Everything is loaded in batches (one query per table for many pairs or people), so the event
handler (one pair) and the back-fill (thousands) share the same code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from ..db import db
from ..pairs.models import (
    Agreement,
    AgreementVersion,
    Attestation,
    CheckIn,
    Feedback,
    Goal,
    LearningEntry,
    MentoringSession,
    Pair,
)
from ..progress.models import ModuleCompletion, SelfAssessment

EVALUATED_STATUSES = ("active", "completed")


@dataclass(frozen=True)
class VersionFacts:
    """One agreement version: who signed when, and the shape of its goals (no goal text)."""

    number: int
    cadence: str | None
    channels: int
    confidentiality: bool
    mentor_signed_at: datetime | None
    mentee_signed_at: datetime | None
    signed_at: datetime | None
    mentee_goals: tuple[tuple[str | None, int | None], ...]  # (competence id, target level)
    mentor_goals: int


@dataclass(frozen=True)
class SessionFacts:
    held_on: date
    minutes: int
    confirmed_at: datetime


@dataclass(frozen=True)
class FeedbackFacts:
    giver_id: int
    kind: str
    acknowledged_at: datetime | None
    has_action: bool


@dataclass(frozen=True)
class CheckInFacts:
    user_id: int
    kind: str
    recorded_at: datetime


@dataclass(frozen=True)
class AttestationFacts:
    competence_id: str
    observed_on: date
    attested_at: datetime


@dataclass
class PairFacts:
    """A pair as the rules see it."""

    id: int
    context_id: int
    mentor_id: int
    mentee_id: int
    status: str
    formed_at: datetime | None
    mentor_accepted_at: datetime | None
    mentee_accepted_at: datetime | None
    completed_at: datetime | None
    versions: list[VersionFacts] = field(default_factory=list)
    sessions: list[SessionFacts] = field(default_factory=list)  # confirmed by both only
    feedback: list[FeedbackFacts] = field(default_factory=list)
    checkins: list[CheckInFacts] = field(default_factory=list)
    learning_confirmed: list[datetime] = field(default_factory=list)
    attestations: list[AttestationFacts] = field(default_factory=list)

    def side_of(self, user_id: int) -> str | None:
        return ("mentor" if user_id == self.mentor_id else "mentee" if user_id == self.mentee_id
                else None)

    def partner_of(self, user_id: int) -> int:
        return self.mentee_id if user_id == self.mentor_id else self.mentor_id

    @property
    def signed_versions(self) -> list[VersionFacts]:
        return [v for v in self.versions if v.signed_at is not None]

    def goal_competences(self) -> list[str]:
        """Competences of the mentee's goals in every version both partners signed."""
        seen: dict[str, None] = {}
        for version in self.signed_versions:
            for competence, _level in version.mentee_goals:
                if competence:
                    seen[competence] = None
        return list(seen)


@dataclass(frozen=True)
class Rating:
    recorded_at: datetime
    ratings: dict[str, int]


@dataclass
class PersonFacts:
    """One learner in one course: modules passed and self-assessments over time."""

    user_id: int
    context_id: int
    passed: dict[str, datetime] = field(default_factory=dict)  # module slug -> completed_at
    ratings: list[Rating] = field(default_factory=list)  # oldest first


def pairs_by_id(pair_ids: Sequence[int]) -> list[PairFacts]:
    """Facts of the given pairs (only active or completed ones: the others earn nothing)."""
    if not pair_ids:
        return []
    rows = db.session.execute(
        select(Pair.id, Pair.context_id, Pair.mentor_id, Pair.mentee_id, Pair.status,
               Pair.formed_at, Pair.mentor_accepted_at, Pair.mentee_accepted_at,
               Pair.completed_at)
        .where(Pair.id.in_(list(pair_ids)), Pair.status.in_(EVALUATED_STATUSES))
        .order_by(Pair.id)).all()
    return _load([PairFacts(*row) for row in rows])


def pairs_of_person(user_id: int, context_id: int) -> list[PairFacts]:
    """The active and completed pairs a learner is in, in one course."""
    ids = db.session.scalars(select(Pair.id).where(
        Pair.context_id == context_id, Pair.status.in_(EVALUATED_STATUSES),
        (Pair.mentor_id == user_id) | (Pair.mentee_id == user_id))).all()
    return pairs_by_id(list(ids))


def evaluated_pair_ids(context_id: int | None = None) -> list[int]:
    """Every active or completed pair (of one course, or all), oldest first."""
    query = select(Pair.id).where(Pair.status.in_(EVALUATED_STATUSES)).order_by(Pair.id)
    if context_id is not None:
        query = query.where(Pair.context_id == context_id)
    return list(db.session.scalars(query))


def _load(pairs: list[PairFacts]) -> list[PairFacts]:
    if not pairs:
        return pairs
    by_id = {p.id: p for p in pairs}
    ids = list(by_id)

    goals: dict[int, list[tuple[str, str | None, int | None]]] = defaultdict(list)
    versions = db.session.execute(
        select(Agreement.pair_id, AgreementVersion.id, AgreementVersion.number,
               AgreementVersion.cadence, AgreementVersion.channels,
               AgreementVersion.confidentiality, AgreementVersion.mentor_signed_at,
               AgreementVersion.mentee_signed_at, AgreementVersion.signed_at)
        .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
        .where(Agreement.pair_id.in_(ids)).order_by(Agreement.pair_id, AgreementVersion.number)
    ).all()
    version_ids = [v[1] for v in versions]
    if version_ids:
        # Direction, competence and level only: the goal's text stays in the pairs area.
        for version_id, direction, competence, level in db.session.execute(
                select(Goal.version_id, Goal.direction, Goal.competence_id, Goal.target_level)
                .where(Goal.version_id.in_(version_ids)).order_by(Goal.position)):
            goals[version_id].append((direction, competence, level))
    for pair_id, vid, number, cadence, channels, confidential, m_at, n_at, signed in versions:
        rows = goals.get(vid, [])
        by_id[pair_id].versions.append(VersionFacts(
            number=number, cadence=cadence, channels=len(channels or []),
            confidentiality=bool(confidential), mentor_signed_at=m_at, mentee_signed_at=n_at,
            signed_at=signed,
            mentee_goals=tuple((c, lvl) for d, c, lvl in rows if d == "mentee"),
            mentor_goals=sum(1 for d, _c, _l in rows if d == "mentor")))

    for pair_id, held_on, minutes, confirmed_at in db.session.execute(
            select(MentoringSession.pair_id, MentoringSession.held_on, MentoringSession.minutes,
                   MentoringSession.confirmed_at)
            .where(MentoringSession.pair_id.in_(ids), MentoringSession.confirmed_at.is_not(None),
                   MentoringSession.held_on.is_not(None))
            .order_by(MentoringSession.held_on, MentoringSession.id)):
        if held_on is not None and confirmed_at is not None:  # filtered above; for the types
            by_id[pair_id].sessions.append(SessionFacts(held_on, int(minutes or 0),
                                                        confirmed_at))

    for pair_id, giver_id, kind, acknowledged_at, action in db.session.execute(
            select(Feedback.pair_id, Feedback.giver_id, Feedback.kind, Feedback.acknowledged_at,
                   Feedback.action)
            .where(Feedback.pair_id.in_(ids)).order_by(Feedback.id)):
        by_id[pair_id].feedback.append(FeedbackFacts(giver_id, kind, acknowledged_at,
                                                     action is not None))

    for pair_id, user_id, kind, recorded_at in db.session.execute(
            select(CheckIn.pair_id, CheckIn.user_id, CheckIn.kind, CheckIn.recorded_at)
            .where(CheckIn.pair_id.in_(ids)).order_by(CheckIn.recorded_at, CheckIn.id)):
        by_id[pair_id].checkins.append(CheckInFacts(user_id, kind, recorded_at))

    for pair_id, confirmed_at in db.session.execute(
            select(LearningEntry.pair_id, LearningEntry.confirmed_at)
            .where(LearningEntry.pair_id.in_(ids), LearningEntry.confirmed_at.is_not(None))
            .order_by(LearningEntry.confirmed_at)):
        if confirmed_at is not None:
            by_id[pair_id].learning_confirmed.append(confirmed_at)

    for pair_id, competence, observed_on, attested_at in db.session.execute(
            select(Attestation.pair_id, Attestation.competence_id, Attestation.observed_on,
                   Attestation.attested_at)
            .where(Attestation.pair_id.in_(ids)).order_by(Attestation.attested_at)):
        by_id[pair_id].attestations.append(AttestationFacts(competence, observed_on,
                                                            attested_at))
    return pairs


def people(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], PersonFacts]:
    """Facts of learners, keyed by (user id, course id)."""
    wanted = set(keys)
    found = {k: PersonFacts(*k) for k in wanted}
    if not wanted:
        return found
    users = sorted({u for u, _c in wanted})
    contexts = sorted({c for _u, c in wanted})
    for user_id, context_id, slug, completed_at in db.session.execute(
            select(ModuleCompletion.user_id, ModuleCompletion.context_id,
                   ModuleCompletion.module_slug, ModuleCompletion.completed_at)
            .where(ModuleCompletion.user_id.in_(users), ModuleCompletion.context_id.in_(contexts),
                   ModuleCompletion.passed.is_(True))):
        person = found.get((user_id, context_id))
        if person is not None:
            person.passed[slug] = completed_at
    for user_id, context_id, recorded_at, ratings in db.session.execute(
            select(SelfAssessment.user_id, SelfAssessment.context_id, SelfAssessment.recorded_at,
                   SelfAssessment.ratings)
            .where(SelfAssessment.user_id.in_(users), SelfAssessment.context_id.in_(contexts))
            .order_by(SelfAssessment.recorded_at, SelfAssessment.id)):
        person = found.get((user_id, context_id))
        if person is not None and isinstance(ratings, dict):
            clean = {str(c): int(v) for c, v in ratings.items()
                     if isinstance(v, int) or (isinstance(v, str) and v.isdigit())}
            person.ratings.append(Rating(recorded_at, clean))
    return found
