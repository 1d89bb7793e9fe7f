"""Event handlers: a milestone event re-evaluates the rules of the pair (or learner) it concerns.

Handlers run inside the sender's transaction and never commit, so an award lands together with
the session confirmation (or module completion) that earned it, or not at all. They work inside
a SAVEPOINT: a fault in badge code is logged and undone without undoing the learner's action
(`flask --app lti_tool badges backfill` awards it later). Tests set BADGES_RAISE_ERRORS to see
such faults.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app

from ..db import db, utcnow
from . import services

log = logging.getLogger(__name__)

PAIR_SIGNALS = ("pair_formed", "agreement_signed", "session_confirmed", "feedback_exchanged",
                "checkin_recorded", "learning_entry_confirmed", "level_up_attested",
                "pair_completed")
PERSON_SIGNALS = ("module_completed", "self_assessment_recorded")
_MOMENTS = ("formed_at", "signed_at", "confirmed_at", "acknowledged_at", "recorded_at",
            "attested_at", "completed_at")


def runtime() -> services.BadgeRuntime:
    rt: services.BadgeRuntime = current_app.extensions["lti_tool.badges"]
    return rt


def _moment(kwargs: dict[str, Any]) -> datetime:
    for name in _MOMENTS:
        value = kwargs.get(name)
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value
    return utcnow()


def _guarded(work: Callable[[services.BadgeRuntime], object], what: str) -> None:
    if "lti_tool.badges" not in current_app.extensions:
        return  # an app built without the badges area
    try:
        with db.session.begin_nested():
            work(runtime())
    except Exception:
        if current_app.config.get("BADGES_RAISE_ERRORS"):
            raise
        log.exception("badge rules failed for %s; the event itself was kept", what)


def on_pair_event(sender: Any, *, pair_id: int, **kwargs: Any) -> None:
    """Any pair milestone: evaluate every rule for both partners of the pair."""
    now = _moment(kwargs)
    _guarded(lambda rt: services.evaluate_pairs(rt, [pair_id], now), f"pair {pair_id}")


def on_person_event(sender: Any, *, user_id: int, context_id: int, **kwargs: Any) -> None:
    """A module passed or a self-assessment: evaluate the learner's rules in their pairs."""
    now = _moment(kwargs)
    _guarded(lambda rt: services.evaluate_person(rt, user_id, context_id, now),
             f"user {user_id} in course {context_id}")
