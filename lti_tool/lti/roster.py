"""The course roster from the platform (NRPS): people who have not launched the tool yet.

`sync_roster` reads every page of the course's membership service and creates a User and a
Membership(source='roster') for each active member the tool has not seen. People who launched
keep what their launch said (role, name): the roster only fills gaps, because a privacy-
restricted platform may withhold name and email in NRPS (Canvas `privacy_level`, Moodle's
per-tool settings) while the launch is the authoritative source. Everything is keyed on `sub`.
Roster-only memberships of people who left the course are removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select, update

from ..db import db, utcnow
from .advantage import AdvantageClient, ServiceError, context_access
from .models import Context, Membership, User
from .roles import tool_role


class RosterUnavailable(Exception):
    """The course's platform offers no roster service, or it failed (message says which)."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class RosterResult:
    synced: bool  # False: skipped, the last sync is younger than the minimum interval
    members: int = 0
    created: int = 0
    removed: int = 0
    pages: int = 0
    synced_at: datetime | None = None


@dataclass(frozen=True)
class RosterEntry:
    user_id: int
    name: str | None
    email: str | None
    role: str
    launched: bool
    source: str


def sync_roster(client: AdvantageClient, context_id: int, *, min_minutes: int,
                limit: int | None = None, force: bool = False) -> RosterResult:
    """Sync the course roster unless it was synced less than `min_minutes` ago. Flushes."""
    ctx = db.session.get(Context, context_id)
    if ctx is None:
        raise RosterUnavailable(str(_l("This course is not known to the tool.")))
    if not ctx.nrps_url:
        raise RosterUnavailable(str(_l(
            "The course system does not share its roster with the tool (no Names and Role "
            "Provisioning Service in the launch).")))
    now = utcnow()
    # KeyStore.current() commits when it creates the very first key: load it before this
    # transaction holds anything that must roll back with a failed sync.
    client.keystore.current("lti")
    if not force:
        # Claim the sync atomically, so two instructors clicking at once sync once.
        cutoff = now - timedelta(minutes=min_minutes)
        claimed = db.session.execute(
            update(Context).where(Context.id == context_id, or_(
                Context.roster_synced_at.is_(None), Context.roster_synced_at <= cutoff))
            .values(roster_synced_at=now).execution_options(synchronize_session=False))
        if not getattr(claimed, "rowcount", 0):
            db.session.refresh(ctx)
            return RosterResult(False, synced_at=ctx.roster_synced_at)
    access = context_access(context_id)
    try:
        pages = list(client.members(access, ctx.nrps_url, limit=limit))
    except ServiceError as exc:
        raise RosterUnavailable(str(_l("The course system's roster could not be read "
                                       "(%(reason)s).", reason=exc.reason)),
                                transient=exc.transient) from exc
    members = {m.sub: m for page in pages for m in page if m.status.lower() == "active"}
    existing = {u.sub: u for u in db.session.scalars(select(User).where(
        User.registration_id == access.registration_id, User.sub.in_(list(members))))} \
        if members else {}
    created = 0
    for sub, member in members.items():
        user = existing.get(sub)
        if user is None:
            user = User(registration_id=access.registration_id, sub=sub[:255], name=member.name,
                        email=member.email, created_at=now)
            db.session.add(user)
            existing[sub] = user
        else:  # fill gaps only: a withheld name never erases one a launch gave us
            user.name = user.name or member.name
            user.email = user.email or member.email
    db.session.flush()
    memberships = {m.user_id: m for m in db.session.scalars(select(Membership).where(
        Membership.context_id == context_id))}
    for sub, member in members.items():
        user = existing[sub]
        row = memberships.get(user.id)
        if row is None:
            db.session.add(Membership(context_id=context_id, user_id=user.id,
                                      role=tool_role(member.roles),
                                      lti_roles=" ".join(member.roles)[:4000], source="roster"))
            created += 1
        elif row.source == "roster":
            row.role, row.lti_roles = tool_role(member.roles), " ".join(member.roles)[:4000]
    # People who left (or became inactive) and never launched: drop their roster rows.
    keep = [existing[s].id for s in members]
    gone = delete(Membership).where(and_(
        Membership.context_id == context_id, Membership.source == "roster",
        Membership.last_launch_at.is_(None)))
    if keep:
        gone = gone.where(Membership.user_id.not_in(keep))
    removed = getattr(db.session.execute(gone.execution_options(synchronize_session=False)),
                      "rowcount", 0) or 0
    ctx.roster_synced_at = now
    db.session.flush()
    return RosterResult(True, len(members), created, int(removed), len(pages), now)


def course_roster(context_id: int) -> list[RosterEntry]:
    """Everyone the tool knows in the course, launched or from the roster, by name."""
    rows = db.session.execute(
        select(User.id, User.name, User.email, Membership.role, Membership.last_launch_at,
               Membership.source)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.context_id == context_id)).all()
    entries = [RosterEntry(r.id, r.name, r.email, r.role, r.last_launch_at is not None,
                           r.source) for r in rows]
    return sorted(entries, key=lambda e: (e.role != "instructor", e.launched,
                                          (e.name or "~").lower(), e.user_id))


def not_launched(context_id: int) -> list[RosterEntry]:
    """Learners on the roster who have never opened the tool (pairing can still invite them)."""
    return [e for e in course_roster(context_id) if not e.launched and e.role == "learner"]
