"""Read-only questions about progress, and the few read-only questions progress asks of pairs.

Nothing here writes. Step pages run `module_progress` (one indexed query) and, for pair
activities, `active_pairs_of`; see benchmarks/step_page.py for what that costs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Integer, String, case, func, or_, select, text

from ..db import UTCDateTime, db
from ..lti.models import ResourceLink, User
from ..modules import LearningModule, Library, PairActivityStep, Step
from ..pairs.models import Agreement, AgreementVersion, Goal, Pair
from .models import (
    ModuleCompletion,
    PairConfirmation,
    QuizAttempt,
    Reflection,
    SelfAssessment,
    StepCompletion,
)

# --- one learner, one module ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepState:
    step: Step
    position: int  # 1-based, in the module's current version
    done: bool
    pending: bool  # a pair activity the learner confirmed that still waits for the partner
    open: bool  # every earlier step is done (or, for pair activities, confirmed by the learner)

    @property
    def status(self) -> str:
        if self.done:
            return "done"
        if self.pending:
            return "pending"
        return "open" if self.open else "locked"


@dataclass(frozen=True, slots=True)
class ModuleProgress:
    """Where one learner stands in one module, against the module's current version."""

    module: LearningModule
    steps: tuple[StepState, ...]
    completed_at: datetime | None
    completed_version: int | None
    score: float | None
    passed: bool | None

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def done_count(self) -> int:
        return sum(s.done for s in self.steps)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total) if self.total else 0

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    @property
    def started(self) -> bool:
        return any(s.done or s.pending for s in self.steps)

    @property
    def next_step(self) -> StepState:
        """Where to resume: the first step that is neither done nor waiting for the partner."""
        for state in self.steps:
            if not state.done and not state.pending:
                return state
        for state in self.steps:
            if not state.done:
                return state
        return self.steps[0]

    def state(self, step_id: str) -> StepState | None:
        return next((s for s in self.steps if s.step.id == step_id), None)


def build_progress(module: LearningModule, done: Iterable[str], pending: Iterable[str],
                   completion: tuple[datetime, int, float | None, bool] | None
                   ) -> ModuleProgress:
    """Lay stored step ids over the module's current steps (ids it no longer has are ignored)."""
    done_ids, pending_ids = set(done), set(pending)
    states: list[StepState] = []
    open_ = True
    for i, step in enumerate(module.steps, start=1):
        is_done = step.id in done_ids
        is_pending = not is_done and step.kind == PairActivityStep.kind and step.id in pending_ids
        states.append(StepState(step, i, is_done, is_pending, open_ or is_done))
        # A confirmed pair activity lets the learner go on while the partner catches up.
        open_ = open_ and (is_done or is_pending)
    at, version, score, passed = completion or (None, None, None, None)
    return ModuleProgress(module, tuple(states), at, version, score, passed)


def preview_progress(module: LearningModule) -> ModuleProgress:
    """Every step open and nothing done: what an instructor sees when previewing a module."""
    return ModuleProgress(module, tuple(StepState(s, i, False, False, True)
                                        for i, s in enumerate(module.steps, start=1)),
                          None, None, None, None)


# The step page's one query, written out: building and cache-keying the equivalent Core UNION
# cost more than running it (benchmarks/step_page.py). The first SELECT types the columns, so
# the module completion goes first. Table names are those of models.py (a test checks).
_PROGRESS_SQL = text("""
    SELECT 'm' AS k, '' AS step_id, completed_at, content_version, score, passed
      FROM progress_module_completion
     WHERE user_id = :user_id AND context_id = :context_id AND module_slug = :slug
    UNION ALL
    SELECT 'c', step_id, NULL, NULL, NULL, NULL
      FROM progress_step_completion
     WHERE user_id = :user_id AND context_id = :context_id AND module_slug = :slug
    UNION ALL
    SELECT 'p', step_id, NULL, NULL, NULL, NULL
      FROM progress_pair_confirmation
     WHERE user_id = :user_id AND context_id = :context_id AND module_slug = :slug
""").columns(k=String(), step_id=String(), completed_at=UTCDateTime(),
             content_version=Integer(), score=Float(), passed=Boolean())


def module_progress(user_id: int, context_id: int, module: LearningModule) -> ModuleProgress:
    """The learner's progress in `module`, in one round trip (a UNION of three indexed reads)."""
    rows: Sequence[Any] = db.session.execute(
        _PROGRESS_SQL, {"user_id": user_id, "context_id": context_id, "slug": module.slug}).all()
    done = [r.step_id for r in rows if r.k == "c"]
    pending = [r.step_id for r in rows if r.k == "p"]
    completion = next(((r.completed_at, r.content_version, r.score, bool(r.passed))
                       for r in rows if r.k == "m"), None)
    return build_progress(module, done, pending, completion)


# --- one learner, all modules -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LearnerOverview:
    """Everything the catalogue and the landing page need about one learner, in three queries."""

    done: Mapping[str, frozenset[str]]  # module slug -> completed step ids
    pending: Mapping[str, frozenset[str]]  # module slug -> confirmed pair activities
    completions: Mapping[str, tuple[datetime, int, float | None, bool]]
    last_activity: Mapping[str, datetime]  # module slug -> latest completion or confirmation

    def progress(self, module: LearningModule) -> ModuleProgress:
        return build_progress(module, self.done.get(module.slug, ()),
                              self.pending.get(module.slug, ()),
                              self.completions.get(module.slug))


def learner_overview(user_id: int, context_id: int) -> LearnerOverview:
    done: dict[str, set[str]] = defaultdict(set)
    pending: dict[str, set[str]] = defaultdict(set)
    last: dict[str, datetime] = {}
    for slug, step_id, at in db.session.execute(
            select(StepCompletion.module_slug, StepCompletion.step_id,
                   StepCompletion.completed_at)
            .where(StepCompletion.user_id == user_id, StepCompletion.context_id == context_id)):
        done[slug].add(step_id)
        last[slug] = max(last.get(slug, at), at)
    for slug, step_id, at in db.session.execute(
            select(PairConfirmation.module_slug, PairConfirmation.step_id,
                   PairConfirmation.confirmed_at)
            .where(PairConfirmation.user_id == user_id,
                   PairConfirmation.context_id == context_id)):
        pending[slug].add(step_id)
        last[slug] = max(last.get(slug, at), at)
    completions = {
        r.module_slug: (r.completed_at, r.content_version, r.score, r.passed)
        for r in db.session.scalars(
            select(ModuleCompletion).where(ModuleCompletion.user_id == user_id,
                                           ModuleCompletion.context_id == context_id))}
    return LearnerOverview({k: frozenset(v) for k, v in done.items()},
                           {k: frozenset(v) for k, v in pending.items()}, completions, last)


def resume_module(library: Library, overview: LearnerOverview) -> LearningModule | None:
    """The module the learner worked on last and has not finished, if any."""
    for slug, _at in sorted(overview.last_activity.items(), key=lambda kv: kv[1], reverse=True):
        module = library.get(slug)
        if module is not None and not overview.progress(module).completed:
            return module
    return None


def completed_step_ids(user_id: int, context_id: int, slug: str) -> set[str]:
    return set(db.session.scalars(
        select(StepCompletion.step_id).where(StepCompletion.user_id == user_id,
                                             StepCompletion.context_id == context_id,
                                             StepCompletion.module_slug == slug)))


def module_completion(user_id: int, context_id: int, slug: str) -> ModuleCompletion | None:
    return db.session.scalar(select(ModuleCompletion).where(
        ModuleCompletion.user_id == user_id, ModuleCompletion.context_id == context_id,
        ModuleCompletion.module_slug == slug))


def best_attempt(user_id: int, context_id: int, slug: str, step_id: str) -> QuizAttempt | None:
    """The attempt with the highest share of right answers (the earliest among equals)."""
    attempts = db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.context_id == context_id,
        QuizAttempt.module_slug == slug, QuizAttempt.step_id == step_id)).all()
    return max(attempts, key=lambda a: (a.score, -a.id), default=None)


def latest_attempt(user_id: int, context_id: int, slug: str, step_id: str
                   ) -> QuizAttempt | None:
    return db.session.scalar(select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.context_id == context_id,
        QuizAttempt.module_slug == slug, QuizAttempt.step_id == step_id)
        .order_by(QuizAttempt.id.desc()).limit(1))


def attempt_of(user_id: int, attempt_id: int) -> QuizAttempt | None:
    """A learner's own quiz attempt (None for someone else's)."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    return attempt if attempt is not None and attempt.user_id == user_id else None


def reflection_of(user_id: int, context_id: int, slug: str, step_id: str) -> Reflection | None:
    return db.session.scalar(select(Reflection).where(
        Reflection.user_id == user_id, Reflection.context_id == context_id,
        Reflection.module_slug == slug, Reflection.step_id == step_id))


def self_assessment_of(user_id: int, context_id: int, slug: str, step_id: str
                       ) -> SelfAssessment | None:
    return db.session.scalar(select(SelfAssessment).where(
        SelfAssessment.user_id == user_id, SelfAssessment.context_id == context_id,
        SelfAssessment.module_slug == slug, SelfAssessment.step_id == step_id))


def confirmations(slug: str, step_id: str, pair_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(pair id, user id) of everyone who confirmed this pair activity for these pairs."""
    if not pair_ids:
        return set()
    return {(p or 0, u) for p, u in db.session.execute(
        select(PairConfirmation.pair_id, PairConfirmation.user_id).where(
            PairConfirmation.module_slug == slug, PairConfirmation.step_id == step_id,
            PairConfirmation.pair_id.in_(pair_ids)))}


def solo_confirmation(user_id: int, context_id: int, slug: str, step_id: str
                      ) -> PairConfirmation | None:
    return db.session.scalar(select(PairConfirmation).where(
        PairConfirmation.user_id == user_id, PairConfirmation.context_id == context_id,
        PairConfirmation.module_slug == slug, PairConfirmation.step_id == step_id,
        PairConfirmation.pair_id.is_(None)))


def resource_link_module(resource_link_pk: int | None) -> str | None:
    """The module the LMS placed at the link the learner launched from (custom `module`)."""
    if resource_link_pk is None:
        return None
    return db.session.scalar(select(ResourceLink.module_slug)
                             .where(ResourceLink.id == resource_link_pk))


# --- pairs (read-only; the pairs area owns these rows) ----------------------------------------


def pair_activity_slots(user_id: int, context_id: int, slug: str, step_id: str
                        ) -> list[tuple[Pair, str, bool, bool]]:
    """The learner's active pairs for a pair activity, in one query: each pair, the partner's
    name, and whether the learner and the partner confirmed the activity for that pair."""
    partner = case((Pair.mentor_id == user_id, Pair.mentee_id), else_=Pair.mentor_id)

    def confirmed(who: Any) -> Any:
        return select(PairConfirmation.id).where(
            PairConfirmation.pair_id == Pair.id, PairConfirmation.user_id == who,
            PairConfirmation.module_slug == slug, PairConfirmation.step_id == step_id).exists()

    rows = db.session.execute(
        select(Pair, User.name, confirmed(user_id), confirmed(partner))
        .join(User, User.id == partner)
        .where(Pair.context_id == context_id, Pair.status == "active",
               or_(Pair.mentor_id == user_id, Pair.mentee_id == user_id))
        .order_by(Pair.id))
    return [(pair, name or f"#{pair.partner_of(user_id)}", bool(mine), bool(theirs))
            for pair, name, mine, theirs in rows]


def active_pairs_of(user_id: int, context_id: int) -> list[Pair]:
    """The learner's active pairs in the course (a mentor may have several mentees)."""
    return list(db.session.scalars(
        select(Pair).where(Pair.context_id == context_id, Pair.status == "active",
                           or_(Pair.mentor_id == user_id, Pair.mentee_id == user_id))
        .order_by(Pair.id)))


def pairs_of(user_id: int, context_id: int) -> list[Pair]:
    """Active and completed pairs the learner belongs to (those whose progress they may see)."""
    return list(db.session.scalars(
        select(Pair).where(Pair.context_id == context_id,
                           Pair.status.in_(("active", "completed")),
                           or_(Pair.mentor_id == user_id, Pair.mentee_id == user_id))
        .order_by(Pair.id)))


def get_pair(pair_id: int) -> Pair | None:
    return db.session.get(Pair, pair_id)


def goal_competences(pair_ids: Sequence[int]) -> set[str]:
    """DigComp ids named in the goals of the newest agreement version of these pairs."""
    if not pair_ids:
        return set()
    newest = (select(AgreementVersion.agreement_id, func.max(AgreementVersion.number).label("n"))
              .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
              .where(Agreement.pair_id.in_(pair_ids))
              .group_by(AgreementVersion.agreement_id).subquery())
    return set(db.session.scalars(
        select(Goal.competence_id)
        .join(AgreementVersion, AgreementVersion.id == Goal.version_id)
        .join(newest, (newest.c.agreement_id == AgreementVersion.agreement_id)
              & (newest.c.n == AgreementVersion.number))
        .where(Goal.competence_id.is_not(None))))


def user_names(user_ids: Iterable[int]) -> dict[int, str]:
    ids = list(user_ids)
    return {u.id: u.display_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


# --- a pair's view of both partners -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnerModule:
    """One module as the pair sees it: each partner's status, and the pair activity's."""

    module: LearningModule
    progress: Mapping[int, ModuleProgress]  # user id -> progress
    confirmed: frozenset[int]  # user ids who confirmed the pair activity for this pair

    def status_of(self, user_id: int) -> str:
        p = self.progress[user_id]
        if p.completed:
            return "completed"
        return "in-progress" if p.started else "not-started"


@dataclass(frozen=True, slots=True)
class SharedReflection:
    user_id: int
    module: LearningModule
    step: Step
    text: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PairProgress:
    pair: Pair
    modules: tuple[PartnerModule, ...]
    shared_reflections: tuple[SharedReflection, ...] = field(default=())


def pair_progress(pair: Pair, library: Library) -> PairProgress:
    """Both partners' statuses on shared modules (audience "both", or started by either).

    Reads only completions, confirmations and *shared* reflections: never quiz answers and
    never a reflection its author kept private.
    """
    people = (pair.mentor_id, pair.mentee_id)
    done: dict[tuple[int, str], set[str]] = defaultdict(set)
    pending: dict[tuple[int, str], set[str]] = defaultdict(set)
    for uid, slug, step_id in db.session.execute(
            select(StepCompletion.user_id, StepCompletion.module_slug, StepCompletion.step_id)
            .where(StepCompletion.context_id == pair.context_id,
                   StepCompletion.user_id.in_(people))):
        done[(uid, slug)].add(step_id)
    confirmed: dict[str, set[int]] = defaultdict(set)
    for uid, slug, step_id, pid in db.session.execute(
            select(PairConfirmation.user_id, PairConfirmation.module_slug,
                   PairConfirmation.step_id, PairConfirmation.pair_id)
            .where(PairConfirmation.context_id == pair.context_id,
                   PairConfirmation.user_id.in_(people))):
        pending[(uid, slug)].add(step_id)
        if pid == pair.id:
            confirmed[slug].add(uid)
    completions = {(r.user_id, r.module_slug): (r.completed_at, r.content_version, r.score,
                                                 r.passed)
                   for r in db.session.scalars(select(ModuleCompletion).where(
                       ModuleCompletion.context_id == pair.context_id,
                       ModuleCompletion.user_id.in_(people)))}
    touched = {slug for (_uid, slug) in done} | {slug for (_uid, slug) in pending}
    rows = []
    for module in library:
        if module.audience != "both" and module.slug not in touched:
            continue
        rows.append(PartnerModule(module, {
            uid: build_progress(module, done.get((uid, module.slug), ()),
                                pending.get((uid, module.slug), ()),
                                completions.get((uid, module.slug)))
            for uid in people}, frozenset(confirmed.get(module.slug, ()))))
    shared = []
    for r in db.session.scalars(select(Reflection).where(
            Reflection.context_id == pair.context_id, Reflection.user_id.in_(people),
            Reflection.shared.is_(True)).order_by(Reflection.updated_at.desc())):
        found = library.get(r.module_slug)
        step = found.step(r.step_id) if found else None
        if found is not None and step is not None:
            shared.append(SharedReflection(r.user_id, found, step, r.text, r.updated_at))
    return PairProgress(pair, tuple(rows), tuple(shared))


# --- instructors: counts only -----------------------------------------------------------------


def completion_counts(context_id: int) -> dict[str, tuple[int, int]]:
    """Module slug -> (learners who started it, learners who completed it) in a course."""
    started: dict[str, int] = {slug: n for slug, n in db.session.execute(
        select(StepCompletion.module_slug, func.count(func.distinct(StepCompletion.user_id)))
        .where(StepCompletion.context_id == context_id)
        .group_by(StepCompletion.module_slug))}
    completed: dict[str, int] = {slug: n for slug, n in db.session.execute(
        select(ModuleCompletion.module_slug, func.count())
        .where(ModuleCompletion.context_id == context_id)
        .group_by(ModuleCompletion.module_slug))}
    return {slug: (started.get(slug, 0), completed.get(slug, 0))
            for slug in set(started) | set(completed)}
