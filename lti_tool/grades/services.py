"""Scores into the outbox (in the completion's transaction) and the instructor's retry.

Nothing here calls the network: the worker (worker.py) delivers. Functions flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..db import db, utcnow
from ..lti.advantage import SCOPE_LINEITEM, SCOPE_SCORE, granted_scopes
from ..lti.models import Context, Deployment, ResourceLink, User
from .models import GradeLineItem, ScoreOutbox

SCORE_MAXIMUM = 100.0
ONE_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Enqueued:
    rows: tuple[int, ...]
    reason: str | None = None  # why nothing was queued (the module then works ungraded)


def _ms(ts: datetime) -> datetime:
    """AGS timestamps carry milliseconds; keep stored ones exactly what is sent."""
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)


def score_given(score: float | None, passed: bool | None) -> float:
    """score × 100 of 100; a module without a quiz score counts as 100 when passed."""
    if score is None:
        return SCORE_MAXIMUM if passed else 0.0
    return round(min(max(float(score), 0.0), 1.0) * SCORE_MAXIMUM, 2)


def targets_for(context: Context, module_slug: str) -> list[str]:
    """Where a module's grade goes in a course: the line items of its links, else the one the
    tool found or created, else "" (find or create on delivery), else nowhere ([])."""
    urls = sorted({u for u in db.session.scalars(select(ResourceLink.lineitem_url).where(
        ResourceLink.context_id == context.id, ResourceLink.module_slug == module_slug,
        ResourceLink.lineitem_url.is_not(None))) if u})
    if urls:
        return urls
    resolved = db.session.scalar(select(GradeLineItem.lineitem_url).where(
        GradeLineItem.context_id == context.id, GradeLineItem.module_slug == module_slug))
    if resolved:
        return [resolved]
    if SCOPE_LINEITEM in granted_scopes(context) and context.lineitems_url:
        return [""]
    return []


def enqueue_score(*, user_id: int, context_id: int, module_slug: str, content_version: int,
                  score: float | None, passed: bool | None, completed_at: datetime) -> Enqueued:
    """Write the completion's score into the outbox for every line item of the module.

    Runs inside the completion's transaction (module_completed handler). A newer score of the
    same learner and line item supersedes an older undelivered one.
    """
    context = db.session.get(Context, context_id)
    if context is None:
        return Enqueued((), "unknown course")
    scopes = granted_scopes(context)
    if SCOPE_SCORE not in scopes:
        return Enqueued((), "the platform does not accept scores from the tool in this course")
    targets = targets_for(context, module_slug)
    if not targets:
        return Enqueued((), "no line item for this module and the platform does not let the "
                            "tool create one")
    sub = db.session.scalar(select(User.sub).where(User.id == user_id))
    registration_id = db.session.scalar(select(Deployment.registration_id).where(
        Deployment.id == context.deployment_id))
    if sub is None or registration_id is None:
        return Enqueued((), "unknown learner")
    given = score_given(score, passed)
    ids = []
    for target in targets:
        key = (ScoreOutbox.context_id == context_id, ScoreOutbox.user_id == user_id,
               ScoreOutbox.module_slug == module_slug, ScoreOutbox.target == target)
        last = db.session.scalar(select(ScoreOutbox.scored_at).where(*key)
                                 .order_by(ScoreOutbox.scored_at.desc()).limit(1))
        stamp = _ms(completed_at)
        if last is not None and stamp <= last:
            stamp = last + ONE_MS  # strictly increasing per learner and line item
        db.session.execute(update(ScoreOutbox).where(*key, ScoreOutbox.status == "pending")
                           .values(status="superseded")
                           .execution_options(synchronize_session=False))
        row = ScoreOutbox(
            context_id=context_id, user_id=user_id, registration_id=registration_id,
            module_slug=module_slug, content_version=content_version, target=target,
            lineitem_url=target or None, lineitems_url=context.lineitems_url,
            scopes=" ".join(sorted(scopes)), user_sub=sub, score_given=given,
            score_maximum=SCORE_MAXIMUM, activity_progress="Completed",
            grading_progress="FullyGraded", scored_at=stamp, status="pending", attempts=0,
            next_attempt_at=utcnow(), created_at=utcnow())
        db.session.add(row)
        db.session.flush()
        ids.append(row.id)
    return Enqueued(tuple(ids))


def retry(row_id: int) -> ScoreOutbox | None:
    """Put a parked (failed) score back in the queue, unless a newer one replaced it."""
    row = db.session.get(ScoreOutbox, row_id)
    if row is None or row.status != "failed":
        return row
    newer = db.session.scalar(select(ScoreOutbox.id).where(
        ScoreOutbox.context_id == row.context_id, ScoreOutbox.user_id == row.user_id,
        ScoreOutbox.module_slug == row.module_slug, ScoreOutbox.target == row.target,
        ScoreOutbox.id > row.id, ScoreOutbox.status.in_(("pending", "sent"))).limit(1))
    if newer is not None:
        row.status = "superseded"
    else:
        row.status, row.attempts, row.next_attempt_at = "pending", 0, utcnow()
        row.claimed_until = row.claim_token = None
    db.session.flush()
    return row


def retry_failed(context_id: int) -> int:
    """Retry every parked score of a course; returns how many were queued again."""
    ids = list(db.session.scalars(select(ScoreOutbox.id).where(
        ScoreOutbox.context_id == context_id, ScoreOutbox.status == "failed")))
    return sum(1 for i in ids if (r := retry(i)) is not None and r.status == "pending")
