"""Event handlers: a completed module writes its score into the outbox, same transaction."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from .services import enqueue_score

log = logging.getLogger(__name__)


def on_module_completed(sender: Any, *, user_id: int, context_id: int, module_slug: str,
                        content_version: int, score: float | None, passed: bool | None,
                        completed_at: datetime, **_: Any) -> None:
    """Queue the grade; never commits (the sender's adapter does) and never calls the LMS."""
    result = enqueue_score(user_id=user_id, context_id=context_id, module_slug=module_slug,
                           content_version=content_version, score=score, passed=passed,
                           completed_at=completed_at)
    if not result.rows:
        log.info("module %s completed by user %s in course %s: not graded (%s)", module_slug,
                 user_id, context_id, result.reason)
