"""The instructor's roster page: who is in the course and who has not opened the tool yet."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import gettext as _

from ..authz import INSTRUCTOR, actor, require_course_manager, requires
from ..db import db
from .models import Context
from .roster import RosterUnavailable, course_roster, sync_roster
from .views import bp


def _sync(force: bool) -> tuple[str | None, str | None]:
    """Run a sync; returns (notice, problem) for the page."""
    who = actor()
    try:
        result = sync_roster(current_app.extensions["lti_tool.advantage"], who.context_id,
                             min_minutes=int(current_app.config["ROSTER_SYNC_MINUTES"]),
                             force=force)
        db.session.commit()
    except RosterUnavailable as exc:
        db.session.rollback()
        return None, str(exc)
    if not result.synced:
        return None, None
    return _("Roster updated: %(members)d people, %(created)d new.",
             members=result.members, created=result.created), None


def _page(notice: str | None, problem: str | None, status: int = 200) -> Any:
    who = actor()
    course = db.session.get(Context, who.context_id)
    entries = course_roster(who.context_id)
    return render_template("lti/roster.html", course=course, entries=entries, notice=notice,
                           problem=problem, minutes=current_app.config["ROSTER_SYNC_MINUTES"],
                           waiting=[e for e in entries if not e.launched]), status


@bp.get("/roster")
@requires(INSTRUCTOR)
def show_roster() -> Any:
    """The roster, refreshed from the platform when the last sync is old enough."""
    who = actor()
    require_course_manager(who, who.context_id)
    notice, problem = _sync(False)
    return _page(notice, problem)


@bp.post("/roster/sync")
@requires(INSTRUCTOR)
def sync_roster_now() -> Any:
    """The instructor's "sync now" button; still at most once per ROSTER_SYNC_MINUTES."""
    who = actor()
    require_course_manager(who, who.context_id)
    notice, problem = _sync(False)
    if notice is None and problem is None:
        notice = _("The roster was synced less than %(minutes)d minutes ago; it is up to date.",
                   minutes=current_app.config["ROSTER_SYNC_MINUTES"])
    return _page(notice, problem)
