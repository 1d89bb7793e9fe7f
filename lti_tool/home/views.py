"""Where a launch lands: the learner's page and the instructor's program page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from ..authz import INSTRUCTOR, LEARNER, actor, public, requires
from ..db import db
from ..lti.models import Context, User

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index() -> Any:
    return render_template("home/index.html")


@bp.get("/learn")
@requires(LEARNER)
def learner() -> Any:
    who = actor()
    return render_template("home/learner.html", user=db.session.get(User, who.user_id),
                           course=db.session.get(Context, who.context_id),
                           sections=_sections("learner"))


@bp.get("/program")
@requires(INSTRUCTOR)
def instructor() -> Any:
    who = actor()
    return render_template("home/instructor.html", user=db.session.get(User, who.user_id),
                           course=db.session.get(Context, who.context_id),
                           sections=_sections("instructor"))


def _sections(role: str) -> list[dict[str, Any]]:
    """Cards other areas add to the landing pages (registered in app.extensions)."""
    from flask import current_app

    return [s for s in current_app.extensions.get("lti_tool.home_sections", [])
            if s["role"] in (role, "any")]
