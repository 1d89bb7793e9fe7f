"""Per-learner progress through micro-modules: completions, quiz attempts, answers of the learner.

Content is never copied here: rows keep the module slug, the step id and the content version they
were made against, so editing a module later never changes or loses what a learner has done.
Every row belongs to one learner in one course (`context_id` is the course's primary key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow

_USER = "lti_user.id"
_CONTEXT = "lti_context.id"
SLUG_LEN = 100
STEP_LEN = 100


class StepCompletion(Base):
    """A learner completed a step; at most one row per learner, course, module and step."""

    __tablename__ = "progress_step_completion"
    __table_args__ = (
        UniqueConstraint("user_id", "context_id", "module_slug", "step_id",
                         name="uq_progress_step_completion_learner_step"),
        CheckConstraint("content_version >= 1", name="content_version"),
        # Instructors' counts per module in a course.
        Index("ix_progress_step_completion_course_module", "context_id", "module_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(SLUG_LEN))
    step_id: Mapped[str] = mapped_column(String(STEP_LEN))
    kind: Mapped[str] = mapped_column(String(20))
    content_version: Mapped[int]
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizAttempt(Base):
    """One submitted quiz: the chosen options and the score. Learners may try again."""

    __tablename__ = "progress_quiz_attempt"
    __table_args__ = (
        # The form carries a one-off key, so a double submit is recorded once.
        UniqueConstraint("user_id", "submission_key", name="uq_progress_quiz_attempt_submission"),
        CheckConstraint("total >= 1 AND right_answers BETWEEN 0 AND total", name="score"),
        Index("ix_progress_quiz_attempt_learner_module", "user_id", "context_id", "module_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(SLUG_LEN))
    step_id: Mapped[str] = mapped_column(String(STEP_LEN))
    content_version: Mapped[int]
    submission_key: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, list[str]]] = mapped_column(JSON)  # question id -> option ids
    right: Mapped[int] = mapped_column("right_answers")  # RIGHT is an SQL keyword
    total: Mapped[int]
    passed: Mapped[bool]
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def score(self) -> float:
        return self.right / self.total


class ModuleCompletion(Base):
    """A learner completed every step of a module (as it was at `content_version`)."""

    __tablename__ = "progress_module_completion"
    __table_args__ = (
        UniqueConstraint("user_id", "context_id", "module_slug",
                         name="uq_progress_module_completion_learner_module"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 1)", name="score"),
        Index("ix_progress_module_completion_course_module", "context_id", "module_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(SLUG_LEN))
    content_version: Mapped[int]
    score: Mapped[float | None]  # best quiz attempt, share of right answers 0..1
    passed: Mapped[bool]
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # a better retake raises score


class Reflection(Base):
    """A learner's written reflection: private unless `shared` with their partner."""

    __tablename__ = "progress_reflection"
    __table_args__ = (
        UniqueConstraint("user_id", "context_id", "module_slug", "step_id",
                         name="uq_progress_reflection_learner_step"),
        CheckConstraint("length(text) > 0", name="not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(SLUG_LEN))
    step_id: Mapped[str] = mapped_column(String(STEP_LEN))
    content_version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PairConfirmation(Base):
    """One partner confirmed a pair activity, for one pair (or alone, `pair_id` NULL).

    The step completes for both partners once both confirmed for the same pair. A confirmation
    without a pair ("done on my own") is kept but completes nothing; see progress/README.md.
    """

    __tablename__ = "progress_pair_confirmation"
    __table_args__ = (
        Index("uq_progress_pair_confirmation_pair", "pair_id", "user_id", "module_slug",
              "step_id", unique=True, sqlite_where=text("pair_id IS NOT NULL"),
              postgresql_where=text("pair_id IS NOT NULL")),
        Index("uq_progress_pair_confirmation_solo", "user_id", "context_id", "module_slug",
              "step_id", unique=True, sqlite_where=text("pair_id IS NULL"),
              postgresql_where=text("pair_id IS NULL")),
        Index("ix_progress_pair_confirmation_learner", "user_id", "context_id", "module_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs_pair.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(SLUG_LEN))
    step_id: Mapped[str] = mapped_column(String(STEP_LEN))
    content_version: Mapped[int]
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SelfAssessment(Base):
    """Ratings of DigComp competences on the 5-point scale, from a module step or a profile."""

    __tablename__ = "progress_self_assessment"
    __table_args__ = (
        # One per self-assessment step (rows from elsewhere have no step and may repeat).
        UniqueConstraint("user_id", "context_id", "module_slug", "step_id",
                         name="uq_progress_self_assessment_learner_step"),
        Index("ix_progress_self_assessment_learner", "user_id", "context_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(SLUG_LEN))  # module slug or 'profile'
    module_slug: Mapped[str | None] = mapped_column(String(SLUG_LEN))
    step_id: Mapped[str | None] = mapped_column(String(STEP_LEN))
    content_version: Mapped[int | None]
    ratings: Mapped[dict[str, Any]] = mapped_column(JSON)  # competence id -> level 1..5
    framework: Mapped[str] = mapped_column(String(8), default="2.2")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
