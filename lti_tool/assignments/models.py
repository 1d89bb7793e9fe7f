"""Modules an instructor assigned inside the tool: to the course, all mentors, all mentees or
one pair, with an optional due date (a calendar day, as the instructor states it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow
from ..pairs import models as _pairs_models  # noqa: F401  (pairs_pair must exist for the FK)

AUDIENCES = ("course", "mentors", "mentees", "pair")


class Assignment(Base):
    """One module assigned to one audience of a course."""

    __tablename__ = "assignments_assignment"
    __table_args__ = (
        CheckConstraint("audience IN ('course', 'mentors', 'mentees', 'pair')", name="audience"),
        CheckConstraint("(audience = 'pair' AND pair_id IS NOT NULL) OR "
                        "(audience <> 'pair' AND pair_id IS NULL)", name="pair_target"),
        Index("ix_assignments_assignment_course", "context_id", "module_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(100))
    audience: Mapped[str] = mapped_column(String(8))
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs_pair.id", ondelete="CASCADE"))
    due_on: Mapped[date | None]
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id",
                                                               ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
