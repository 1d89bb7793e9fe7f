"""Read-only questions about awards (the badges area's own table)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from ..db import db
from ..lti.models import User
from .models import BadgeAward, BadgeStatusList


def credential_urn(value: str | uuid.UUID) -> str | None:
    """'urn:uuid:…' for a credential id given as a UUID, a bare uuid or a urn; None if invalid."""
    text = str(value).strip().lower().removeprefix("urn:uuid:")
    try:
        return f"urn:uuid:{uuid.UUID(text)}"
    except ValueError:
        return None


def award_by_credential(value: str | uuid.UUID) -> BadgeAward | None:
    urn = credential_urn(value)
    if urn is None:
        return None
    return db.session.scalar(select(BadgeAward).where(BadgeAward.credential_id == urn))


def awards_of(user_id: int, context_id: int) -> list[BadgeAward]:
    return list(db.session.scalars(select(BadgeAward).where(
        BadgeAward.user_id == user_id, BadgeAward.context_id == context_id)
        .order_by(BadgeAward.awarded_at, BadgeAward.id)))


def existing_awards(keys: Iterable[tuple[int, int]]) -> tuple[
        dict[tuple[int, int], set[str]], dict[tuple[int, int], set[str]]]:
    """Per (user, course): every badge awarded (revoked too), and the ones still held."""
    wanted = set(keys)
    every: dict[tuple[int, int], set[str]] = defaultdict(set)
    held: dict[tuple[int, int], set[str]] = defaultdict(set)
    if not wanted:
        return every, held
    users = sorted({u for u, _c in wanted})
    for chunk in range(0, len(users), 1000):
        for user_id, context_id, slug, revoked_at in db.session.execute(
                select(BadgeAward.user_id, BadgeAward.context_id, BadgeAward.badge_slug,
                       BadgeAward.revoked_at)
                .where(BadgeAward.user_id.in_(users[chunk:chunk + 1000]))):
            key = (user_id, context_id)
            if key in wanted:
                every[key].add(slug)
                if revoked_at is None:
                    held[key].add(slug)
    return every, held


@dataclass(frozen=True)
class CourseAward:
    award: BadgeAward
    learner: str


def course_awards(context_id: int) -> list[CourseAward]:
    """Every award of a course with the learner's name, newest first (instructors only)."""
    rows = db.session.execute(
        select(BadgeAward, User.name, User.id).join(User, User.id == BadgeAward.user_id)
        .where(BadgeAward.context_id == context_id)
        .order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())).all()
    return [CourseAward(award, name or f"#{uid}") for award, name, uid in rows]


def course_counts(context_id: int) -> dict[str, int]:
    """{'awarded': n, 'revoked': m} for a course."""
    total, revoked = db.session.execute(
        select(func.count(), func.count(BadgeAward.revoked_at))
        .where(BadgeAward.context_id == context_id)).one()
    return {"awarded": int(total or 0), "revoked": int(revoked or 0)}


def list_revision(number: int) -> int:
    """The status list's revision (0 before its first revocation)."""
    return int(db.session.scalar(select(BadgeStatusList.revision)
                                 .where(BadgeStatusList.number == number)) or 0)


def highest_list_number() -> int:
    """The number of the last status list holding any award (0 when there is none)."""
    from .statuslist import LIST_SIZE

    top = db.session.scalar(select(func.max(BadgeAward.status_index)))
    return 0 if top is None else int(top) // LIST_SIZE + 1
