"""The ten milestone rules (program.md §4.3), as pure functions over facts.

Each rule reads its parameters from the badge's `rule:` block and answers for one learner in one
pair: met or not, the evidence facts (counts, dates and competence ids only — they end up in a
signed, public credential) and, when not met, how far along the learner is ("2 of 4"), for the
learner's "what's next" list. No database, no clock: `now` is passed in.

Where the program's criterion needs data the pairs area does not record, the rule says so:
- B5 counts sessions confirmed by both partners; a check-in is one partner's pulse, never
  confirmed by the other, so check-ins do not count towards the rhythm.
- B6/B10: the pairs area records the mid-point and closing reviews as check-ins of kind
  'midpoint'/'closing' ("pulse + goal ratings") but keeps no per-goal status; the goal-status
  and final-goal-review conditions are therefore met by those check-ins.
- The programme's length is a setting (BADGES_PROGRAM_DAYS, default 180 days from the day the
  pair formed), as pairs have no end date of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .definitions import BadgeDefinition
from .facts import PairFacts, PersonFacts

DIGITAL_TRACK = "digital-skills"
_DIGITAL_SLUG = re.compile(r"^d\d+-")


@dataclass(frozen=True)
class Settings:
    """What the rules need besides facts."""

    program_days: int = 180
    module_tracks: Mapping[str, str] = field(default_factory=dict)  # module slug -> track


@dataclass(frozen=True)
class Decision:
    met: bool
    facts: dict[str, Any] = field(default_factory=dict)  # key -> int | str | date
    have: int | None = None  # progress towards the milestone, when it can be counted
    need: int | None = None
    flags: dict[str, Any] = field(default_factory=dict)  # kept with the award, not signed


NOT_YET = Decision(False)

Rule = Callable[[Mapping[str, Any], PairFacts, PersonFacts, str, Collection[str], datetime,
                 Settings], Decision]


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _days_between(later: datetime | date, earlier: datetime | date) -> int:
    return (_day(later) - _day(earlier)).days


def applies_to(badge: BadgeDefinition, side: str) -> bool:
    """Mentor-only and mentee-only badges are earned on that side of a pair only."""
    return badge.audience == "both" or badge.audience == side


# -- B1 ---------------------------------------------------------------------------------------

def pair_formed(p: Mapping[str, Any], pair: PairFacts, person: PersonFacts, side: str,
                held: Collection[str], now: datetime, s: Settings) -> Decision:
    consent = pair.mentor_accepted_at is not None and pair.mentee_accepted_at is not None
    if pair.status in ("active", "completed") and consent and pair.formed_at is not None:
        return Decision(True, {"formed_on": _day(pair.formed_at)})
    return NOT_YET


# -- B2 ---------------------------------------------------------------------------------------

def agreement_signed(p: Mapping[str, Any], pair: PairFacts, person: PersonFacts, side: str,
                     held: Collection[str], now: datetime, s: Settings) -> Decision:
    if pair.formed_at is None:
        return NOT_YET
    for v in pair.versions:  # oldest first: the first version that meets everything
        tagged = [g for g in v.mentee_goals if g[0] and g[1]]
        if (v.signed_at is not None and v.mentor_signed_at is not None
                and v.mentee_signed_at is not None and v.confidentiality and v.cadence
                and len(tagged) >= p["min_mentee_goals"] and v.mentor_goals >= p["min_mentor_goals"]
                and v.channels >= p["min_shared_channels"]
                and _days_between(v.signed_at, pair.formed_at) <= p["within_days_of_pair"]):
            return Decision(True, {"signed_on": _day(v.signed_at), "mentee_goals": len(tagged),
                                   "mentor_goals": v.mentor_goals})
    return NOT_YET


# -- B3 ---------------------------------------------------------------------------------------

def first_session(p: Mapping[str, Any], pair: PairFacts, person: PersonFacts, side: str,
                  held: Collection[str], now: datetime, s: Settings) -> Decision:
    if pair.formed_at is None:
        return NOT_YET
    today = _day(now)
    for session in pair.sessions:  # confirmed by both, earliest first
        if session.held_on > today or session.minutes < p["min_minutes"]:
            continue
        late = _days_between(session.held_on, pair.formed_at) > p["within_days_of_pair"]
        if late and not p["late_still_awarded"]:
            return NOT_YET
        return Decision(True, {"first_session_on": session.held_on, "minutes": session.minutes},
                        flags={"late": late})
    return Decision(False, have=0, need=1)


# -- B4 ---------------------------------------------------------------------------------------

def two_way_feedback(p: Mapping[str, Any], pair: PairFacts, person: PersonFacts, side: str,
                     held: Collection[str], now: datetime, s: Settings) -> Decision:
    kinds = set(p["feedback_kinds"])
    counts: dict[int, list[datetime | None]] = {pair.mentor_id: [], pair.mentee_id: []}
    for f in pair.feedback:
        done = f.acknowledged_at is not None and f.has_action
        if f.kind in kinds and f.giver_id in counts and (done or not p["requires_acknowledgement"]):
            counts[f.giver_id].append(f.acknowledged_at)
    need = p["per_direction"]
    to_mentee, to_mentor = len(counts[pair.mentor_id]), len(counts[pair.mentee_id])
    if to_mentee >= need and to_mentor >= need:
        moments = [t for times in counts.values() for t in sorted(x for x in times if x)[:need]]
        facts: dict[str, Any] = {"feedback_to_mentee": to_mentee, "feedback_to_mentor": to_mentor}
        if moments:
            facts["completed_on"] = _day(max(moments))
        return Decision(True, facts)
    return Decision(False, have=min(to_mentee, need) + min(to_mentor, need), need=2 * need)


# -- B5 ---------------------------------------------------------------------------------------

def steady_rhythm(p: Mapping[str, Any], pair: PairFacts, person: PersonFacts, side: str,
                  held: Collection[str], now: datetime, s: Settings) -> Decision:
    needed, max_gap = p["sessions"], p["max_gap_days"]
    days = sorted(x.held_on for x in pair.sessions if x.held_on <= _day(now))
    best, start = (1 if days else 0), 0
    for i in range(1, len(days)):
        if (days[i] - days[i - 1]).days > max_gap:
            start = i
        run = i - start + 1
        best = max(best, run)
        if run >= needed:
            window = days[i - needed + 1:i + 1]
            gaps = [(b - a).days for a, b in zip(window, window[1:], strict=False)]
            return Decision(True, {"sessions": needed, "longest_gap_days": max(gaps),
                                   "from": window[0], "to": window[-1]})
    return Decision(False, have=min(best, needed), need=needed)


# -- B6 ---------------------------------------------------------------------------------------

def _review_done(pair: PairFacts, kind: str, since: datetime | None) -> datetime | None:
    """When both partners have recorded a check-in of `kind` (at or after `since`)."""
    firsts: dict[int, datetime] = {}
    for c in pair.checkins:
        if c.kind == kind and c.user_id in (pair.mentor_id, pair.mentee_id) and (
                since is None or c.recorded_at >= since):
            firsts.setdefault(c.user_id, c.recorded_at)
    return max(firsts.values()) if len(firsts) == 2 else None


def midpoint_review(p: Mapping[str, Any], pair: PairFacts, person: PersonFacts, side: str,
                    held: Collection[str], now: datetime, s: Settings) -> Decision:
    if pair.formed_at is None:
        return NOT_YET
    midpoint = pair.formed_at + timedelta(days=s.program_days * p["after_share_of_program"])
    done = _review_done(pair, "midpoint", midpoint)
    # requires_goal_status_update: the midpoint check-in carries the goal ratings (module doc).
    if done is not None and now >= midpoint:
        return Decision(True, {"reviewed_on": _day(done)})
    return NOT_YET


# -- B7 ---------------------------------------------------------------------------------------

def _is_digital(slug: str, s: Settings) -> bool:
    track = s.module_tracks.get(slug)
    return track == DIGITAL_TRACK if track is not None else bool(_DIGITAL_SLUG.match(slug))


def learning_path(p: Mapping[str, Any], pair: PairFacts, person: PersonFacts, side: str,
                  held: Collection[str], now: datetime, s: Settings) -> Decision:
    passed = person.passed
    shared = [m for m in p["shared_any_of"] if m in passed]
    if side == "mentee":
        own = [m for m in passed if _is_digital(m, s)]
        need_own, have_own = p["mentee_min_digital_modules"], len(own)
        own_done = sorted(passed[m] for m in own)[:need_own]
    else:
        own = [m for m in p["mentor_modules"] if m in passed]
        need_own, have_own = len(p["mentor_modules"]), len(own)
        own_done = [passed[m] for m in own]
    have = min(have_own, need_own) + (1 if shared else 0)
    if have_own >= need_own and shared:
        last = max([*own_done, min(passed[m] for m in shared)])
        return Decision(True, {"modules_passed": have_own + len(shared),
                               "completed_on": _day(last)})
    return Decision(False, have=have, need=need_own + 1)


# -- B8 ---------------------------------------------------------------------------------------

def digital_level_up(p: Mapping[str, Any], pair: PairFacts, person: PersonFacts, side: str,
                     held: Collection[str], now: datetime, s: Settings) -> Decision:
    if side != "mentee":
        return NOT_YET
    competences = (pair.goal_competences() if p["competence_from_agreement"]
                   else sorted({c for r in person.ratings for c in r.ratings}))
    attested = {a.competence_id: a for a in pair.attestations}
    for competence in competences:
        series = [(r.recorded_at, r.ratings[competence]) for r in person.ratings
                  if competence in r.ratings and 1 <= r.ratings[competence] <= p["scale_steps"]]
        if len(series) < 2:
            continue
        (first_at, pre), (last_at, post) = series[0], series[-1]
        if last_at <= first_at or post - pre < p["min_step_gain"]:
            continue
        attestation = attested.get(competence)
        if p["requires_mentor_attestation"] and attestation is None:
            continue
        facts: dict[str, Any] = {"competence": competence, "steps_gained": post - pre}
        if attestation is not None:
            facts["attested_on"] = attestation.observed_on
        return Decision(True, facts)
    return NOT_YET


# -- B9 ---------------------------------------------------------------------------------------

def reciprocal_learner(p: Mapping[str, Any], pair: PairFacts, person: PersonFacts, side: str,
                       held: Collection[str], now: datetime, s: Settings) -> Decision:
    if side != "mentor":
        return NOT_YET
    need, confirmed = p["confirmed_entries"], pair.learning_confirmed
    if len(confirmed) >= need:
        return Decision(True, {"entries_confirmed": len(confirmed),
                               "completed_on": _day(confirmed[need - 1])})
    return Decision(False, have=len(confirmed), need=need)


# -- B10 --------------------------------------------------------------------------------------

def program_completed(p: Mapping[str, Any], pair: PairFacts, person: PersonFacts, side: str,
                      held: Collection[str], now: datetime, s: Settings) -> Decision:
    if pair.formed_at is None:
        return NOT_YET
    badges_ok = all(slug in held for slug in p["requires_badges"])
    sessions = sum(1 for x in pair.sessions if x.held_on <= _day(now))
    closing = _review_done(pair, "closing", None)
    # requires_final_goal_review: carried by the closing check-ins (see the module docstring).
    surveys_ok = closing is not None or not (p["requires_closing_surveys"]
                                             or p["requires_final_goal_review"])
    end = pair.formed_at + timedelta(days=s.program_days)
    ended = pair.status == "completed" or now >= end
    if badges_ok and sessions >= p["min_sessions"] and surveys_ok and ended:
        finished = pair.completed_at if pair.status == "completed" and pair.completed_at else end
        return Decision(True, {"sessions": sessions, "completed_on": _day(min(finished, now))})
    have = (min(sessions, p["min_sessions"]) + sum(1 for b in p["requires_badges"] if b in held))
    return Decision(False, have=have, need=p["min_sessions"] + len(p["requires_badges"]))


RULES: dict[str, Rule] = {
    "pair-formed": pair_formed,
    "agreement-signed": agreement_signed,
    "first-session": first_session,
    "two-way-feedback": two_way_feedback,
    "steady-rhythm": steady_rhythm,
    "midpoint-review": midpoint_review,
    "learning-path": learning_path,
    "digital-level-up": digital_level_up,
    "reciprocal-learner": reciprocal_learner,
    "program-completed": program_completed,
}


def evaluate(badge: BadgeDefinition, pair: PairFacts, person: PersonFacts, side: str,
             held: Collection[str], now: datetime, settings: Settings) -> Decision:
    """Whether `person`, on `side` of `pair`, has reached `badge`'s milestone."""
    if not applies_to(badge, side):
        return NOT_YET
    return RULES[badge.slug](badge.rule, pair, person, side, held, now, settings)
