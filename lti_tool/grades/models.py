"""The score outbox: every grade for the LMS gradebook, written in the completion's transaction.

A row is a score waiting for (or done with) delivery to one line item for one learner. The
outbox key is (context_id, user_id, module_slug, target): one learner's column for one module.
Within a key only the newest row is ever delivered; older undelivered rows are superseded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow

STATUSES = ("pending", "sent", "failed", "superseded")


class ScoreOutbox(Base):
    """One score to POST to `{line item}/scores`, with its delivery state.

    status: pending (waiting or in flight: `claimed_until` in the future means a worker holds
    it), sent, failed (parked: the platform refused it; an instructor can retry), superseded
    (a newer score of the same key replaced it before it was sent).
    """

    __tablename__ = "grades_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'superseded')", name="status"),
        CheckConstraint("score_given IS NULL OR (score_given >= 0 "
                        "AND score_given <= score_maximum)", name="score_range"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_grades_outbox_due", "status", "next_attempt_at"),
        Index("ix_grades_outbox_key", "context_id", "user_id", "module_slug", "target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registration.id",
                                                            ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(100))
    content_version: Mapped[int] = mapped_column(default=1)
    # The line item URL chosen when the score was written, or "" for "find or create the line
    # item with resourceId = module_slug" (no link of the module carried one).
    target: Mapped[str] = mapped_column(String(1024), default="")
    lineitem_url: Mapped[str | None] = mapped_column(String(1024))  # where it was (will be) sent
    lineitems_url: Mapped[str | None] = mapped_column(String(1024))  # for find-or-create
    scopes: Mapped[str] = mapped_column(Text, default="")  # AGS scopes granted to the course
    user_sub: Mapped[str] = mapped_column(String(255))  # AGS userId: the learner's LTI sub
    score_given: Mapped[float | None]
    score_maximum: Mapped[float] = mapped_column(default=100.0)
    activity_progress: Mapped[str] = mapped_column(String(16), default="Completed")
    grading_progress: Mapped[str] = mapped_column(String(16), default="FullyGraded")
    scored_at: Mapped[datetime]  # the AGS timestamp; strictly increasing within a key
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]  # a worker's lease; after it, anyone may retry
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_status: Mapped[int | None]  # the platform's last HTTP status
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class GradeLineItem(Base):
    """A line item the tool found or created by resourceId for a module of a course.

    Used when no resource link of the module carries a line item (the module was assigned in
    the tool, or the platform ignored the Deep Linking lineItem). `creating_until` is a short
    lease so two workers do not create the same column twice.
    """

    __tablename__ = "grades_line_item"
    __table_args__ = (UniqueConstraint("context_id", "module_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(100))
    lineitem_url: Mapped[str | None] = mapped_column(String(1024))
    label: Mapped[str] = mapped_column(String(255), default="")
    creating_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
