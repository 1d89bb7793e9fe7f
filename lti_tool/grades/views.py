"""The instructor's grade delivery page: line items, status per learner, retry buttons."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..authz import INSTRUCTOR, actor, require_course_manager, requires
from ..db import db
from ..lti.models import Context
from .models import ScoreOutbox
from .queries import course_grading
from .services import retry, retry_failed

bp = Blueprint("grades", __name__, url_prefix="/grades")


def _titles() -> dict[str, str]:
    library = current_app.extensions.get("lti_tool.modules")
    return {m.slug: m.title for m in library} if library is not None else {}


@bp.get("/")
@requires(INSTRUCTOR)
def show_status() -> Any:
    """Line items of the course and the delivery of every learner's latest score."""
    who = actor()
    require_course_manager(who, who.context_id)
    return render_template("grades/status.html", course=db.session.get(Context, who.context_id),
                           grading=course_grading(who.context_id), titles=_titles(),
                           done=request.args.get("done"))


@bp.post("/<int:row_id>/retry")
@requires(INSTRUCTOR)
def retry_score(row_id: int) -> Any:
    """Queue a parked score again (the worker picks it up at once)."""
    who = actor()
    row = db.session.get(ScoreOutbox, row_id)
    require_course_manager(who, row.context_id if row is not None else None)
    retry(row_id)
    db.session.commit()
    return redirect(url_for("grades.show_status", done="retry"), code=303)


@bp.post("/retry-failed")
@requires(INSTRUCTOR)
def retry_all_failed() -> Any:
    """Queue every parked score of the course again."""
    who = actor()
    require_course_manager(who, who.context_id)
    retry_failed(who.context_id)
    db.session.commit()
    return redirect(url_for("grades.show_status", done="retry"), code=303)
