"""What is assigned to whom: the query the catalogue uses to list assigned modules first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from ..db import db, utcnow
from ..lti.models import User
from ..pairs.models import Pair, Profile
from .models import Assignment

# Pairs whose partners still count as mentor and mentee of the course.
_PAIR_STATUSES = ("proposed", "active", "completed")


@dataclass(frozen=True)
class AssignedModule:
    """A module assigned to a learner; several assignments of one module merge into one."""

    module_slug: str
    due_on: date | None  # the earliest due date among its assignments
    overdue: bool  # due_on has passed (UTC calendar day)
    audiences: tuple[str, ...]  # why: 'course', 'mentors', 'mentees', 'pair'

    @property
    def slug(self) -> str:
        return self.module_slug


def program_sides(user_id: int, context_id: int) -> set[str]:
    """'mentor' and/or 'mentee': from the learner's pairs, else from their profile."""
    sides: set[str] = set()
    for (mentor_id,) in db.session.execute(
            select(Pair.mentor_id).where(
                Pair.context_id == context_id, Pair.status.in_(_PAIR_STATUSES),
                or_(Pair.mentor_id == user_id, Pair.mentee_id == user_id))):
        sides.add("mentor" if mentor_id == user_id else "mentee")
    preference = db.session.scalar(select(Profile.role_preference).where(
        Profile.context_id == context_id, Profile.user_id == user_id))
    if preference in ("mentor", "mentee"):
        sides.add(preference)
    return sides


def assigned_modules(user_id: int, context_id: int,
                     today: date | None = None) -> list[AssignedModule]:
    """Modules assigned to this learner in this course, overdue first, then by due date."""
    today = today or utcnow().date()
    sides = program_sides(user_id, context_id)
    audiences = ["course"] + [{"mentor": "mentors", "mentee": "mentees"}[s] for s in sides]
    pair_ids = select(Pair.id).where(Pair.context_id == context_id,
                                     Pair.status.in_(_PAIR_STATUSES),
                                     or_(Pair.mentor_id == user_id, Pair.mentee_id == user_id))
    rows = db.session.execute(select(Assignment.module_slug, Assignment.due_on,
                                     Assignment.audience).where(
        Assignment.context_id == context_id,
        or_(Assignment.audience.in_(audiences),
            (Assignment.audience == "pair") & Assignment.pair_id.in_(pair_ids)))).all()
    merged: dict[str, tuple[date | None, set[str]]] = {}
    for slug, due, audience in rows:
        old_due, why = merged.get(slug, (None, set()))
        dues = [d for d in (old_due, due) if d is not None]
        merged[slug] = (min(dues) if dues else None, why | {audience})
    found = [AssignedModule(slug, due, due is not None and due < today,
                            tuple(sorted(why))) for slug, (due, why) in merged.items()]
    return sorted(found, key=lambda a: (not a.overdue, a.due_on is None,
                                        a.due_on or date.max, a.module_slug))


@dataclass(frozen=True)
class AssignmentView:
    id: int
    module_slug: str
    audience: str
    pair_id: int | None
    pair_label: str | None
    due_on: date | None
    overdue: bool


@dataclass(frozen=True)
class PairChoice:
    id: int
    label: str
    status: str


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {i: (n or f"#{i}") for i, n in db.session.execute(
        select(User.id, User.name).where(User.id.in_(ids)))}


def course_pairs(context_id: int) -> list[PairChoice]:
    """Pairs an instructor can assign a module to (proposed or active)."""
    pairs = list(db.session.scalars(select(Pair).where(
        Pair.context_id == context_id, Pair.status.in_(("proposed", "active")))
        .order_by(Pair.id)))
    names = _names({p.mentor_id for p in pairs} | {p.mentee_id for p in pairs})
    return [PairChoice(p.id, f"{names[p.mentor_id]} & {names[p.mentee_id]}", p.status)
            for p in pairs]


def course_assignments(context_id: int, today: date | None = None) -> list[AssignmentView]:
    today = today or utcnow().date()
    rows = list(db.session.scalars(select(Assignment).where(
        Assignment.context_id == context_id).order_by(Assignment.due_on.is_(None),
                                                      Assignment.due_on, Assignment.id)))
    pairs = {p.id: p for p in db.session.scalars(select(Pair).where(
        Pair.id.in_({r.pair_id for r in rows if r.pair_id})))} if rows else {}
    names = _names({p.mentor_id for p in pairs.values()} | {p.mentee_id for p in pairs.values()})
    return [AssignmentView(
        r.id, r.module_slug, r.audience, r.pair_id,
        (f"{names[pairs[r.pair_id].mentor_id]} & {names[pairs[r.pair_id].mentee_id]}"
         if r.pair_id in pairs else None),
        r.due_on, r.due_on is not None and r.due_on < today) for r in rows]
