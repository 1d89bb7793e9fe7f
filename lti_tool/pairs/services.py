"""Writes of the mentoring program. Plain typed functions: they flush and never commit.

Callers (views, CLI) authorize first through lti_tool.authz and commit once. Events from
lti_tool.events are sent after the flush, inside the caller's transaction, so a badge handler's
rows land together with ours or not at all. Each function takes `now` so tests need no clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from .. import events
from ..db import db
from ..errors import Conflict, NotFound
from ..lti.models import Membership, User
from . import matching
from .availability import utc_offset_hours, week_mask
from .models import (
    LIVE_STATUSES,
    Agreement,
    AgreementVersion,
    Attestation,
    CheckIn,
    Feedback,
    Goal,
    InfoRequest,
    LearningEntry,
    ManualPairLog,
    MatchRun,
    MentoringSession,
    Pair,
    Profile,
    Proposal,
    SessionConfirmation,
    Veto,
)
from .vocabulary import DIGCOMP_FRAMEWORK

SENDER = "lti_tool.pairs"


class AgreementConflict(Conflict):
    """Someone saved or signed the agreement since this person opened it."""

    title = _l("Your partner changed the agreement")


def _lock(row: Any) -> None:
    """Re-read a row and hold it until commit (SELECT … FOR UPDATE on PostgreSQL; SQLite
    serialises writers anyway), so two partners acting at once both see each other's step."""
    db.session.refresh(row, with_for_update=True)


# --- profiles ----------------------------------------------------------------------------------

_PROFILE_FIELDS = ("role_preference", "offers", "wants", "teach_back_offers", "teach_back_wants",
                   "channels", "response_time", "cadence", "slots", "timezone", "career_stage",
                   "department", "team", "site", "manager_email", "languages", "in_person_only",
                   "pace", "structure", "directness", "paused")


def _ratings(offers: Mapping[str, int], wants: Iterable[Sequence[Any]]) -> dict[str, int]:
    ratings = {c: int(v) for c, v in offers.items()}
    for comp, _target, *rest in wants:
        if rest and rest[0]:
            ratings.setdefault(comp, int(rest[0]))
    return ratings


def save_profile(context_id: int, user_id: int, data: Mapping[str, Any],
                 now: datetime) -> Profile:
    """Create or update a learner's opt-in profile; a changed self-rating sends an event."""
    profile = db.session.scalar(select(Profile).where(Profile.context_id == context_id,
                                                      Profile.user_id == user_id))
    before = _ratings(profile.offers, profile.wants) if profile else None
    if profile is None:
        profile = Profile(context_id=context_id, user_id=user_id, created_at=now)
        db.session.add(profile)
    for name in _PROFILE_FIELDS:
        setattr(profile, name, data[name] if name in data else getattr(profile, name))
    profile.manager_email = (data.get("manager_email") or "").strip().lower() or None
    profile.hours_needed = int(data.get("hours_needed") or 1)
    profile.capacity = int(data.get("capacity") or 1)
    profile.availability = week_mask(profile.slots, profile.timezone, now)
    profile.updated_at = now
    db.session.flush()
    ratings = _ratings(profile.offers, profile.wants)
    if ratings and ratings != before:
        events.self_assessment_recorded.send(
            SENDER, user_id=user_id, context_id=context_id, ratings=ratings, source="profile",
            recorded_at=now)
    return profile


# --- matching ----------------------------------------------------------------------------------

def _live_pairs(context_id: int) -> list[Pair]:
    return list(db.session.scalars(select(Pair).where(Pair.context_id == context_id,
                                                      Pair.status.in_(LIVE_STATUSES))))


def _vetoes(context_id: int) -> set[tuple[int, int]]:
    rows = db.session.execute(select(Veto.mentor_id, Veto.mentee_id)
                              .where(Veto.context_id == context_id)).all()
    # A veto holds whoever ends up on which side: 'either' people may swap roles.
    return {(a, b) for a, b in rows} | {(b, a) for a, b in rows}


def _reporting_chains(context_id: int, profiles: Sequence[Profile]) -> dict[int, tuple[int, ...]]:
    """user id → managers up the line (nearest first), resolved by e-mail within the course."""
    emails: dict[str, int] = dict(db.session.execute(  # type: ignore[arg-type]
        select(func.lower(User.email), User.id).join(Membership, Membership.user_id == User.id)
        .where(Membership.context_id == context_id, User.email.is_not(None))).all())
    direct = {p.user_id: emails.get(p.manager_email) for p in profiles if p.manager_email}
    chains: dict[int, tuple[int, ...]] = {}
    for p in profiles:
        chain: list[int] = []
        boss = direct.get(p.user_id)
        while boss is not None and boss not in chain and boss != p.user_id and len(chain) < 5:
            chain.append(boss)
            boss = direct.get(boss)
        chains[p.user_id] = tuple(chain)
    return chains


class _Spelling(dict[str, str]):
    """The first spelling seen for each case-insensitive name ("Sales" and "sales " agree)."""

    def __call__(self, name: str) -> str:
        name = " ".join(name.split())
        return self.setdefault(name.casefold(), name) if name else ""


def _candidate(p: Profile, side: matching.Side, capacity: int, chain: tuple[int, ...],
               now: datetime, spell: _Spelling | None = None) -> matching.Candidate:
    spell = spell if spell is not None else _Spelling()
    return matching.Candidate(
        id=p.user_id, side=side, offers=dict(p.offers),
        wants=[(c, int(t)) for c, t, *_rest in p.wants],
        teach_back_offers=frozenset(p.teach_back_offers),
        teach_back_wants=frozenset(p.teach_back_wants), channels=frozenset(p.channels),
        response_time=p.response_time, availability=p.availability,
        hours_needed=float(p.hours_needed), cadence=p.cadence, pace=p.pace,
        structure=p.structure, directness=p.directness, career_stage=p.career_stage,
        department=spell(p.department), team=spell(p.team), site=spell(p.site),
        manager_id=chain[0] if chain else None,
        reporting_chain=chain, languages=frozenset(p.languages),
        in_person_only=p.in_person_only, capacity=capacity, paused=p.paused,
        tz_offset=utc_offset_hours(p.timezone, now))


def candidate_profiles(context_id: int) -> list[Profile]:
    """Opted-in profiles of the course's learners."""
    return list(db.session.scalars(
        select(Profile).join(Membership, (Membership.user_id == Profile.user_id)
                             & (Membership.context_id == Profile.context_id))
        .where(Profile.context_id == context_id, Membership.role == "learner")
        .order_by(Profile.user_id)))


def build_candidates(context_id: int, now: datetime
                     ) -> tuple[list[matching.Candidate], list[matching.Candidate]]:
    """Mentor and mentee candidates: people without a live pair as mentee, mentors with room.

    'Either' people are split to make the most pairs possible, the most junior as mentors
    (reverse mentoring).
    """
    profiles = candidate_profiles(context_id)
    chains = _reporting_chains(context_id, profiles)
    live = _live_pairs(context_id)
    busy_mentees = {p.mentee_id for p in live}
    mentoring: dict[int, int] = {}
    for pair in live:
        mentoring[pair.mentor_id] = mentoring.get(pair.mentor_id, 0) + 1
    mentors: list[matching.Candidate] = []
    mentees: list[matching.Candidate] = []
    either: list[Profile] = []
    spell = _Spelling()
    for p in profiles:
        if p.user_id in busy_mentees:
            continue
        room = p.capacity - mentoring.get(p.user_id, 0)
        if p.role_preference == "mentor" or (p.role_preference == "either"
                                             and p.user_id in mentoring):
            if room > 0 and p.offers:
                mentors.append(_candidate(p, "mentor", room, chains[p.user_id], now, spell))
        elif p.role_preference == "mentee":
            if p.wants:
                mentees.append(_candidate(p, "mentee", 0, chains[p.user_id], now, spell))
        elif p.offers and not p.wants:
            mentors.append(_candidate(p, "mentor", p.capacity, chains[p.user_id], now, spell))
        elif p.wants and not p.offers:
            mentees.append(_candidate(p, "mentee", 0, chains[p.user_id], now, spell))
        elif p.offers and p.wants:
            either.append(p)
    # The k most junior 'either' people mentor, the rest are mentees: k makes the most pairs
    # possible (ties: the smaller k, so more people can be mentees).
    either.sort(key=lambda q: (q.career_stage, q.user_id))
    slots = sum(m.capacity for m in mentors)

    def possible(k: int) -> int:
        return min(slots + sum(q.capacity for q in either[:k]), len(mentees) + len(either) - k)

    k = max(range(len(either) + 1), key=lambda n: (possible(n), -n))
    for i, p in enumerate(either):
        side: matching.Side = "mentor" if i < k else "mentee"
        mentors_or_mentees = mentors if side == "mentor" else mentees
        mentors_or_mentees.append(_candidate(p, side, p.capacity if side == "mentor" else 0,
                                             chains[p.user_id], now, spell))
    return mentors, mentees


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=float))


def _proposal_row(context_id: int, score: matching.PairScore, *, run_id: int | None, queue: str,
                  source: str, now: datetime) -> Proposal:
    why = matching.explain(score)
    return Proposal(context_id=context_id, run_id=run_id, mentor_id=score.mentor_id,
                    mentee_id=score.mentee_id, source=source, queue=queue, status="draft",
                    score=round(float(score.total), 1), reasons=_jsonable(list(why.reasons)),
                    gap=_jsonable(why.gap), exclusions=list(why.exclusions), created_at=now)


def run_matching(context_id: int, instructor_id: int, *, mode: str, floor: float,
                 now: datetime) -> MatchRun:
    """Score and assign the course's candidates; unsent drafts of earlier runs are replaced."""
    db.session.execute(update(Proposal).where(Proposal.context_id == context_id,
                                              Proposal.status == "draft")
                       .values(status="superseded").execution_options(synchronize_session=False))
    mentors, mentees = build_candidates(context_id, now)
    config = matching.MatchConfig(mode=mode, floor=float(floor))  # type: ignore[arg-type]
    result = matching.assign(mentors, mentees, vetoes=_vetoes(context_id), config=config)
    run = MatchRun(context_id=context_id, run_by=instructor_id, mode=mode, floor=float(floor),
                   mentors=len(mentors), mentees=len(mentees),
                   unmatched=[int(i) for i in result.unmatched], created_at=now)
    db.session.add(run)
    db.session.flush()
    for queue, scores in (("proposed", result.proposed), ("below_floor", result.admin_queue)):
        for s in scores:
            db.session.add(_proposal_row(context_id, s, run_id=run.id, queue=queue,
                                         source="matching", now=now))
    db.session.flush()
    return run


def _draft(context_id: int, proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.context_id != context_id or proposal.status != "draft":
        raise NotFound(_("This proposal is no longer open."))
    return proposal


def remove_proposal(context_id: int, proposal_id: int, instructor_id: int, reason: str,
                    now: datetime) -> Proposal:
    """Drop a draft proposal before it is sent (logged, with an optional reason)."""
    proposal = _draft(context_id, proposal_id)
    proposal.status = "removed"
    db.session.add(ManualPairLog(context_id=context_id, instructor_id=instructor_id,
                                 proposal_id=proposal.id, mentor_id=proposal.mentor_id,
                                 mentee_id=proposal.mentee_id, action="remove_proposal",
                                 reason=reason, created_at=now))
    db.session.flush()
    return proposal


def override_floor(context_id: int, proposal_id: int, instructor_id: int, reason: str,
                   now: datetime) -> Proposal:
    """Move a below-floor suggestion into the proposals, with the instructor's reason."""
    proposal = _draft(context_id, proposal_id)
    if proposal.queue != "below_floor":
        raise Conflict(_("This pair is already among the proposals."))
    _check_pairable(context_id, proposal.mentor_id, proposal.mentee_id)
    proposal.queue, proposal.source = "proposed", "override"
    db.session.add(ManualPairLog(context_id=context_id, instructor_id=instructor_id,
                                 proposal_id=proposal.id, mentor_id=proposal.mentor_id,
                                 mentee_id=proposal.mentee_id, action="override_floor",
                                 reason=reason, created_at=now))
    db.session.flush()
    return proposal


def _check_pairable(context_id: int, mentor_id: int, mentee_id: int) -> None:
    if mentor_id == mentee_id:
        raise Conflict(_("Choose two different people."))
    if (mentor_id, mentee_id) in _vetoes(context_id):
        raise Conflict(_("One of these two people declined this pairing before. They will not "
                         "be proposed to each other again."))
    if any(p.mentee_id == mentee_id or {p.mentor_id, p.mentee_id} == {mentor_id, mentee_id}
           for p in _live_pairs(context_id)):
        raise Conflict(_("The mentee already has a mentor or an open proposal."))
    drafts = db.session.scalars(select(Proposal).where(
        Proposal.context_id == context_id, Proposal.status == "draft",
        Proposal.queue == "proposed", Proposal.mentee_id == mentee_id)).all()
    if drafts:
        raise Conflict(_("The mentee is already in a proposal. Remove that proposal first."))


def add_manual_pair(context_id: int, instructor_id: int, mentor_id: int, mentee_id: int,
                    reason: str, now: datetime) -> Proposal:
    """An instructor's own pairing (reason required and logged); scored for information."""
    profiles = {p.user_id: p for p in candidate_profiles(context_id)}
    if mentor_id not in profiles or mentee_id not in profiles:
        raise NotFound(_("Both people must have joined the program in this course."))
    _check_pairable(context_id, mentor_id, mentee_id)
    chains = _reporting_chains(context_id, list(profiles.values()))
    spell = _Spelling()
    mentor = _candidate(profiles[mentor_id], "mentor", max(1, profiles[mentor_id].capacity),
                        chains[mentor_id], now, spell)
    mentee = _candidate(profiles[mentee_id], "mentee", 0, chains[mentee_id], now, spell)
    score = matching.score_pair(mentor, mentee, vetoes=_vetoes(context_id))
    proposal = _proposal_row(context_id, score, run_id=None, queue="proposed", source="manual",
                             now=now)
    db.session.add(proposal)
    db.session.flush()
    db.session.add(ManualPairLog(context_id=context_id, instructor_id=instructor_id,
                                 proposal_id=proposal.id, mentor_id=mentor_id,
                                 mentee_id=mentee_id, action="manual_pair", reason=reason,
                                 created_at=now))
    db.session.flush()
    return proposal


def send_proposals(context_id: int, now: datetime) -> tuple[list[Pair], int]:
    """Ask both partners of every draft proposal; returns the new pairs and how many were
    skipped because someone was paired or vetoed in the meantime."""
    drafts = db.session.scalars(select(Proposal).where(
        Proposal.context_id == context_id, Proposal.status == "draft",
        Proposal.queue == "proposed").order_by(Proposal.id)).all()
    vetoes = _vetoes(context_id)
    busy = {p.mentee_id for p in _live_pairs(context_id)}
    pairs: list[Pair] = []
    skipped = 0
    for proposal in drafts:
        if proposal.mentee_id in busy or (proposal.mentor_id, proposal.mentee_id) in vetoes:
            proposal.status = "superseded"
            skipped += 1
            continue
        proposal.status = "sent"
        pair = Pair(context_id=context_id, mentor_id=proposal.mentor_id,
                    mentee_id=proposal.mentee_id, proposal_id=proposal.id, status="proposed",
                    proposed_at=now)
        db.session.add(pair)
        busy.add(proposal.mentee_id)
        pairs.append(pair)
    db.session.flush()
    return pairs, skipped


def respond_to_proposal(pair: Pair, user_id: int, answer: str, question: str,
                        now: datetime) -> Pair:
    """Accept, decline (a lasting veto) or ask for more information; both accepts form it."""
    side = pair.side_of(user_id)
    if side is None:
        raise NotFound(_("This proposal does not exist."))
    _lock(pair)
    if pair.status != "proposed":
        raise Conflict(_("This proposal has already been answered."))
    if answer == "info":
        db.session.add(InfoRequest(pair_id=pair.id, user_id=user_id, question=question,
                                   created_at=now))
    elif answer == "decline":
        pair.status, pair.declined_at, pair.declined_by = "declined", now, user_id
        exists = db.session.scalar(select(Veto.id).where(
            Veto.context_id == pair.context_id, Veto.mentor_id == pair.mentor_id,
            Veto.mentee_id == pair.mentee_id))
        if exists is None:
            db.session.add(Veto(context_id=pair.context_id, mentor_id=pair.mentor_id,
                                mentee_id=pair.mentee_id, by_user_id=user_id, pair_id=pair.id,
                                created_at=now))
    else:
        if side == "mentor" and pair.mentor_accepted_at is None:
            pair.mentor_accepted_at = now
        if side == "mentee" and pair.mentee_accepted_at is None:
            pair.mentee_accepted_at = now
        if pair.mentor_accepted_at and pair.mentee_accepted_at:
            pair.status, pair.formed_at = "active", now
            db.session.add(Agreement(pair_id=pair.id, revision=0, created_at=now,
                                     updated_at=now))
            db.session.flush()
            events.pair_formed.send(SENDER, pair_id=pair.id, context_id=pair.context_id,
                                    mentor_id=pair.mentor_id, mentee_id=pair.mentee_id,
                                    formed_at=now)
    db.session.flush()
    return pair


# --- agreement ---------------------------------------------------------------------------------

def agreement_of(pair: Pair) -> Agreement:
    agreement = db.session.scalar(select(Agreement).where(Agreement.pair_id == pair.id))
    if agreement is None:
        raise NotFound(_("This pair has no agreement yet."))
    return agreement


def _claim_revision(agreement: Agreement, base_revision: int, now: datetime) -> None:
    """Compare-and-set on the revision: exactly one of two concurrent writers wins."""
    result = db.session.execute(
        update(Agreement).where(Agreement.id == agreement.id,
                                Agreement.revision == base_revision)
        .values(revision=Agreement.revision + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.expire(agreement)
        raise AgreementConflict(_("Your partner saved the agreement while you were editing it."))
    db.session.expire(agreement)


def save_agreement(pair: Pair, user_id: int, base_revision: int, data: Mapping[str, Any],
                   now: datetime) -> AgreementVersion:
    """Save the agreement; after any signature the change becomes a new version to sign."""
    agreement = agreement_of(pair)
    _claim_revision(agreement, base_revision, now)
    current = agreement.current
    if current is None or current.mentor_signed_at or current.mentee_signed_at:
        version = AgreementVersion(agreement_id=agreement.id,
                                   number=current.number + 1 if current else 1, created_at=now)
        db.session.add(version)
    else:
        version = current
        version.goals.clear()
    version.cadence = data["cadence"]
    version.channels = list(data["channels"])
    version.confidentiality = bool(data["confidentiality"])
    version.ground_rules = data.get("ground_rules", "")
    version.edited_by, version.updated_at = user_id, now
    for pos, goal in enumerate(data["goals"], start=1):
        version.goals.append(Goal(
            direction=goal["direction"], position=pos, text=goal["text"],
            competence_id=goal.get("competence_id"),
            framework=DIGCOMP_FRAMEWORK if goal.get("competence_id") else None,
            target_level=goal.get("target_level")))
    db.session.flush()
    db.session.expire(agreement, ["versions"])
    return version


def sign_agreement(pair: Pair, user_id: int, base_revision: int,
                   now: datetime) -> AgreementVersion:
    """Sign the version this person read; the second signature sends agreement_signed."""
    agreement = agreement_of(pair)
    current = agreement.current
    side = pair.side_of(user_id)
    if current is None:
        raise Conflict(_("There is nothing to sign yet. Write the agreement first."))
    if side is None:
        raise NotFound(_("This agreement does not exist."))
    attr = f"{side}_signed_at"
    if getattr(current, attr) is not None and agreement.revision == base_revision:
        return current  # a double click: already signed, nothing changes
    _claim_revision(agreement, base_revision, now)
    current = agreement.current
    assert current is not None
    setattr(current, attr, now)
    if current.mentor_signed_at and current.mentee_signed_at:
        current.signed_at = now
        db.session.flush()
        events.agreement_signed.send(SENDER, pair_id=pair.id, agreement_id=agreement.id,
                                     version=current.number, signed_at=now)
    db.session.flush()
    return current


# --- sessions ----------------------------------------------------------------------------------

def plan_session(pair: Pair, user_id: int, starts_at: datetime, minutes: int,
                 meeting_url: str | None, now: datetime) -> MentoringSession:
    """Plan a meeting (downloadable as .ics); it is logged once it happened."""
    session = MentoringSession(pair_id=pair.id, created_by=user_id, created_at=now,
                               starts_at=starts_at, planned_minutes=minutes,
                               meeting_url=meeting_url)
    db.session.add(session)
    db.session.flush()
    return session


def log_session(pair: Pair, user_id: int, held_on: date, minutes: int, topics: str,
                now: datetime, session_id: int | None = None) -> MentoringSession:
    """Log a held session (the logger confirms it); the partner's confirmation counts it."""
    if session_id is not None:
        session = db.session.get(MentoringSession, session_id)
        if session is None or session.pair_id != pair.id:
            raise NotFound(_("This session does not exist."))
        if session.logged_at is not None:
            raise Conflict(_("This session has already been logged."))
    else:
        session = MentoringSession(pair_id=pair.id, created_by=user_id, created_at=now)
        db.session.add(session)
    session.held_on, session.minutes, session.topics = held_on, minutes, topics
    session.logged_by, session.logged_at = user_id, now
    session.confirmations.append(SessionConfirmation(user_id=user_id, confirmed_at=now))
    db.session.flush()
    return session


def confirm_session(pair: Pair, session: MentoringSession, user_id: int,
                    now: datetime) -> MentoringSession:
    """A partner confirms a logged session; when both have, session_confirmed is sent."""
    _lock(session)
    if session.logged_at is None or session.held_on is None or session.minutes is None:
        raise Conflict(_("This session has not been logged yet."))
    if session.confirmed_by(user_id):
        return session
    session.confirmations.append(SessionConfirmation(user_id=user_id, confirmed_at=now))
    db.session.flush()
    if session.confirmed_by(pair.mentor_id) and session.confirmed_by(pair.mentee_id):
        session.confirmed_at = now
        db.session.flush()
        events.session_confirmed.send(SENDER, pair_id=pair.id, session_id=session.id,
                                      held_on=session.held_on, minutes=session.minutes,
                                      confirmed_at=now)
    return session


# --- feedback, check-ins, learning, attestation ----------------------------------------------------

def give_feedback(pair: Pair, giver_id: int, data: Mapping[str, Any],
                  now: datetime) -> Feedback:
    """Structured feedback (SBI or feedforward) to the partner; private to the pair."""
    feedback = Feedback(pair_id=pair.id, giver_id=giver_id, receiver_id=pair.partner_of(giver_id),
                        kind=data["kind"], created_at=now,
                        **{k: data.get(k, "") for k in ("situation", "behaviour", "impact",
                                                        "suggestion_1", "suggestion_2")})
    db.session.add(feedback)
    db.session.flush()
    return feedback


def acknowledge_feedback(pair: Pair, feedback: Feedback, user_id: int, action: str,
                         action_note: str, now: datetime) -> Feedback:
    """The receiver thanks for feedback and picks an action: feedback_exchanged is sent."""
    _lock(feedback)
    if feedback.acknowledged_at is not None:
        raise Conflict(_("You have already answered this feedback."))
    feedback.acknowledged_at, feedback.action, feedback.action_note = now, action, action_note
    db.session.flush()
    direction = ("mentor_to_mentee" if feedback.giver_id == pair.mentor_id
                 else "mentee_to_mentor")
    events.feedback_exchanged.send(SENDER, pair_id=pair.id, feedback_id=feedback.id,
                                   giver_id=feedback.giver_id, receiver_id=feedback.receiver_id,
                                   direction=direction, acknowledged_at=now)
    return feedback


def record_checkin(pair: Pair, user_id: int, happy: int, learning: bool, note: str,
                   now: datetime, session_id: int | None = None, kind: str = "pulse") -> CheckIn:
    """A partner's pulse: happy 1–5 and learning yes/no (and an optional note)."""
    if session_id is not None:
        session = db.session.get(MentoringSession, session_id)
        if session is None or session.pair_id != pair.id:
            raise NotFound(_("This session does not exist."))
    checkin = CheckIn(pair_id=pair.id, user_id=user_id, session_id=session_id, kind=kind,
                      happy=happy, learning=learning, note=note, recorded_at=now)
    db.session.add(checkin)
    db.session.flush()
    events.checkin_recorded.send(SENDER, pair_id=pair.id, checkin_id=checkin.id, user_id=user_id,
                                 happy=happy, learning=learning, kind=kind, recorded_at=now)
    return checkin


def add_learning_entry(pair: Pair, mentor_id: int, text: str, now: datetime) -> LearningEntry:
    """The mentor writes what they learned from the mentee; the mentee confirms it."""
    entry = LearningEntry(pair_id=pair.id, mentor_id=mentor_id, text=text, created_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def confirm_learning_entry(pair: Pair, entry: LearningEntry, now: datetime) -> LearningEntry:
    """The mentee confirms a learning entry: learning_entry_confirmed is sent once."""
    _lock(entry)
    if entry.confirmed_at is not None:
        return entry
    entry.confirmed_at = now
    db.session.flush()
    events.learning_entry_confirmed.send(SENDER, pair_id=pair.id, entry_id=entry.id,
                                         mentor_id=entry.mentor_id, confirmed_at=now)
    return entry


def attest(pair: Pair, mentor_id: int, competence_id: str, level: int | None, task: str,
           observed_on: date, now: datetime) -> Attestation:
    """The mentor attests a task they saw the mentee do for a competence (level-up badge)."""
    row = Attestation(pair_id=pair.id, mentor_id=mentor_id, mentee_id=pair.mentee_id,
                      competence_id=competence_id, framework=DIGCOMP_FRAMEWORK, level=level,
                      task=task, observed_on=observed_on, attested_at=now)
    db.session.add(row)
    db.session.flush()
    events.level_up_attested.send(SENDER, pair_id=pair.id, mentee_id=pair.mentee_id,
                                  competence_id=competence_id, attested_at=now)
    return row


def mark_complete(pair: Pair, user_id: int, now: datetime) -> Pair:
    """A partner marks the program done; when both have, pair_completed is sent."""
    side = pair.side_of(user_id)
    if side is None:
        raise NotFound(_("This pair does not exist."))
    _lock(pair)
    if pair.status != "active":
        raise Conflict(_("Only an active pair can be marked complete."))
    if getattr(pair, f"{side}_completed_at") is None:
        setattr(pair, f"{side}_completed_at", now)
    if pair.mentor_completed_at and pair.mentee_completed_at:
        pair.status, pair.completed_at = "completed", now
        db.session.flush()
        events.pair_completed.send(SENDER, pair_id=pair.id, completed_at=now)
    db.session.flush()
    return pair
