"""The program dashboard's figures (program.md §5.2): read-only aggregates, privacy applied.

Every function takes the course's primary key and `now`, and runs a fixed number of SQL
statements however many people or pairs the course has: rows are grouped in SQL where the
figure is a count, and only numbers and dates (never a text column) are fetched where a median
needs the single values. Works on SQLite and PostgreSQL (no dialect-only SQL; medians are taken
in Python).

Privacy (program.md §5.2): a figure computed from fewer than MIN_GROUP people or pairs is
returned with state "hidden" and its value is never shown or exported; pulse averages need
MIN_RESPONSES answers. Nothing here selects notes, goals, topics, feedback or learning text.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select, union_all

from ..badges.models import BadgeAward
from ..db import db
from ..lti.models import Membership
from ..modules import Library
from ..modules.schemas import AUDIENCES, TRACKS
from ..pairs.models import (
    Agreement,
    AgreementVersion,
    Attestation,
    CheckIn,
    Feedback,
    LearningEntry,
    MentoringSession,
    Pair,
    Profile,
)
from ..pairs.queries import ALERTS, STALL_DAYS, course_pairs
from ..progress.models import ModuleCompletion, QuizAttempt, SelfAssessment, StepCompletion

MIN_GROUP = 5  # people or pairs a figure must be computed from to be shown
MIN_RESPONSES = 3  # answers a pulse average needs (anonymous ratings, pathment #229 pattern)
ACTIVE_DAYS = STALL_DAYS  # "active": a confirmed session in the last 21 days (no stall alert)
MONTH_DAYS = 30
HAPPY_FROM = 4  # a pulse of 4 or 5 is "happy" (program rule "both happy, both learning")
DIGCOMP_AREAS = (1, 2, 3, 4, 5)
QUADRANTS = ("happy_learning", "happy_not_learning", "learning_not_happy", "neither")
STAGES = ("members", "enrolled", "matched", "agreement", "first_session", "active", "completed")
FORMED = ("active", "completed")


@dataclass(frozen=True, slots=True)
class Figure:
    """One number of the dashboard and how many people, pairs or answers it rests on.

    kind: 'share' (0..1, `part` of `n`), 'days' (a median), 'rate' (sessions per pair and
    month), 'mean' (a level 1–5), 'change' (levels, signed) or 'count' (`value` people).
    """

    kind: str
    value: float | None
    n: int
    unit: str = "people"  # what n counts: 'people', 'pairs' or 'answers'
    part: int | None = None
    minimum: int = MIN_GROUP
    # A share whose whole is not the n people it rests on (e.g. 18 of 32 expected check-ins,
    # from 10 people): the whole and what it counts ('checkins', 'starts', 'quizzes').
    whole: int | None = None
    whole_unit: str | None = None

    @property
    def state(self) -> str:
        """'empty' (nothing to compute yet), 'hidden' (too few to show) or 'shown'."""
        if self.n <= 0 or self.value is None:
            return "empty"
        return "hidden" if self.n < self.minimum else "shown"


def share(part: int, n: int, unit: str, minimum: int = MIN_GROUP) -> Figure:
    return Figure("share", part / n if n else None, n, unit, part, minimum)


def median(values: Sequence[float], unit: str, kind: str = "days") -> Figure:
    return Figure(kind, float(statistics.median(values)) if values else None, len(values), unit)


def mean(values: Sequence[float], n: int, unit: str, kind: str = "mean",
         minimum: int = MIN_GROUP) -> Figure:
    return Figure(kind, statistics.fmean(values) if values else None, n, unit, None, minimum)


def count(k: int, unit: str = "people") -> Figure:
    """A count in a breakdown: the count is the group, so 1–4 is hidden (0 is shown)."""
    return Figure("count", float(k), k, unit)


# --- the rows every section reads: formed pairs with their counts and dates --------------------


@dataclass(frozen=True, slots=True)
class PairRow:
    """A formed pair's numbers and dates (no text)."""

    id: int
    status: str
    mentor_id: int
    mentee_id: int
    formed_on: date
    signed_at: datetime | None  # the first agreement version both partners signed
    feedback_acknowledged: tuple[int, int]  # given by (mentor, mentee) and acknowledged
    checkins: tuple[int, int]  # sent by (mentor, mentee)
    attestations: int
    learning_confirmed: int
    sessions: tuple[date, ...] = ()  # confirmed sessions, oldest first

    @property
    def people(self) -> tuple[int, int]:
        return self.mentor_id, self.mentee_id

    def active_on(self, today: date) -> bool:
        """Still running and met (confirmed) in the last ACTIVE_DAYS days."""
        return (self.status == "active" and bool(self.sessions)
                and (today - self.sessions[-1]).days <= ACTIVE_DAYS)


def _by_side(user_col: Any) -> tuple[Any, Any]:
    return (func.sum(case((user_col == Pair.mentor_id, 1), else_=0)).label("mentor"),
            func.sum(case((user_col == Pair.mentee_id, 1), else_=0)).label("mentee"))


def pair_rows(context_id: int) -> list[PairRow]:
    """Every formed (active or completed) pair of the course: two statements."""
    course = and_(Pair.context_id == context_id, Pair.formed_at.is_not(None))
    signed = (select(Agreement.pair_id.label("pair_id"),
                     func.min(AgreementVersion.signed_at).label("signed_at"))
              .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
              .join(Pair, Pair.id == Agreement.pair_id)
              .where(course, AgreementVersion.signed_at.is_not(None))
              .group_by(Agreement.pair_id).subquery())
    feedback = (select(Feedback.pair_id.label("pair_id"), *_by_side(Feedback.giver_id))
                .join(Pair, Pair.id == Feedback.pair_id)
                .where(course, Feedback.acknowledged_at.is_not(None))
                .group_by(Feedback.pair_id).subquery())
    checkins = (select(CheckIn.pair_id.label("pair_id"), *_by_side(CheckIn.user_id))
                .join(Pair, Pair.id == CheckIn.pair_id).where(course)
                .group_by(CheckIn.pair_id).subquery())
    attested = (select(Attestation.pair_id.label("pair_id"), func.count().label("n"))
                .join(Pair, Pair.id == Attestation.pair_id).where(course)
                .group_by(Attestation.pair_id).subquery())
    learned = (select(LearningEntry.pair_id.label("pair_id"), func.count().label("n"))
               .join(Pair, Pair.id == LearningEntry.pair_id)
               .where(course, LearningEntry.confirmed_at.is_not(None))
               .group_by(LearningEntry.pair_id).subquery())
    zero = 0
    rows = db.session.execute(
        select(Pair.id, Pair.status, Pair.mentor_id, Pair.mentee_id, Pair.formed_at,
               signed.c.signed_at,
               func.coalesce(feedback.c.mentor, zero), func.coalesce(feedback.c.mentee, zero),
               func.coalesce(checkins.c.mentor, zero), func.coalesce(checkins.c.mentee, zero),
               func.coalesce(attested.c.n, zero), func.coalesce(learned.c.n, zero))
        .outerjoin(signed, signed.c.pair_id == Pair.id)
        .outerjoin(feedback, feedback.c.pair_id == Pair.id)
        .outerjoin(checkins, checkins.c.pair_id == Pair.id)
        .outerjoin(attested, attested.c.pair_id == Pair.id)
        .outerjoin(learned, learned.c.pair_id == Pair.id)
        .where(course, Pair.status.in_(FORMED)).order_by(Pair.id)).all()
    held: dict[int, list[date]] = defaultdict(list)
    for pair_id, held_on in db.session.execute(
            select(MentoringSession.pair_id, MentoringSession.held_on)
            .join(Pair, Pair.id == MentoringSession.pair_id)
            .where(course, Pair.status.in_(FORMED), MentoringSession.confirmed_at.is_not(None),
                   MentoringSession.held_on.is_not(None))
            .order_by(MentoringSession.pair_id, MentoringSession.held_on)):
        if held_on is not None:  # filtered in SQL; this tells the type checker
            held[pair_id].append(held_on)
    return [PairRow(id=r[0], status=r[1], mentor_id=r[2], mentee_id=r[3],
                    formed_on=r[4].date(), signed_at=r[5],
                    feedback_acknowledged=(int(r[6]), int(r[7])),
                    checkins=(int(r[8]), int(r[9])), attestations=int(r[10]),
                    learning_confirmed=int(r[11]), sessions=tuple(held.get(r[0], ())))
            for r in rows]


def _people(pairs: Iterable[PairRow]) -> set[int]:
    return {u for p in pairs for u in p.people}


# --- funnel -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stage:
    """One step of the funnel: how many people and pairs reached it."""

    code: str  # see STAGES
    people: int
    pairs: int | None = None
    share: Figure | None = None  # of `base`
    base: str | None = None  # 'members', 'enrolled' or 'matched_pairs'
    time: Figure | None = None  # median days to reach this stage
    detail: Mapping[str, int] = field(default_factory=dict)


def funnel(context_id: int, now: datetime, pairs: Sequence[PairRow] | None = None
           ) -> list[Stage]:
    """Members → enrolled → matched → agreement → first session → active → completed."""
    today = now.date()
    sources = Counter({source: n for source, n in db.session.execute(
        select(Membership.source, func.count())
        .where(Membership.context_id == context_id, Membership.role == "learner")
        .group_by(Membership.source))})
    members = sum(sources.values())
    # Enrolled learners and, for those in a formed pair, when their first pair formed.
    sides = union_all(
        select(Pair.mentor_id.label("user_id"), Pair.formed_at.label("formed_at"))
        .where(Pair.context_id == context_id, Pair.formed_at.is_not(None)),
        select(Pair.mentee_id, Pair.formed_at)
        .where(Pair.context_id == context_id, Pair.formed_at.is_not(None))).subquery()
    first = (select(sides.c.user_id, func.min(sides.c.formed_at).label("formed_at"))
             .group_by(sides.c.user_id).subquery())
    enrolled = db.session.execute(
        select(Profile.created_at, first.c.formed_at)
        .join(Membership, and_(Membership.user_id == Profile.user_id,
                               Membership.context_id == Profile.context_id))
        .outerjoin(first, first.c.user_id == Profile.user_id)
        .where(Profile.context_id == context_id, Membership.role == "learner")).all()
    to_match = [max(0, (formed.date() - joined.date()).days)
                for joined, formed in enrolled if formed is not None]

    pairs = pair_rows(context_id) if pairs is None else pairs
    formed = len(pairs)
    signed = [p for p in pairs if p.signed_at is not None]
    met = [p for p in pairs if p.sessions]
    active = [p for p in pairs if p.active_on(today)]
    completed = [p for p in pairs if p.status == "completed"]

    def pair_stage(code: str, subset: Sequence[PairRow], time: Figure | None = None) -> Stage:
        return Stage(code, len(_people(subset)), len(subset), share(len(subset), formed, "pairs"),
                     "matched_pairs", time)

    matched_people = len(_people(pairs))
    return [
        Stage("members", members, detail={"launch": sources.get("launch", 0),
                                          "roster": sources.get("roster", 0)}),
        Stage("enrolled", len(enrolled), share=share(len(enrolled), members, "people"),
              base="members"),
        Stage("matched", matched_people, formed, share(matched_people, len(enrolled), "people"),
              "enrolled", median(to_match, "people")),
        pair_stage("agreement", signed, median(
            [max(0, (p.signed_at.date() - p.formed_on).days) for p in signed if p.signed_at],
            "pairs")),
        pair_stage("first_session", met, median(
            [max(0, (p.sessions[0] - p.formed_on).days) for p in met], "pairs")),
        pair_stage("active", active),
        pair_stage("completed", completed),
    ]


# --- engagement -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModuleGroup:
    """Modules of one track or audience: who started them, finished them, passed the quiz."""

    code: str
    started: Figure  # people who started at least one of these modules
    completion: Figure  # completed starts / starts (n: people who started)
    passing: Figure  # passed quizzes / attempted quizzes (n: people who tried a quiz)


@dataclass(frozen=True, slots=True)
class Engagement:
    sessions_per_month: Figure  # confirmed sessions per active pair and month
    session_gap: Figure  # median days between two confirmed sessions of a pair
    checkin_response: Figure  # check-ins sent / one expected per partner and session
    by_track: list[ModuleGroup]
    by_audience: list[ModuleGroup]


def _module_activity(context_id: int) -> list[tuple[str, int, str, int]]:
    """(kind, user, module, passed) for starts 's', completions 'c' and quizzes tried 'q'."""
    passed = func.max(case((QuizAttempt.passed, 1), else_=0))
    return [tuple(r) for r in db.session.execute(union_all(  # type: ignore[misc]
        select(literal_column("'s'").label("k"), StepCompletion.user_id,
               StepCompletion.module_slug, literal_column("0").label("p"))
        .where(StepCompletion.context_id == context_id).distinct(),
        select(literal_column("'c'"), ModuleCompletion.user_id, ModuleCompletion.module_slug,
               literal_column("0"))
        .where(ModuleCompletion.context_id == context_id),
        select(literal_column("'q'"), QuizAttempt.user_id, QuizAttempt.module_slug, passed)
        .where(QuizAttempt.context_id == context_id)
        .group_by(QuizAttempt.user_id, QuizAttempt.module_slug)))]


def _module_groups(activity: Sequence[tuple[str, int, str, int]], group_of: Mapping[str, str],
                   codes: Sequence[str]) -> list[ModuleGroup]:
    starts: dict[str, set[tuple[int, str]]] = defaultdict(set)
    done: dict[str, set[tuple[int, str]]] = defaultdict(set)
    tried: dict[str, set[tuple[int, str]]] = defaultdict(set)
    passed: dict[str, set[tuple[int, str]]] = defaultdict(set)
    for kind, user_id, slug, ok in activity:
        group = group_of.get(slug)
        if group is None:  # a module no longer in the library
            continue
        key = (user_id, slug)
        {"s": starts, "c": done, "q": tried}[kind][group].add(key)
        if kind == "q" and ok:
            passed[group].add(key)
    out = []
    for code in codes:
        people = len({u for u, _slug in starts[code]})
        finished, started = len(done[code] & starts[code]), len(starts[code])
        out.append(ModuleGroup(
            code, count(people),
            Figure("share", finished / started if started else None, people, "people",
                   finished, whole=started, whole_unit="starts"),
            Figure("share", len(passed[code]) / len(tried[code]) if tried[code] else None,
                   len({u for u, _slug in tried[code]}), "people", len(passed[code]),
                   whole=len(tried[code]), whole_unit="quizzes")))
    return out


def engagement(context_id: int, now: datetime, library: Library,
               pairs: Sequence[PairRow] | None = None) -> Engagement:
    """Session rhythm, check-in answers, and module completion and quiz passing by group."""
    today = now.date()
    pairs = pair_rows(context_id) if pairs is None else pairs
    running = [p for p in pairs if p.status == "active"]
    months = sum(max((today - p.formed_on).days, MONTH_DAYS) / MONTH_DAYS for p in running)
    sessions = sum(len(p.sessions) for p in running)
    rate = Figure("rate", sessions / months if months else None, len(running), "pairs")
    gaps = [float((b - a).days) for p in pairs for a, b in zip(p.sessions, p.sessions[1:],
                                                                strict=False)]
    with_gaps = sum(1 for p in pairs if len(p.sessions) > 1)
    gap = Figure("days", float(statistics.median(gaps)) if gaps else None, with_gaps, "pairs")
    met = [p for p in pairs if p.sessions]
    expected = sum(2 * len(p.sessions) for p in met)
    answered = sum(min(c, len(p.sessions)) for p in met for c in p.checkins)
    response = Figure("share", answered / expected if expected else None, len(_people(met)),
                      "people", answered, whole=expected, whole_unit="checkins")
    activity = _module_activity(context_id)
    modules = list(library)
    return Engagement(
        rate, gap, response,
        _module_groups(activity, {m.slug: m.track for m in modules}, TRACKS),
        _module_groups(activity, {m.slug: m.audience for m in modules}, AUDIENCES))


# --- pair health ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairHealth:
    active_pairs: int  # pairs in status active
    answered: int  # ... whose two partners both sent a check-in
    quadrants: Mapping[str, Figure]  # see QUADRANTS; shares of `answered`
    pulse: Figure  # mean of the latest "how happy" answers (1–5)
    learning: Figure  # share of the latest answers saying "I am learning"
    two_way_feedback: Figure  # formed pairs where feedback went both ways and was answered


def latest_checkins(context_id: int) -> list[tuple[int, int, int, bool]]:
    """(pair, user, happy, learning) of each partner's latest check-in in active pairs."""
    ranked = (select(CheckIn.pair_id, CheckIn.user_id, CheckIn.happy, CheckIn.learning,
                     func.row_number().over(
                         partition_by=(CheckIn.pair_id, CheckIn.user_id),
                         order_by=(CheckIn.recorded_at.desc(), CheckIn.id.desc())).label("rn"))
              .join(Pair, Pair.id == CheckIn.pair_id)
              .where(Pair.context_id == context_id, Pair.status == "active",
                     or_(CheckIn.user_id == Pair.mentor_id, CheckIn.user_id == Pair.mentee_id))
              .subquery())
    return [(p, u, int(h), bool(ok)) for p, u, h, ok in db.session.execute(
        select(ranked.c.pair_id, ranked.c.user_id, ranked.c.happy, ranked.c.learning)
        .where(ranked.c.rn == 1))]


def quadrant_of(answers: Sequence[tuple[int, bool]]) -> str:
    """Both partners' latest (happy, learning) → one of QUADRANTS."""
    happy = all(h >= HAPPY_FROM for h, _ok in answers)
    learning = all(ok for _h, ok in answers)
    if happy:
        return "happy_learning" if learning else "happy_not_learning"
    return "learning_not_happy" if learning else "neither"


def pair_health(context_id: int, now: datetime, pairs: Sequence[PairRow] | None = None
                ) -> PairHealth:
    """The "both happy, both learning" 2×2 of active pairs, the pulse and two-way feedback."""
    pairs = pair_rows(context_id) if pairs is None else pairs
    running = {p.id: p for p in pairs if p.status == "active"}
    answers: dict[int, dict[int, tuple[int, bool]]] = defaultdict(dict)
    for pair_id, user_id, happy, learning in latest_checkins(context_id):
        if pair_id in running:
            answers[pair_id][user_id] = (happy, learning)
    both = [list(a.values()) for a in answers.values() if len(a) == 2]
    counts = Counter(quadrant_of(a) for a in both)
    latest = [a for pair in answers.values() for a in pair.values()]
    two_way = sum(1 for p in pairs if all(p.feedback_acknowledged))
    return PairHealth(
        active_pairs=len(running), answered=len(both),
        quadrants={q: share(counts[q], len(both), "pairs") for q in QUADRANTS},
        pulse=mean([h for h, _ok in latest], len(latest), "answers", minimum=MIN_RESPONSES),
        learning=share(sum(1 for _h, ok in latest if ok), len(latest), "answers",
                       minimum=MIN_RESPONSES),
        two_way_feedback=share(two_way, len(pairs), "pairs"))


# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigCompRow:
    """First and latest self-rating of people who rated a competence at least twice."""

    code: str  # an area "1".."5" or a competence "2.1"
    people: Figure
    first: Figure
    latest: Figure
    change: Figure


@dataclass(frozen=True, slots=True)
class Outcomes:
    by_area: list[DigCompRow]
    by_competence: list[DigCompRow]
    level_up: Figure  # formed pairs with a mentor's attestation (digital level-up)
    learning_entries: int  # reciprocal learning entries the mentee confirmed
    reciprocal: Figure  # formed pairs with at least one confirmed entry
    badges: list[tuple[str, Figure]]  # (badge slug, learners who hold it)


def self_rating_changes(context_id: int) -> dict[tuple[int, str], tuple[int, int]]:
    """(user, competence) → (first, latest) rating, for competences rated at least twice."""
    seen: dict[tuple[int, str], list[int]] = defaultdict(list)
    for user_id, ratings in db.session.execute(
            select(SelfAssessment.user_id, SelfAssessment.ratings)
            .where(SelfAssessment.context_id == context_id)
            .order_by(SelfAssessment.recorded_at, SelfAssessment.id)):
        for competence, level in (ratings or {}).items():
            try:
                seen[(user_id, str(competence))].append(int(level))
            except (TypeError, ValueError):
                continue
    return {key: (levels[0], levels[-1]) for key, levels in seen.items() if len(levels) > 1}


def _digcomp_row(code: str, items: Sequence[tuple[int, int, int]]) -> DigCompRow:
    people = len({u for u, _a, _b in items})
    return DigCompRow(code, count(people),
                      mean([a for _u, a, _b in items], people, "people"),
                      mean([b for _u, _a, b in items], people, "people"),
                      mean([b - a for _u, a, b in items], people, "people", kind="change"))


def badge_counts(context_id: int) -> Counter[str]:
    """Badge slug → learners holding it (revoked awards do not count)."""
    return Counter({slug: n for slug, n in db.session.execute(
        select(BadgeAward.badge_slug, func.count())
        .where(BadgeAward.context_id == context_id, BadgeAward.revoked_at.is_(None))
        .group_by(BadgeAward.badge_slug))})


def outcomes(context_id: int, now: datetime, pairs: Sequence[PairRow] | None = None,
             badge_order: Sequence[str] = ()) -> Outcomes:
    """Self-rating change by DigComp area and competence, attestations, learning, badges."""
    pairs = pair_rows(context_id) if pairs is None else pairs
    changes = self_rating_changes(context_id)
    by_area: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    by_comp: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for (user_id, competence), (first, latest) in changes.items():
        by_area[competence.split(".")[0]].append((user_id, first, latest))
        by_comp[competence].append((user_id, first, latest))
    awards = badge_counts(context_id)
    slugs = [*badge_order, *sorted(set(awards) - set(badge_order))]
    return Outcomes(
        by_area=[_digcomp_row(str(a), by_area.get(str(a), [])) for a in DIGCOMP_AREAS],
        by_competence=[_digcomp_row(c, by_comp[c]) for c in sorted(
            by_comp, key=lambda c: tuple(int(x) if x.isdigit() else 0 for x in c.split(".")))],
        level_up=share(sum(1 for p in pairs if p.attestations), len(pairs), "pairs"),
        learning_entries=sum(p.learning_confirmed for p in pairs),
        reciprocal=share(sum(1 for p in pairs if p.learning_confirmed), len(pairs), "pairs"),
        badges=[(slug, count(awards.get(slug, 0))) for slug in slugs])


# --- alerts -----------------------------------------------------------------------------------


def alert_counts(context_id: int, now: datetime) -> tuple[dict[str, int], int]:
    """Pairs per alert code (ALERTS order) and pairs with any alert, as the pairs page has them.

    Shown exactly, not suppressed: they are the instructor's to-do list, and the pairs page
    they link to already lists each of these pairs to the same instructor.
    """
    facts = course_pairs(context_id, now)
    counts = Counter(a for f in facts for a in f.alerts)
    return {a: counts.get(a, 0) for a in ALERTS}, sum(1 for f in facts if f.alerts)


# --- the whole page ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dashboard:
    as_of: datetime
    funnel: list[Stage]
    engagement: Engagement
    health: PairHealth
    outcomes: Outcomes
    alerts: dict[str, int]
    pairs_with_alerts: int


def dashboard(context_id: int, now: datetime, library: Library,
              badge_order: Sequence[str] = ()) -> Dashboard:
    """Every section of the program dashboard, in a fixed number of statements."""
    pairs = pair_rows(context_id)
    alerts, flagged = alert_counts(context_id, now)
    return Dashboard(as_of=now, funnel=funnel(context_id, now, pairs),
                     engagement=engagement(context_id, now, library, pairs),
                     health=pair_health(context_id, now, pairs),
                     outcomes=outcomes(context_id, now, pairs, badge_order),
                     alerts=alerts, pairs_with_alerts=flagged)


@dataclass(frozen=True, slots=True)
class Headline:
    """Three numbers for the instructor's landing page."""

    enrolled: int
    active_pairs: int  # met in the last 21 days
    thriving: Figure  # share of answered active pairs that are both happy and learning


def headline(context_id: int, now: datetime) -> Headline:
    pairs = pair_rows(context_id)
    enrolled = db.session.scalar(
        select(func.count()).select_from(Profile)
        .join(Membership, and_(Membership.user_id == Profile.user_id,
                               Membership.context_id == Profile.context_id))
        .where(Profile.context_id == context_id, Membership.role == "learner")) or 0
    today = now.date()
    health = pair_health(context_id, now, pairs)
    return Headline(enrolled, sum(1 for p in pairs if p.active_on(today)),
                    health.quadrants["happy_learning"])
