"""Read models for the pairs pages: status, the five steps, alerts and the pair's charter.

Status and alerts are computed on read from counts and dates (program.md §5.2), so they never
go stale. The instructor's read model selects only ids, dates, numbers and flags — never a
column holding notes, goals, topics or feedback text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from ..db import db
from ..lti.models import User
from .availability import mask_int, slots_overlapping
from .models import (
    LIVE_STATUSES,
    Agreement,
    AgreementVersion,
    Attestation,
    CheckIn,
    Feedback,
    InfoRequest,
    LearningEntry,
    MatchRun,
    MentoringSession,
    Pair,
    Profile,
    Proposal,
)
from .vocabulary import CHANNELS, RESPONSE_TIMES

FIRST_SESSION_DAYS = 14
STALL_DAYS = 21
AGREEMENT_DAYS = 21
CONSENT_DAYS = 7
LOW_PULSE = 2
ONE_SIDED_SHARE = 0.8
ONE_SIDED_MIN_ENTRIES = 5  # fewer entries say nothing about balance
ONE_WAY_FEEDBACK_MIN = 2

STEPS = ("profile", "partner", "agreement", "first_session", "feedback")
ALERTS = ("awaiting_consent", "info_requested", "no_first_session", "stalled",
          "agreement_unsigned", "low_pulse", "one_sided")


@dataclass
class PairFacts:
    """Metadata of one pair: who, status, dates and counts. No free text."""

    pair: Pair
    mentor_name: str = ""
    mentee_name: str = ""
    score: float | None = None
    source: str | None = None
    agreement_version: int | None = None
    agreement_signed_at: datetime | None = None  # newest version both signed
    current_version_signed: bool = False
    sessions_planned: int = 0
    sessions_waiting: int = 0  # logged, not yet confirmed by both
    sessions_confirmed: int = 0
    first_session_on: date | None = None
    last_session_on: date | None = None
    feedback_given: dict[str, int] = field(default_factory=lambda: {"mentor": 0, "mentee": 0})
    feedback_acknowledged: dict[str, int] = field(
        default_factory=lambda: {"mentor": 0, "mentee": 0})  # by giver's side
    checkins: int = 0
    latest_happy: dict[str, int] = field(default_factory=dict)  # side → last pulse
    learning_entries: int = 0
    learning_confirmed: int = 0
    attestations: int = 0
    info_requests: int = 0
    activity: dict[str, int] = field(default_factory=lambda: {"mentor": 0, "mentee": 0})
    alerts: list[str] = field(default_factory=list)

    @property
    def steps_done(self) -> dict[str, bool]:
        return {
            "profile": True,
            "partner": self.pair.status in ("active", "completed"),
            "agreement": self.agreement_signed_at is not None,
            "first_session": self.sessions_confirmed > 0,
            "feedback": all(self.feedback_acknowledged[s] > 0 for s in ("mentor", "mentee")),
        }

    @property
    def current_step(self) -> str | None:
        """The first of the five steps not done yet (None when all are)."""
        return next((s for s, done in self.steps_done.items() if not done), None)


def _days(later: datetime | date, earlier: datetime | date) -> int:
    if isinstance(later, datetime):
        later = later.date()
    if isinstance(earlier, datetime):
        earlier = earlier.date()
    return (later - earlier).days


def alerts_for(f: PairFacts, now: datetime) -> list[str]:
    """Alert codes for a pair, in a fixed order (see ALERTS)."""
    pair, out = f.pair, []
    if pair.status == "proposed":
        if _days(now, pair.proposed_at) > CONSENT_DAYS:
            out.append("awaiting_consent")
        if f.info_requests:
            out.append("info_requested")
        return out
    if pair.status != "active" or pair.formed_at is None:
        return out
    since_formed = _days(now, pair.formed_at)
    if f.sessions_confirmed == 0 and since_formed > FIRST_SESSION_DAYS:
        out.append("no_first_session")
    if f.last_session_on is not None and _days(now, f.last_session_on) > STALL_DAYS:
        out.append("stalled")
    if f.agreement_signed_at is None and since_formed > AGREEMENT_DAYS:
        out.append("agreement_unsigned")
    if any(h <= LOW_PULSE for h in f.latest_happy.values()):
        out.append("low_pulse")
    total = sum(f.activity.values())
    given = [f.feedback_given[s] for s in ("mentor", "mentee")]
    lopsided = total >= ONE_SIDED_MIN_ENTRIES and max(f.activity.values()) > ONE_SIDED_SHARE * total
    one_way = sum(given) >= ONE_WAY_FEEDBACK_MIN and min(given) == 0
    if lopsided or one_way:
        out.append("one_sided")
    return out


def pair_facts(pairs: Sequence[Pair], now: datetime) -> list[PairFacts]:
    """Facts for many pairs with one query per table (ids, dates and numbers only)."""
    if not pairs:
        return []
    ids = [p.id for p in pairs]
    facts = {p.id: PairFacts(pair=p) for p in pairs}
    sides = {p.id: {p.mentor_id: "mentor", p.mentee_id: "mentee"} for p in pairs}
    people = {u for p in pairs for u in (p.mentor_id, p.mentee_id)}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(people))).all())
    for p in pairs:
        facts[p.id].mentor_name = names.get(p.mentor_id) or f"#{p.mentor_id}"
        facts[p.id].mentee_name = names.get(p.mentee_id) or f"#{p.mentee_id}"
    proposals = {p.proposal_id for p in pairs if p.proposal_id}
    if proposals:
        for pid, score, source in db.session.execute(
                select(Proposal.id, Proposal.score, Proposal.source)
                .where(Proposal.id.in_(proposals))):
            for p in pairs:
                if p.proposal_id == pid:
                    facts[p.id].score, facts[p.id].source = score, source

    for pair_id, number, signed_at in db.session.execute(
            select(Agreement.pair_id, AgreementVersion.number, AgreementVersion.signed_at)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(Agreement.pair_id.in_(ids)).order_by(AgreementVersion.number)):
        f = facts[pair_id]
        f.agreement_version = number
        f.current_version_signed = signed_at is not None
        if signed_at is not None:
            f.agreement_signed_at = signed_at

    for pair_id, held_on, logged_by, confirmed_at, logged_at in db.session.execute(
            select(MentoringSession.pair_id, MentoringSession.held_on, MentoringSession.logged_by,
                   MentoringSession.confirmed_at, MentoringSession.logged_at)
            .where(MentoringSession.pair_id.in_(ids))):
        f = facts[pair_id]
        if logged_at is None:
            f.sessions_planned += 1
            continue
        if logged_by in sides[pair_id]:
            f.activity[sides[pair_id][logged_by]] += 1
        if confirmed_at is None or held_on is None:
            f.sessions_waiting += 1
            continue
        f.sessions_confirmed += 1
        if f.first_session_on is None or held_on < f.first_session_on:
            f.first_session_on = held_on
        if f.last_session_on is None or held_on > f.last_session_on:
            f.last_session_on = held_on

    for pair_id, giver_id, acknowledged_at in db.session.execute(
            select(Feedback.pair_id, Feedback.giver_id, Feedback.acknowledged_at)
            .where(Feedback.pair_id.in_(ids))):
        side = sides[pair_id].get(giver_id)
        if side:
            f = facts[pair_id]
            f.feedback_given[side] += 1
            f.activity[side] += 1
            if acknowledged_at is not None:
                f.feedback_acknowledged[side] += 1

    for pair_id, user_id, happy in db.session.execute(
            select(CheckIn.pair_id, CheckIn.user_id, CheckIn.happy)
            .where(CheckIn.pair_id.in_(ids)).order_by(CheckIn.recorded_at, CheckIn.id)):
        side = sides[pair_id].get(user_id)
        if side:
            f = facts[pair_id]
            f.checkins += 1
            f.activity[side] += 1
            f.latest_happy[side] = happy

    for pair_id, confirmed_at in db.session.execute(
            select(LearningEntry.pair_id, LearningEntry.confirmed_at)
            .where(LearningEntry.pair_id.in_(ids))):
        f = facts[pair_id]
        f.learning_entries += 1
        f.activity["mentor"] += 1
        if confirmed_at is not None:
            f.learning_confirmed += 1

    for pair_id, n in db.session.execute(
            select(Attestation.pair_id, func.count()).where(Attestation.pair_id.in_(ids))
            .group_by(Attestation.pair_id)):
        facts[pair_id].attestations = n
    for pair_id, n in db.session.execute(
            select(InfoRequest.pair_id, func.count()).where(InfoRequest.pair_id.in_(ids))
            .group_by(InfoRequest.pair_id)):
        facts[pair_id].info_requests = n

    out = [facts[i] for i in ids]
    for f in out:
        f.alerts = alerts_for(f, now)
    return out


def course_pairs(context_id: int, now: datetime) -> list[PairFacts]:
    """Every pair of a course (any status), newest first, with status and alerts."""
    pairs = db.session.scalars(select(Pair).where(Pair.context_id == context_id)
                               .order_by(Pair.proposed_at.desc(), Pair.id.desc())).all()
    return pair_facts(list(pairs), now)


@dataclass
class ProgramSummary:
    profiles: int
    by_status: Counter[str]
    with_alerts: int
    drafts: int
    last_run_at: datetime | None


def program_summary(context_id: int, now: datetime) -> ProgramSummary:
    """Counts for the instructor's program card."""
    facts = course_pairs(context_id, now)
    profiles = db.session.scalar(select(func.count()).select_from(Profile)
                                 .where(Profile.context_id == context_id)) or 0
    drafts = db.session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.context_id == context_id, Proposal.status == "draft",
        Proposal.queue == "proposed")) or 0
    last_run = db.session.scalar(select(func.max(MatchRun.created_at))
                                 .where(MatchRun.context_id == context_id))
    return ProgramSummary(profiles=profiles, by_status=Counter(f.pair.status for f in facts),
                          with_alerts=sum(1 for f in facts if f.alerts), drafts=drafts,
                          last_run_at=last_run)


@dataclass
class LearnerOverview:
    profile: Profile | None
    pairs: list[PairFacts]  # live and completed pairs this person is in
    current_step: str  # the first unfinished of STEPS

    def side_in(self, f: PairFacts, user_id: int) -> str | None:
        return f.pair.side_of(user_id)


def profile_of(context_id: int, user_id: int) -> Profile | None:
    return db.session.scalar(select(Profile).where(Profile.context_id == context_id,
                                                   Profile.user_id == user_id))


def learner_overview(context_id: int, user_id: int, now: datetime) -> LearnerOverview:
    """The learner's profile, pairs and the current step of the five."""
    profile = profile_of(context_id, user_id)
    pairs = db.session.scalars(select(Pair).where(
        Pair.context_id == context_id, Pair.status.in_((*LIVE_STATUSES, "completed")),
        (Pair.mentor_id == user_id) | (Pair.mentee_id == user_id)).order_by(Pair.id)).all()
    facts = pair_facts(list(pairs), now)
    if profile is None:
        step = "profile"
    elif not facts:
        step = "partner"
    else:
        open_steps = [f.current_step for f in facts if f.current_step]
        step = min(open_steps, key=STEPS.index) if open_steps else "done"
    return LearnerOverview(profile=profile, pairs=facts, current_step=step)


# --- pair pages (partners only) ---------------------------------------------------------------

def sessions_of(pair_id: int) -> list[MentoringSession]:
    return list(db.session.scalars(select(MentoringSession).where(
        MentoringSession.pair_id == pair_id).order_by(
            MentoringSession.held_on.desc().nulls_first(), MentoringSession.starts_at.desc(),
            MentoringSession.id.desc())))


def feedback_of(pair_id: int) -> list[Feedback]:
    return list(db.session.scalars(select(Feedback).where(Feedback.pair_id == pair_id)
                                   .order_by(Feedback.created_at.desc(), Feedback.id.desc())))


def checkins_of(pair_id: int) -> list[CheckIn]:
    return list(db.session.scalars(select(CheckIn).where(CheckIn.pair_id == pair_id)
                                   .order_by(CheckIn.recorded_at.desc(), CheckIn.id.desc())))


def learning_of(pair_id: int) -> list[LearningEntry]:
    return list(db.session.scalars(select(LearningEntry).where(LearningEntry.pair_id == pair_id)
                                   .order_by(LearningEntry.created_at.desc())))


def attestations_of(pair_id: int) -> list[Attestation]:
    return list(db.session.scalars(select(Attestation).where(Attestation.pair_id == pair_id)
                                   .order_by(Attestation.attested_at.desc())))


def agreement_for(pair_id: int) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.pair_id == pair_id))


@dataclass
class Charter:
    """The pair's "how we communicate" page, built from both profiles."""

    shared_channels: list[str]
    channels: dict[str, list[str]]  # side → channels
    response_times: dict[str, str]  # side → expected response time
    answer_within: str  # the slower of the two: what both can rely on
    cadences: dict[str, str]
    shared_slots: list[str]  # in the viewer's time zone
    shared_languages: list[str]
    agreed_cadence: str | None
    agreed_channels: list[str]


def charter(pair: Pair, viewer_timezone: str, now: datetime) -> Charter | None:
    """Shared channels, response times and times of the week; None without both profiles."""
    profiles = {p.user_id: p for p in db.session.scalars(select(Profile).where(
        Profile.context_id == pair.context_id,
        Profile.user_id.in_((pair.mentor_id, pair.mentee_id))))}
    mentor, mentee = profiles.get(pair.mentor_id), profiles.get(pair.mentee_id)
    if mentor is None or mentee is None:
        return None
    shared = mask_int(mentor.availability) & mask_int(mentee.availability)
    times = {"mentor": mentor.response_time, "mentee": mentee.response_time}
    agreement = agreement_for(pair.id)
    version = (agreement.signed_version or agreement.current) if agreement else None
    return Charter(
        shared_channels=[c for c in CHANNELS if c in mentor.channels and c in mentee.channels],
        channels={"mentor": list(mentor.channels), "mentee": list(mentee.channels)},
        response_times=times,
        answer_within=max(times.values(), key=RESPONSE_TIMES.index),
        cadences={"mentor": mentor.cadence, "mentee": mentee.cadence},
        shared_slots=slots_overlapping(shared, viewer_timezone, now),
        shared_languages=sorted(set(mentor.languages) & set(mentee.languages)),
        agreed_cadence=version.cadence if version else None,
        agreed_channels=list(version.channels) if version else [])


def matching_page(context_id: int) -> dict[str, Any]:
    """The latest run, its draft proposals, the below-floor queue and the candidates."""
    run = db.session.scalar(select(MatchRun).where(MatchRun.context_id == context_id)
                            .order_by(MatchRun.created_at.desc(), MatchRun.id.desc()).limit(1))
    drafts = db.session.scalars(select(Proposal).where(
        Proposal.context_id == context_id, Proposal.status == "draft")
        .order_by(Proposal.score.desc(), Proposal.id)).all()
    profiles = db.session.scalars(select(Profile).where(Profile.context_id == context_id)
                                  .order_by(Profile.user_id)).all()
    people = {p.user_id for p in profiles} | {u for d in drafts for u in (d.mentor_id,
                                                                          d.mentee_id)}
    if run:
        people |= set(run.unmatched)
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(people))).all())
    return {"run": run, "proposed": [d for d in drafts if d.queue == "proposed"],
            "below_floor": [d for d in drafts if d.queue == "below_floor"],
            "profiles": list(profiles), "names": names}




def open_questions(context_id: int) -> dict[int, list[tuple[str, str]]]:
    """Questions partners sent the program team about proposals still open: pair id →
    [(asker's name, question)]. Addressed to the instructor, so not pair-private."""
    rows = db.session.execute(
        select(InfoRequest.pair_id, User.name, InfoRequest.question)
        .join(Pair, Pair.id == InfoRequest.pair_id).join(User, User.id == InfoRequest.user_id)
        .where(Pair.context_id == context_id, Pair.status == "proposed")
        .order_by(InfoRequest.created_at, InfoRequest.id)).all()
    out: dict[int, list[tuple[str, str]]] = {}
    for pair_id, name, question in rows:
        out.setdefault(pair_id, []).append((name or "", question))
    return out
