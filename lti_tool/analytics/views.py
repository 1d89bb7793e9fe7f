"""The program dashboard and its CSV export (instructors of the course; aggregates only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template, send_from_directory
from flask_babel import gettext as _

from .. import authz
from ..authz import INSTRUCTOR, actor, public, requires
from ..db import db, utcnow
from ..errors import Forbidden
from ..lti.models import Context
from ..modules import get_library
from . import export, queries
from .wording import BADGE_ORDER

bp = Blueprint("analytics", __name__, url_prefix="/analytics")
_NO_STORE = {"Cache-Control": "no-store"}


def _course_dashboard() -> tuple[int, queries.Dashboard]:
    who = actor()
    if not authz.can_view_program_analytics(who, who.context_id):
        raise Forbidden(_("Only instructors of this course can open this page."))
    return who.context_id, queries.dashboard(who.context_id, utcnow(), get_library(),
                                             BADGE_ORDER)


@bp.get("")
@requires(INSTRUCTOR)
def show_dashboard() -> Any:
    context_id, dashboard = _course_dashboard()
    html = render_template("analytics/dashboard.html", d=dashboard,
                           course=db.session.get(Context, context_id))
    return html, 200, _NO_STORE


@bp.get("/export.csv")
@requires(INSTRUCTOR)
def export_csv() -> Any:
    _context_id, dashboard = _course_dashboard()
    name = f"program-dashboard-{dashboard.as_of.date().isoformat()}.csv"
    return Response(export.to_csv(dashboard), mimetype="text/csv",
                    headers={**_NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/analytics.css")
@public
def stylesheet() -> Any:
    """The few styles the dashboard adds (the CSP allows only our own style sheets)."""
    return send_from_directory(Path(__file__).parent / "static", "analytics.css",
                               mimetype="text/css", max_age=3600)
