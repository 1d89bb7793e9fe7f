"""Read-only views of grade delivery for the instructor's page and the CLI."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..db import db, utcnow
from ..lti.advantage import SCOPE_LINEITEM, SCOPE_SCORE, granted_scopes
from ..lti.models import Context, ResourceLink, User
from .models import GradeLineItem, ScoreOutbox


@dataclass(frozen=True)
class LineItemView:
    module_slug: str
    url: str
    label: str
    source: str  # 'link' (placed by Deep Linking / the LMS) | 'tool' (found or created)


@dataclass(frozen=True)
class DeliveryView:
    row_id: int
    user_id: int
    learner: str
    module_slug: str
    target: str
    lineitem_url: str | None
    score_given: float | None
    score_maximum: float
    status: str  # sent | pending | failed
    in_flight: bool
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    scored_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class CourseGrading:
    can_send: bool
    can_create_lineitems: bool
    problem: str | None  # 'no_ags' | 'no_score_scope'
    line_items: list[LineItemView]
    deliveries: list[DeliveryView]

    @property
    def counts(self) -> Counter[str]:
        return Counter(d.status for d in self.deliveries)


def course_grading(context_id: int, limit: int = 5000) -> CourseGrading:
    """The course's line items and the latest delivery per learner and line item."""
    ctx = db.session.get(Context, context_id)
    scopes = granted_scopes(ctx) if ctx else frozenset()
    can_send = SCOPE_SCORE in scopes
    problem = None  # a code the page explains: 'no_ags' | 'no_score_scope'
    if ctx is None or not ctx.ags_scopes:
        problem = "no_ags"
    elif not can_send:
        problem = "no_score_scope"
    items = [LineItemView(r.module_slug or "", r.lineitem_url or "", r.title or "", "link")
             for r in db.session.scalars(select(ResourceLink).where(
                 ResourceLink.context_id == context_id, ResourceLink.lineitem_url.is_not(None))
                 .order_by(ResourceLink.id))]
    known = {i.url for i in items}
    items += [LineItemView(g.module_slug, g.lineitem_url or "", g.label, "tool")
              for g in db.session.scalars(select(GradeLineItem).where(
                  GradeLineItem.context_id == context_id,
                  GradeLineItem.lineitem_url.is_not(None)).order_by(GradeLineItem.id))
              if g.lineitem_url not in known]
    rows = db.session.execute(
        select(ScoreOutbox, User.name).join(User, User.id == ScoreOutbox.user_id)
        .where(ScoreOutbox.context_id == context_id, ScoreOutbox.status != "superseded")
        .order_by(ScoreOutbox.id.desc()).limit(limit)).all()
    latest: dict[tuple[int, str, str], DeliveryView] = {}
    now = utcnow()
    for row, name in rows:
        key = (row.user_id, row.module_slug, row.target)
        if key in latest:
            continue
        latest[key] = DeliveryView(
            row.id, row.user_id, name or f"#{row.user_id}", row.module_slug, row.target,
            row.lineitem_url, row.score_given, row.score_maximum, row.status,
            row.claimed_until is not None and row.claimed_until > now, row.attempts,
            row.next_attempt_at if row.status == "pending" else None, row.last_error,
            row.scored_at, row.sent_at)
    deliveries = sorted(latest.values(), key=lambda d: (
        {"failed": 0, "pending": 1, "sent": 2}.get(d.status, 3), d.learner.lower(),
        d.module_slug))
    return CourseGrading(can_send, SCOPE_LINEITEM in scopes, problem, items, deliveries)


def outbox_counts(context_id: int | None = None) -> dict[str, int]:
    """Rows per status (whole outbox, or one course)."""
    stmt = select(ScoreOutbox.status, db.func.count()).group_by(ScoreOutbox.status)
    if context_id is not None:
        stmt = stmt.where(ScoreOutbox.context_id == context_id)
    return {status: int(n) for status, n in db.session.execute(stmt).all()}
