"""What the step player shows besides the step itself: the learner's earlier answers, the quiz
result, the pair's confirmations; and where to go after a submission. Reads only."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from ..errors import NotFound
from ..lti.session import Actor
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
from .models import QuizAttempt
from .queries import ModuleProgress
from .services import Outcome


def content_language(module: LearningModule, locale: str | None) -> str:
    """The learner's language when the module has it, else English (else its first language)."""
    if locale in module.languages:
        return str(locale)
    return "en" if "en" in module.languages else module.languages[0]


def localized(texts: Any, lang: str) -> Any:
    """A text in `lang`, falling back to English, then to any language the text has."""
    if not texts:
        return ""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()))


@dataclass(frozen=True, slots=True)
class PairSlot:
    """One of the learner's active pairs, as the pair activity step shows it."""

    pair: Pair
    partner_id: int
    partner_name: str
    me_confirmed: bool
    partner_confirmed: bool

    @property
    def both(self) -> bool:
        return self.me_confirmed and self.partner_confirmed


def step_extras(who: Actor, module: LearningModule, step: Step, progress: ModuleProgress,
                *, attempt_id: int | None = None, retry: bool = False) -> dict[str, Any]:
    """Kind-specific things the step template needs (earlier answers, pair statuses)."""
    if who.role != "learner":
        return {"submission": ""}
    uid, ctx = who.user_id, who.context_id
    state = progress.state(step.id)
    if isinstance(step, QuizStep):
        attempt: QuizAttempt | None = None
        if attempt_id is not None:
            attempt = queries.attempt_of(uid, attempt_id)
            if attempt is None or (attempt.module_slug, attempt.step_id) != (module.slug, step.id):
                raise NotFound(_("This quiz attempt does not exist."),
                               hint=_("Open the quiz again from the module page."))
        elif not retry and state is not None and state.done:
            attempt = queries.latest_attempt(uid, ctx, module.slug, step.id)
        return {"attempt": attempt, "result": rescore(step, attempt),
                "submission": secrets.token_urlsafe(18)}
    # A reflection or a rating is stored together with the step's completion: only a step
    # that is done can have one (saves a query on every step not done yet).
    done = state is not None and state.done
    if step.kind == "reflection":
        return {"reflection": queries.reflection_of(uid, ctx, module.slug, step.id)
                if done else None}
    if isinstance(step, SelfAssessmentStep):
        return {"assessment": queries.self_assessment_of(uid, ctx, module.slug, step.id)
                if done else None}
    if isinstance(step, PairActivityStep):
        slots = [PairSlot(p, p.partner_of(uid), name, mine, theirs) for p, name, mine, theirs
                 in queries.pair_activity_slots(uid, ctx, module.slug, step.id)]
        # Without a pair, "pending" can only come from a confirmation: no query needed.
        return {"slots": slots, "solo": bool(state and state.pending)}
    return {}


def rescore(step: QuizStep, attempt: QuizAttempt | None) -> QuizResult | None:
    """The per-question result of a stored attempt, to show each chosen option's feedback.

    None when the quiz changed since (the stored score is still shown, just not the details).
    """
    if attempt is None:
        return None
    try:
        return score_quiz(step, attempt.answers)
    except InvalidAnswer:
        return None


def after_submit(module: LearningModule, step: Step, outcome: Outcome) -> str:
    """Where a successful submission goes next (focus lands on the anchor)."""
    if isinstance(step, QuizStep):
        return url_for("progress.show_step", slug=module.slug, step_id=step.id,
                       attempt=outcome.attempt_id, _anchor="quiz-result")
    if isinstance(step, PairActivityStep):
        return url_for("progress.show_step", slug=module.slug, step_id=step.id,
                       _anchor="pair-status")
    following = module.next_step(step.id)
    if following is None:
        return url_for("progress.module_overview", slug=module.slug, _anchor="module-status")
    return url_for("progress.show_step", slug=module.slug, step_id=following.id,
                   _anchor="step-title")
