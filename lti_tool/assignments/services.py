"""Assign and unassign modules in a course. Flushes; the adapter commits."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..db import db, utcnow
from ..errors import NotFound, ValidationFailed
from ..pairs.models import Pair
from .models import AUDIENCES, Assignment


def assign_module(*, context_id: int, module_slug: str, audience: str, pair_id: int | None,
                  due_on: date | None, assigned_by: int | None,
                  known_slugs: frozenset[str] | set[str]) -> Assignment:
    """Assign a module to an audience of the course (again: the due date is updated)."""
    problems: dict[str, object] = {}
    if module_slug not in known_slugs:
        problems["module"] = _l("Choose a module from the list.")
    if audience not in AUDIENCES:
        problems["audience"] = _l("Choose who the module is for.")
    if audience == "pair":
        pair = db.session.get(Pair, pair_id) if pair_id else None
        if pair is None or pair.context_id != context_id or pair.status not in (
                "proposed", "active"):
            problems["pair"] = _l("Choose a pair of this course.")
    else:
        pair_id = None
    if problems:
        raise ValidationFailed(str(_l("Some answers need another look.")),
                               fields={k: str(v) for k, v in problems.items()})
    row = db.session.scalar(select(Assignment).where(
        Assignment.context_id == context_id, Assignment.module_slug == module_slug,
        Assignment.audience == audience,
        Assignment.pair_id.is_(None) if pair_id is None else Assignment.pair_id == pair_id))
    now = utcnow()
    if row is None:
        row = Assignment(context_id=context_id, module_slug=module_slug, audience=audience,
                         pair_id=pair_id, assigned_by=assigned_by, created_at=now)
        db.session.add(row)
    row.due_on, row.updated_at = due_on, now
    db.session.flush()
    return row


def unassign(assignment_id: int, context_id: int) -> None:
    """Remove an assignment of this course."""
    row = db.session.get(Assignment, assignment_id)
    if row is None or row.context_id != context_id:
        raise NotFound(str(_l("This assignment does not exist (any more).")))
    db.session.delete(row)
    db.session.flush()
