"""Badge awards and the status-list position counter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class BadgeAward(Base):
    """One milestone badge earned by one learner in one course, with its signed credential.

    Idempotent per (user, context, badge): evaluating a rule twice never awards twice.
    `status_index` is the award's global position in the revocation status lists
    (list number = position // LIST_SIZE + 1); it never changes, also on re-issue.
    """

    __tablename__ = "badge_award"
    __table_args__ = (
        UniqueConstraint("user_id", "context_id", "badge_slug"),
        CheckConstraint("revoked_at IS NOT NULL OR revoke_reason IS NULL",
                        name="reason_only_when_revoked"),
        CheckConstraint("status_index >= 0", name="status_index_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"),
                                         index=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"),
                                            index=True)
    # The pair that earned it. Deliberately no foreign key: an award (a credential someone may
    # have shared) outlives the pair's row, and badges never write to or lock pairs tables.
    pair_id: Mapped[int | None] = mapped_column(Integer, index=True)
    badge_slug: Mapped[str] = mapped_column(String(64))
    badge_version: Mapped[int]
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)
    credential_id: Mapped[str] = mapped_column(String(64), unique=True)  # 'urn:uuid:…'
    status_index: Mapped[int] = mapped_column(unique=True)
    credential_json: Mapped[dict[str, Any]] = mapped_column(JSON)  # the signed OB 3.0 credential
    recipient_salt: Mapped[str] = mapped_column(String(64))
    identity_hash: Mapped[str] = mapped_column(String(80))  # 'sha256$…' of e-mail or LTI sub
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts and dates
    show_name: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(String(500))


class BadgeStatusCounter(Base):
    """Next free status-list position per purpose: one row, bumped atomically
    (UPDATE … RETURNING takes a row lock on PostgreSQL and the write lock on SQLite)."""

    __tablename__ = "badge_status_counter"

    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)  # 'revocation'
    next_position: Mapped[int] = mapped_column(default=0)


class BadgeStatusList(Base):
    """A status list's revision: bumped by every revocation in it, so a served (signed) list
    and verification results cached per (list, revision) are rebuilt exactly when it changed."""

    __tablename__ = "badge_status_list"
    __table_args__ = (CheckConstraint("number >= 1", name="number_positive"),)

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
