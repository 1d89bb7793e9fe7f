"""Assigning modules: the Deep Linking picker (from the LMS) and assignments inside the tool."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..authz import INSTRUCTOR, actor, can_answer_deep_link, require_course_manager, requires, tokens
from ..db import db
from ..errors import Forbidden, NotFound, ValidationFailed
from ..lti.deep_linking import ContentItem, build_response, parse_settings, pending_request, store_request
from ..lti.launch import ValidatedLaunch
from ..lti.models import Context, Registration
from ..lti.session import Actor
from ..modules import LearningModule, Library, get_library
from ..modules.schemas import AUDIENCES, TRACKS
from .models import AUDIENCES as TARGETS
from .queries import course_assignments, course_pairs
from .services import assign_module, unassign

bp = Blueprint("assignments", __name__, url_prefix="/assignments")


def localized(texts: Mapping[str, Any], locale: str) -> str:
    return str(texts.get(locale) or texts.get("en") or next(iter(texts.values()), ""))


# -- Deep Linking: the hook the launch calls, and the picker ---------------------------------

def deep_link_target(launch: ValidatedLaunch, who: Actor) -> Any:
    """Called by lti.views.launch for an LtiDeepLinkingRequest: store its settings, open the
    picker. Malformed requests are refused here, before anything is stored."""
    if not who.is_instructor:
        raise Forbidden(_("Only instructors can add modules to a course."))
    parse_settings(launch)

    def to_picker(token: str) -> str:
        session_actor, _age = tokens().read(token)
        row = store_request(launch, who, session_actor.sid)
        return url_for("assignments.pick_modules", request_id=row.id, ltik=token)

    return to_picker


def _pending(request_id: str, who: Actor) -> Any:
    row = pending_request(request_id)
    if not can_answer_deep_link(who, row):
        raise NotFound(_("This module picker has expired or was already used."),
                       hint=_("Go back to your course and add the activity again."))
    return row


def _filters(library: Library) -> dict[str, str | None]:
    languages = sorted({lang for m in library for lang in m.languages})
    pick = request.args if request.method == "GET" else request.form

    def choice(name: str, allowed: tuple[str, ...] | list[str]) -> str | None:
        value = pick.get(name)
        return value if value in allowed else None

    return {"track": choice("track", TRACKS), "audience": choice("audience", AUDIENCES),
            "language": choice("language", languages)}


def _picker(row: Any, library: Library, error: str | None = None, status: int = 200,
            chosen: tuple[str, ...] = ()) -> Any:
    filters = _filters(library)
    modules = library.filter(**filters)
    return render_template(
        "assignments/picker.html", request_row=row, modules=modules, filters=filters,
        tracks=TRACKS, audiences=AUDIENCES,
        languages=sorted({lang for m in library for lang in m.languages}),
        locale=actor().locale, error=error, chosen=chosen, localized=localized), status


@bp.get("/pick/<request_id>")
@requires(INSTRUCTOR)
def pick_modules(request_id: str) -> Any:
    """Choose modules to add to the course (filters: track, audience, language)."""
    row = _pending(request_id, actor())
    return _picker(row, get_library())


@bp.post("/pick/<request_id>")
@requires(INSTRUCTOR)
def return_modules(request_id: str) -> Any:
    """Sign the Deep Linking response for the chosen modules and post it back to the LMS."""
    who = actor()
    row = _pending(request_id, who)
    library = get_library()
    cancel = "cancel" in request.form
    chosen = tuple(dict.fromkeys(request.form.getlist("module")))
    modules = [m for m in (library.get(s) for s in chosen) if m is not None]
    if not cancel and not modules:
        return _picker(row, library, _("Choose at least one module."), 422)
    if not cancel and len(modules) > 1 and not row.accept_multiple:
        return _picker(row, library, _("This place in the course takes one module: choose "
                                       "one."), 422, chosen)
    items = [] if cancel else [_item(m, who.locale) for m in modules]
    reg = db.session.get(Registration, row.registration_id)
    if reg is None:
        raise NotFound(_("This course system is no longer registered with the tool."))
    message = None if cancel else ngettext("%(num)d module added.", "%(num)d modules added.",
                                           len(items))
    signed = build_response(row, items, issuer=reg.issuer, client_id=reg.client_id,
                            launch_url=current_app.config["TOOL_BASE_URL"] + "/lti/launch",
                            signing_key=current_app.extensions["lti_tool.keys"].current("lti"),
                            message=message)
    db.session.commit()
    return render_template("lti/deep_link_return.html", return_url=signed.return_url,
                           jwt=signed.jwt, count=len(items))


def _item(module: LearningModule, locale: str) -> ContentItem:
    return ContentItem(slug=module.slug, title=localized(module.title, locale),
                       text=localized(module.summary, locale))


def module_page(slug: str, token: str) -> str | None:
    """Where a learner lands from a link placed for one module (lti.views._learner_target)."""
    if slug not in get_library() or "progress.module_overview" not in current_app.view_functions:
        return None
    return url_for("progress.module_overview", slug=slug, ltik=token)


# -- assignments inside the tool ------------------------------------------------------------

def _page(errors: Mapping[str, Any] | None = None, form: Mapping[str, Any] | None = None,
          status: int = 200, done: str | None = None) -> Any:
    who = actor()
    library = get_library()
    return render_template(
        "assignments/list.html", course=db.session.get(Context, who.context_id),
        assignments=course_assignments(who.context_id), pairs=course_pairs(who.context_id),
        modules=list(library), targets=TARGETS, errors=errors or {}, form=form or {},
        done=done, locale=who.locale, localized=localized,
        titles={m.slug: localized(m.title, who.locale) for m in library}), status


@bp.get("/")
@requires(INSTRUCTOR)
def list_assignments() -> Any:
    """The course's assignments and the form to add one."""
    who = actor()
    require_course_manager(who, who.context_id)
    return _page(done=request.args.get("done"))


@bp.post("/")
@requires(INSTRUCTOR)
def create_assignment() -> Any:
    """Assign a module to the course, all mentors, all mentees or one pair."""
    who = actor()
    require_course_manager(who, who.context_id)
    form = request.form
    due: date | None = None
    if form.get("due_on"):
        try:
            due = date.fromisoformat(form["due_on"])
        except ValueError:
            return _page({"due_on": _("Enter a date like 2026-12-31.")}, form, 422)
    try:
        assign_module(context_id=who.context_id, module_slug=form.get("module", ""),
                      audience=form.get("audience", ""),
                      pair_id=form.get("pair_id", type=int), due_on=due,
                      assigned_by=who.user_id, known_slugs={m.slug for m in get_library()})
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(exc.fields, form, 422)
    db.session.commit()
    return redirect(url_for("assignments.list_assignments", done="assigned"), code=303)


@bp.post("/<int:assignment_id>/delete")
@requires(INSTRUCTOR)
def delete_assignment(assignment_id: int) -> Any:
    who = actor()
    require_course_manager(who, who.context_id)
    unassign(assignment_id, who.context_id)
    db.session.commit()
    return redirect(url_for("assignments.list_assignments", done="removed"), code=303)
