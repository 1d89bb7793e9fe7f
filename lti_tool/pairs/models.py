"""The mentoring program's rows: profiles, matching runs and proposals, pairs and their life.

Everything a pair writes (goals, notes, feedback, topics) is private to the pair; instructors
read counts and dates through queries.py. Timestamps are UTC and named `*_at`; calendar days a
person states (a session's date) are plain dates named `*_on`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow

_USER = "lti_user.id"
_CONTEXT = "lti_context.id"

PAIR_STATUSES = ("proposed", "active", "declined", "completed")
LIVE_STATUSES = ("proposed", "active")


class Profile(Base):
    """A learner's opt-in to the program of one course, with what matching needs."""

    __tablename__ = "pairs_profile"
    __table_args__ = (
        UniqueConstraint("context_id", "user_id"),
        CheckConstraint("role_preference IN ('mentor', 'mentee', 'either')",
                        name="role_preference"),
        CheckConstraint("career_stage BETWEEN 1 AND 5", name="career_stage"),
        CheckConstraint("capacity BETWEEN 0 AND 5", name="capacity"),
        CheckConstraint("hours_needed BETWEEN 1 AND 10", name="hours_needed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    role_preference: Mapped[str] = mapped_column(String(8))
    offers: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # DigComp id → level
    wants: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)  # [[id, target, now?]]
    teach_back_offers: Mapped[list[str]] = mapped_column(JSON, default=list)
    teach_back_wants: Mapped[list[str]] = mapped_column(JSON, default=list)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    response_time: Mapped[str] = mapped_column(String(16))
    cadence: Mapped[str] = mapped_column(String(16))
    slots: Mapped[list[str]] = mapped_column(JSON, default=list)  # "0-morning", local time
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    availability: Mapped[bytes] = mapped_column(LargeBinary(21))  # 7×24 UTC bits, see matching
    hours_needed: Mapped[int] = mapped_column(default=1)
    career_stage: Mapped[int]
    department: Mapped[str] = mapped_column(String(120), default="")
    team: Mapped[str] = mapped_column(String(120), default="")
    site: Mapped[str] = mapped_column(String(120), default="")
    manager_email: Mapped[str | None] = mapped_column(String(320))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    in_person_only: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[int] = mapped_column(default=1)
    pace: Mapped[int | None]
    structure: Mapped[int | None]
    directness: Mapped[int | None]
    paused: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatchRun(Base):
    """One run of the matching engine over a course's candidates."""

    __tablename__ = "pairs_match_run"
    __table_args__ = (CheckConstraint("mode IN ('quality', 'participation')", name="mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"), index=True)
    run_by: Mapped[int | None] = mapped_column(ForeignKey(_USER, ondelete="SET NULL"))
    mode: Mapped[str] = mapped_column(String(16))
    floor: Mapped[float]
    mentors: Mapped[int] = mapped_column(default=0)
    mentees: Mapped[int] = mapped_column(default=0)
    unmatched: Mapped[list[int]] = mapped_column(JSON, default=list)  # mentee user ids
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Proposal(Base):
    """A suggested pair, reviewed by the instructor before both partners are asked."""

    __tablename__ = "pairs_proposal"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'removed', 'superseded', 'sent')", name="status"),
        CheckConstraint("queue IN ('proposed', 'below_floor')", name="queue"),
        CheckConstraint("source IN ('matching', 'manual', 'override')", name="source"),
        CheckConstraint("mentor_id <> mentee_id", name="two_people"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("pairs_match_run.id",
                                                          ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16), default="matching")
    queue: Mapped[str] = mapped_column(String(16), default="proposed")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    score: Mapped[float]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    gap: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    exclusions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Pair(Base):
    """A mentor and a mentee in one course: proposed, then active once both accepted."""

    __tablename__ = "pairs_pair"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'active', 'declined', 'completed')",
                        name="status"),
        CheckConstraint("mentor_id <> mentee_id", name="two_people"),
        CheckConstraint("status NOT IN ('active', 'completed') OR (mentor_accepted_at IS NOT NULL"
                        " AND mentee_accepted_at IS NOT NULL AND formed_at IS NOT NULL)",
                        name="active_needs_both"),
        # One live pair per mentor and mentee in a course (declined and completed may repeat).
        Index("uq_pairs_pair_live", "context_id", "mentor_id", "mentee_id", unique=True,
              sqlite_where=text("status IN ('proposed', 'active')"),
              postgresql_where=text("status IN ('proposed', 'active')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("pairs_proposal.id",
                                                               ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    mentor_accepted_at: Mapped[datetime | None]
    mentee_accepted_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    declined_by: Mapped[int | None] = mapped_column(ForeignKey(_USER, ondelete="SET NULL"))
    formed_at: Mapped[datetime | None]
    mentor_completed_at: Mapped[datetime | None]
    mentee_completed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    proposal: Mapped[Proposal | None] = relationship()

    def side_of(self, user_id: int) -> str | None:
        """'mentor', 'mentee' or None for someone outside the pair."""
        if user_id == self.mentor_id:
            return "mentor"
        if user_id == self.mentee_id:
            return "mentee"
        return None

    def partner_of(self, user_id: int) -> int:
        return self.mentee_id if user_id == self.mentor_id else self.mentor_id


class Veto(Base):
    """A declined proposal: matching never proposes these two people to each other again."""

    __tablename__ = "pairs_veto"
    __table_args__ = (UniqueConstraint("context_id", "mentor_id", "mentee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    by_user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs_pair.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ManualPairLog(Base):
    """What an instructor changed by hand in the matching, and why."""

    __tablename__ = "pairs_manual_pair_log"
    __table_args__ = (
        CheckConstraint("action IN ('manual_pair', 'override_floor', 'remove_proposal')",
                        name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey(_CONTEXT, ondelete="CASCADE"), index=True)
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey(_USER, ondelete="SET NULL"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("pairs_proposal.id",
                                                               ondelete="SET NULL"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InfoRequest(Base):
    """A partner asked the instructor for more information before accepting a proposal."""

    __tablename__ = "pairs_info_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(Text, default="")  # addressed to the instructor
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agreement(Base):
    """A pair's mentoring agreement; `revision` is the optimistic-concurrency counter."""

    __tablename__ = "pairs_agreement"
    __table_args__ = (UniqueConstraint("pair_id"), CheckConstraint("revision >= 0",
                                                                   name="revision"))

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs_pair.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(default=0)  # bumped by every save and signature
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement", order_by="AgreementVersion.number")

    @property
    def current(self) -> AgreementVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def signed_version(self) -> AgreementVersion | None:
        """The newest version both partners signed, if any."""
        return next((v for v in reversed(self.versions) if v.signed_at), None)


class AgreementVersion(Base):
    """One version of the agreement; a change after any signature makes a new version."""

    __tablename__ = "pairs_agreement_version"
    __table_args__ = (
        UniqueConstraint("agreement_id", "number"),
        CheckConstraint("cadence IN ('weekly', 'fortnightly', 'monthly')", name="cadence"),
        CheckConstraint("signed_at IS NULL OR (mentor_signed_at IS NOT NULL AND "
                        "mentee_signed_at IS NOT NULL)", name="signed_by_both"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("pairs_agreement.id",
                                                         ondelete="CASCADE"))
    number: Mapped[int]
    cadence: Mapped[str] = mapped_column(String(16))
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidentiality: Mapped[bool] = mapped_column(default=False)
    ground_rules: Mapped[str] = mapped_column(Text, default="")
    edited_by: Mapped[int | None] = mapped_column(ForeignKey(_USER, ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    mentor_signed_at: Mapped[datetime | None]
    mentee_signed_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]

    agreement: Mapped[Agreement] = relationship(back_populates="versions")
    goals: Mapped[list[Goal]] = relationship(back_populates="version", order_by="Goal.position",
                                             cascade="all, delete-orphan")

    def goals_for(self, direction: str) -> list[Goal]:
        return [g for g in self.goals if g.direction == direction]


class Goal(Base):
    """A goal in one agreement version: the mentee's digital goals carry a DigComp id."""

    __tablename__ = "pairs_goal"
    __table_args__ = (
        CheckConstraint("direction IN ('mentee', 'mentor')", name="direction"),
        CheckConstraint("target_level IS NULL OR target_level BETWEEN 1 AND 5",
                        name="target_level"),
        CheckConstraint("direction <> 'mentee' OR (competence_id IS NOT NULL AND "
                        "target_level IS NOT NULL)", name="mentee_goal_is_tagged"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("pairs_agreement_version.id",
                                                       ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # whose goal: the mentee's or the mentor's
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    competence_id: Mapped[str | None] = mapped_column(String(8))
    framework: Mapped[str | None] = mapped_column(String(8))
    target_level: Mapped[int | None]

    version: Mapped[AgreementVersion] = relationship(back_populates="goals")


class MentoringSession(Base):
    """A planned meeting and/or a held session; held ones count once both partners confirm."""

    __tablename__ = "pairs_session"
    __table_args__ = (
        CheckConstraint("minutes IS NULL OR minutes BETWEEN 5 AND 600", name="minutes"),
        CheckConstraint("(held_on IS NULL) = (logged_at IS NULL)", name="logged_has_date"),
        CheckConstraint("meeting_url IS NULL OR meeting_url LIKE 'https://%'",
                        name="meeting_url_https"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey(_USER, ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    starts_at: Mapped[datetime | None]  # planned start
    planned_minutes: Mapped[int | None]
    meeting_url: Mapped[str | None] = mapped_column(String(1024))
    held_on: Mapped[date | None]
    minutes: Mapped[int | None]
    topics: Mapped[str] = mapped_column(Text, default="")
    logged_by: Mapped[int | None] = mapped_column(ForeignKey(_USER, ondelete="SET NULL"))
    logged_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]  # when the second partner confirmed

    confirmations: Mapped[list[SessionConfirmation]] = relationship(
        cascade="all, delete-orphan", order_by="SessionConfirmation.confirmed_at")

    def confirmed_by(self, user_id: int) -> bool:
        return any(c.user_id == user_id for c in self.confirmations)


class SessionConfirmation(Base):
    """One partner's confirmation that a logged session took place as logged."""

    __tablename__ = "pairs_session_confirmation"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("pairs_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """Structured feedback from one partner to the other (SBI or feedforward)."""

    __tablename__ = "pairs_feedback"
    __table_args__ = (
        CheckConstraint("kind IN ('sbi', 'feedforward')", name="kind"),
        CheckConstraint("giver_id <> receiver_id", name="two_people"),
        CheckConstraint("action IS NULL OR action IN ('try', 'discuss', 'noted')",
                        name="action"),
        CheckConstraint("(acknowledged_at IS NULL) = (action IS NULL)", name="ack_has_action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    situation: Mapped[str] = mapped_column(Text, default="")
    behaviour: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    suggestion_1: Mapped[str] = mapped_column(Text, default="")
    suggestion_2: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    action: Mapped[str | None] = mapped_column(String(16))
    action_note: Mapped[str] = mapped_column(Text, default="")


class CheckIn(Base):
    """A partner's pulse after sessions: happy 1–5, learning yes/no, an optional note."""

    __tablename__ = "pairs_checkin"
    __table_args__ = (
        CheckConstraint("happy BETWEEN 1 AND 5", name="happy"),
        CheckConstraint("kind IN ('pulse', 'midpoint', 'closing')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("pairs_session.id",
                                                              ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16), default="pulse")
    happy: Mapped[int]
    learning: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearningEntry(Base):
    """A mentor's "what I learned from my mentee", confirmed by the mentee."""

    __tablename__ = "pairs_learning_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]


class Attestation(Base):
    """A mentor saw the mentee do a task that shows a DigComp competence (level-up badge)."""

    __tablename__ = "pairs_attestation"
    __table_args__ = (CheckConstraint("level IS NULL OR level BETWEEN 1 AND 5", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    competence_id: Mapped[str] = mapped_column(String(8))
    framework: Mapped[str] = mapped_column(String(8), default="2.2")
    level: Mapped[int | None]
    task: Mapped[str] = mapped_column(Text)  # short evidence note, private to the pair
    observed_on: Mapped[date]
    attested_at: Mapped[datetime] = mapped_column(default=utcnow)
