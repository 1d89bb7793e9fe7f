"""Record what a learner does in a step. Plain functions: they flush, the view commits once.

Every first completion is stored once: the unique constraints decide, and a duplicate insert
(a double submit, or two requests racing) fails inside a SAVEPOINT and is treated as "already
done", so events are sent exactly once per learner and step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from .. import events
from ..db import Base, db, utcnow
from ..errors import Conflict, Forbidden, ValidationFailed
from ..modules import (
    InvalidAnswer,
    LearningModule,
    PairActivityStep,
    QuizResult,
    QuizStep,
    SelfAssessmentStep,
    Step,
    score_quiz,
)
from ..pairs.models import Pair
from . import queries
from .models import (
    ModuleCompletion,
    PairConfirmation,
    QuizAttempt,
    Reflection,
    SelfAssessment,
    StepCompletion,
)
from .queries import ModuleProgress

SENDER = "lti_tool.progress"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one submission changed."""

    step_completed: bool  # the step was completed now, for the first time
    module_completed: bool  # ... and that completed the module
    waiting_for_partner: bool = False  # a pair activity the partner has not confirmed yet
    attempt_id: int | None = None
    quiz: QuizResult | None = None


def submit_step(user_id: int, context_id: int, module: LearningModule, step: Step,
                data: Mapping[str, Any], *, pair: Pair | None = None,
                now: datetime | None = None) -> Outcome:
    """Record a learner's submission of `step`; idempotent; refuses steps out of order (409).

    `data` is the validated form (see schemas.py); `pair` is the active pair a pair activity is
    confirmed with (None: done on the learner's own, which completes nothing).
    """
    now = now or utcnow()
    progress = queries.module_progress(user_id, context_id, module)
    state = progress.state(step.id)
    assert state is not None, "the view resolved the step from this module"
    if not state.open:
        todo = next(s for s in progress.steps if not (s.done or s.pending))
        raise Conflict(
            _("Step %(n)d is not open yet: finish step %(first)d of this module first.",
              n=state.position, first=todo.position),
            hint=_("Steps are done in order. Go back to the module page to continue where "
                   "you left off."))
    if isinstance(step, QuizStep):
        return _submit_quiz(user_id, context_id, module, step, progress, data, now)
    if isinstance(step, PairActivityStep):
        return _confirm_pair_activity(user_id, context_id, module, step, progress, pair, now)
    if isinstance(step, SelfAssessmentStep):
        _record_self_assessment(user_id, context_id, module, step, data, now)
    elif step.kind == "reflection":
        _save_reflection(user_id, context_id, module, step, data, now)
    first = _complete(user_id, context_id, module, step, progress, now)
    return Outcome(first, first and _complete_module(user_id, context_id, module,
                                                     _with(progress, step.id), now))


# --- kinds --------------------------------------------------------------------------------------


def _submit_quiz(user_id: int, context_id: int, module: LearningModule, step: QuizStep,
                 progress: ModuleProgress, data: Mapping[str, Any], now: datetime) -> Outcome:
    answers: Mapping[str, list[str]] = data.get("answers", {})
    missing = {q.id: _("Choose an answer.") for q in step.questions if not answers.get(q.id)}
    if missing:
        raise ValidationFailed(_("Answer every question before you check your answers."),
                               fields=missing)
    try:
        result = score_quiz(step, answers)
    except InvalidAnswer as exc:
        # Only a changed form gets here (the page offers exactly the quiz's options).
        raise ValidationFailed(
            _("These answers do not fit this quiz, so nothing was saved. Reload the page and "
              "answer again."), fields={"answers": [exc.message]}) from exc
    attempt = QuizAttempt(
        user_id=user_id, context_id=context_id, module_slug=module.slug, step_id=step.id,
        content_version=module.version, submission_key=data["submission"],
        answers={qr.question_id: list(qr.chosen) for qr in result.questions},
        right=result.right, total=result.total, passed=result.passed, attempted_at=now)
    if not _insert_once(attempt):
        # The same form was submitted twice: show the first attempt, record nothing.
        existing = db.session.scalar(select(QuizAttempt).where(
            QuizAttempt.user_id == user_id, QuizAttempt.submission_key == data["submission"]))
        if existing is None or existing.module_slug != module.slug or existing.step_id != step.id:
            raise Conflict(_("This form was already used. Reload the page and try again."))
        return Outcome(False, False, attempt_id=existing.id, quiz=result)
    first = _complete(user_id, context_id, module, step, progress, now,
                      score=result.right, passed=result.passed)
    done = _complete_module(user_id, context_id, module, _with(progress, step.id), now)
    return Outcome(first, done, attempt_id=attempt.id, quiz=result)


def _save_reflection(user_id: int, context_id: int, module: LearningModule, step: Step,
                     data: Mapping[str, Any], now: datetime) -> None:
    text, shared = str(data["text"]), bool(data.get("share", False))
    existing = queries.reflection_of(user_id, context_id, module.slug, step.id)
    if existing is None:
        existing = Reflection(user_id=user_id, context_id=context_id, module_slug=module.slug,
                              step_id=step.id, content_version=module.version, text=text,
                              shared=shared, created_at=now, updated_at=now)
        if _insert_once(existing):
            return
        existing = queries.reflection_of(user_id, context_id, module.slug, step.id)
        assert existing is not None
    # Learners may edit their reflection and change whether it is shared.
    existing.text, existing.shared, existing.updated_at = text, shared, now
    db.session.flush()


def _record_self_assessment(user_id: int, context_id: int, module: LearningModule,
                            step: SelfAssessmentStep, data: Mapping[str, Any],
                            now: datetime) -> None:
    ratings: Mapping[str, int] = data.get("ratings", {})
    unknown = sorted(set(ratings) - set(step.competences))
    if unknown:
        raise ValidationFailed(
            _("These ratings do not fit this step, so nothing was saved. Reload the page and "
              "answer again."), fields={"ratings": [", ".join(unknown)]})
    missing = {c: _("Choose a level.") for c in step.competences if c not in ratings}
    if missing:
        raise ValidationFailed(_("Rate every competence before you continue."), fields=missing)
    if queries.self_assessment_of(user_id, context_id, module.slug, step.id) is not None:
        return  # recorded once; a baseline must not be rewritten after the fact
    row = SelfAssessment(user_id=user_id, context_id=context_id, source=module.slug,
                         module_slug=module.slug, step_id=step.id,
                         content_version=module.version,
                         ratings={c: int(ratings[c]) for c in step.competences},
                         framework=module.digcomp_framework or "2.2", recorded_at=now)
    if _insert_once(row):
        events.self_assessment_recorded.send(
            SENDER, user_id=user_id, context_id=context_id, ratings=dict(row.ratings),
            source=module.slug, recorded_at=now)


def _confirm_pair_activity(user_id: int, context_id: int, module: LearningModule,
                           step: PairActivityStep, progress: ModuleProgress, pair: Pair | None,
                           now: datetime) -> Outcome:
    if pair is None:
        # No partner yet: note it, complete nothing (the step needs both partners).
        if queries.solo_confirmation(user_id, context_id, module.slug, step.id) is None:
            _insert_once(PairConfirmation(pair_id=None, user_id=user_id, context_id=context_id,
                                          module_slug=module.slug, step_id=step.id,
                                          content_version=module.version, confirmed_at=now))
        return Outcome(False, False, waiting_for_partner=True)
    side = pair.side_of(user_id)
    if side is None or pair.status != "active" or pair.context_id != context_id:
        raise Forbidden(_("You can confirm pair activities only with your own active pair."))
    _lock_pair_activities(pair.id)
    _insert_once(PairConfirmation(pair_id=pair.id, user_id=user_id, context_id=context_id,
                                  module_slug=module.slug, step_id=step.id,
                                  content_version=module.version, confirmed_at=now))
    partner = pair.partner_of(user_id)
    if (pair.id, partner) not in queries.confirmations(module.slug, step.id, [pair.id]):
        return Outcome(False, False, waiting_for_partner=True)
    first = _complete(user_id, context_id, module, step, progress, now)
    done = first and _complete_module(user_id, context_id, module, _with(progress, step.id), now)
    # The partner's step completes in the same transaction (their earlier steps were open
    # when they confirmed).
    theirs = queries.module_progress(partner, context_id, module)
    if _complete(partner, context_id, module, step, theirs, now):
        _complete_module(partner, context_id, module, _with(theirs, step.id), now)
    return Outcome(first, done)


# --- completion ---------------------------------------------------------------------------------


def _complete(user_id: int, context_id: int, module: LearningModule, step: Step,
              progress: ModuleProgress, now: datetime, *, score: int | None = None,
              passed: bool | None = None) -> bool:
    """Store the step's completion once; True (and one `step_completed`) only the first time."""
    state = progress.state(step.id)
    if state is not None and state.done:
        return False
    row = StepCompletion(user_id=user_id, context_id=context_id, module_slug=module.slug,
                         step_id=step.id, kind=step.kind, content_version=module.version,
                         completed_at=now)
    if not _insert_once(row):
        return False
    events.step_completed.send(
        SENDER, user_id=user_id, context_id=context_id, module_slug=module.slug,
        step_id=step.id, kind=step.kind, content_version=module.version, score=score,
        passed=passed, completed_at=now)
    return True


def _complete_module(user_id: int, context_id: int, module: LearningModule,
                     progress: ModuleProgress, now: datetime) -> bool:
    """Once every current step is done, store the module's completion and send the event once.

    A later, better quiz attempt raises the stored score (it never lowers it) without a new event.
    """
    if progress.done_count < progress.total:
        return False
    quiz = next((s for s in module.steps if isinstance(s, QuizStep)), None)
    best = queries.best_attempt(user_id, context_id, module.slug, quiz.id) if quiz else None
    score = best.score if best else None
    passed = best.passed if best else quiz is None
    if progress.completed:
        existing = queries.module_completion(user_id, context_id, module.slug)
        if existing is not None and score is not None and score > (existing.score or 0):
            existing.score, existing.passed, existing.updated_at = score, passed, now
            db.session.flush()
        return False
    row = ModuleCompletion(user_id=user_id, context_id=context_id, module_slug=module.slug,
                           content_version=module.version, score=score, passed=passed,
                           completed_at=now, updated_at=now)
    if not _insert_once(row):
        return False
    events.module_completed.send(
        SENDER, user_id=user_id, context_id=context_id, module_slug=module.slug,
        content_version=module.version, score=score, passed=passed, completed_at=now)
    return True


def _lock_pair_activities(pair_id: int) -> None:
    """Serialise the two partners' confirmations of one pair until the transaction ends.

    Without it, two confirmations racing under READ COMMITTED each miss the other's uncommitted
    row and neither completes the step. A PostgreSQL advisory lock leaves the pairs area's rows
    alone; SQLite already lets one writer at a time.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), "
                                "CAST(:pair AS integer))"),
                           {"space": _LOCK_SPACE, "pair": pair_id})


_LOCK_SPACE = 0x70726F67  # "prog": the first key of our two-key advisory locks


def _insert_once(row: Base) -> bool:
    """INSERT inside a SAVEPOINT; False when a unique constraint says the row already exists."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return False
    return True


def _with(progress: ModuleProgress, step_id: str) -> ModuleProgress:
    """`progress` as it is once `step_id` is done too."""
    done = {s.step.id for s in progress.steps if s.done} | {step_id}
    pending = {s.step.id for s in progress.steps if s.pending}
    completion = ((progress.completed_at, progress.completed_version or 0, progress.score,
                   bool(progress.passed)) if progress.completed_at else None)
    return queries.build_progress(progress.module, done, pending, completion)
