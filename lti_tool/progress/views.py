"""The catalogue, the step player and a pair's shared progress (HTML, safe in an LMS iframe).

Links and forms are built with url_for, which adds the launch token, so nothing needs cookies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, redirect, render_template, request, send_file, send_from_directory, url_for
from flask_babel import gettext as _

from .. import authz
from ..authz import LEARNER, MEMBER, actor, public, requires
from ..db import db
from ..errors import Conflict, NotFound, ValidationFailed
from ..lti.session import Actor
from ..modules import LearningModule, Step, get_library
from ..modules.schemas import AUDIENCES, TRACKS
from ..pairs.models import Pair
from . import player, queries, services
from .catalogue import learner_catalogue
from .queries import ModuleProgress
from .schemas import load_step_post

bp = Blueprint("progress", __name__)
_ASSETS = Path(__file__).resolve().parent / "assets"
_ASSET_FILES = frozenset({"progress.css", "player.js"})
_SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@bp.get("/modules")
@requires(MEMBER)
def catalogue() -> Any:
    who = actor()
    filters = {"track": _choice(request.args.get("track"), TRACKS),
               "audience": _choice(request.args.get("audience"), AUDIENCES)}
    found = learner_catalogue(get_library(), who.user_id, who.context_id,
                              program_role_hint=who.program_role,
                              resource_link_pk=who.resource_link_id, **filters)
    return render_template("progress/catalogue.html", catalogue=found, filters=filters,
                           tracks=TRACKS, audiences=AUDIENCES, locale=who.locale)


@bp.get("/modules/<slug>")
@requires(MEMBER)
def module_overview(slug: str) -> Any:
    who = actor()
    module = _module(who, slug)
    return render_template("progress/module.html", module=module,
                           progress=_progress(who, module),
                           lang=player.content_language(module, who.locale))


@bp.get("/modules/<slug>/continue")
@requires(MEMBER)
def resume(slug: str) -> Any:
    """Where the learner left off: the first step not done yet."""
    who = actor()
    module = _module(who, slug)
    step = _progress(who, module).next_step.step
    return redirect(player_url(module, step), 303)


@bp.get("/modules/<slug>/steps/<step_id>")
@requires(MEMBER)
def show_step(slug: str, step_id: str) -> Any:
    who = actor()
    module = _module(who, slug)
    return _render_step(who, module, _step(module, step_id),
                        attempt_id=request.args.get("attempt", type=int),
                        retry=request.args.get("retry") == "1")


@bp.post("/modules/<slug>/steps/<step_id>")
@requires(LEARNER)
def submit_step(slug: str, step_id: str) -> Any:
    who = actor()
    module = _module(who, slug)
    step = _step(module, step_id)
    try:
        data = load_step_post(step.kind, request.form)
        outcome = services.submit_step(who.user_id, who.context_id, module, step, data,
                                       pair=_pair_for(who, step, data))
    except ValidationFailed as exc:
        db.session.rollback()
        return _render_step(who, module, step, errors=exc, status=422)
    db.session.commit()
    return redirect(player.after_submit(module, step, outcome), 303)


@bp.get("/progress/pairs")
@requires(LEARNER)
def my_pairs() -> Any:
    who = actor()
    pairs = queries.pairs_of(who.user_id, who.context_id)
    names = queries.user_names(p.partner_of(who.user_id) for p in pairs)
    return render_template("progress/pairs.html", pairs=pairs, names=names)


@bp.get("/progress/pairs/<int:pair_id>")
@requires(LEARNER)
def pair_progress(pair_id: int) -> Any:
    who = actor()
    pair = queries.get_pair(pair_id)
    if pair is None or not authz.can_view_pair_progress(who, pair):
        raise NotFound(_("This pair does not exist or you are not part of it."),
                       hint=_("Open your own pair from the list of your pairs."))
    return render_template("progress/pair.html", view=queries.pair_progress(pair, get_library()),
                           names=queries.user_names((pair.mentor_id, pair.mentee_id)),
                           me=who.user_id, partner=pair.partner_of(who.user_id),
                           locale=who.locale)


@bp.get("/content/<slug>/images/<name>")
@public
def module_image(slug: str, name: str) -> Any:
    """A lesson image; only files a valid module uses (no other path can be reached)."""
    path = get_library().image_file(slug, name)
    if path is None or not path.is_file():
        raise NotFound(_("This image does not exist."))
    resp = send_file(path, max_age=86400)
    resp.headers["Content-Security-Policy"] = _SVG_POLICY  # an SVG opened on its own
    return resp


@bp.get("/progress/assets/<name>")
@public
def asset(name: str) -> Any:
    if name not in _ASSET_FILES:
        raise NotFound(_("This file does not exist."))
    return send_from_directory(_ASSETS, name, max_age=3600)


# --- cards on the landing pages (template globals, see __init__.py) ---------------------------


def learner_home() -> dict[str, Any]:
    """"Continue where you left off", how many modules are done, the learner's pairs."""
    who = actor()
    library = get_library()
    overview = queries.learner_overview(who.user_id, who.context_id)
    module = queries.resume_module(library, overview)
    return {"resume": overview.progress(module) if module else None,
            "lang": player.content_language(module, who.locale) if module else who.locale,
            "completed": sum(1 for m in library if m.slug in overview.completions),
            "total": len(library), "pairs": queries.pairs_of(who.user_id, who.context_id)}


def instructor_home() -> list[tuple[LearningModule, int, int]]:
    """Every module with how many learners of the course started and completed it."""
    counts = queries.completion_counts(actor().context_id)
    return [(m, *counts.get(m.slug, (0, 0))) for m in get_library()]


# --- helpers of these views -------------------------------------------------------------------


def player_url(module: LearningModule, step: Step) -> str:
    return url_for("progress.show_step", slug=module.slug, step_id=step.id, _anchor="step-title")


def _module(who: Actor, slug: str) -> LearningModule:
    module = get_library().get(slug)
    if module is None or not authz.can_open_module(who, module):
        raise NotFound(_("This module does not exist or is not available right now."),
                       hint=_("Choose a module from the list of modules."))
    return module


def _step(module: LearningModule, step_id: str) -> Step:
    step = module.step(step_id)
    if step is None:
        raise NotFound(_("This step is not part of the module (it may have been removed in an "
                         "update)."), hint=_("Open the module page to continue."))
    return step


def _progress(who: Actor, module: LearningModule) -> ModuleProgress:
    if not authz.can_record_progress(who):
        return queries.preview_progress(module)
    return queries.module_progress(who.user_id, who.context_id, module)


def _render_step(who: Actor, module: LearningModule, step: Step, *,
                 errors: ValidationFailed | None = None, status: int = 200,
                 attempt_id: int | None = None, retry: bool = False) -> Any:
    progress = _progress(who, module)
    state = progress.state(step.id)
    assert state is not None
    if not state.open:
        first = progress.next_step
        raise Conflict(_("Step %(n)d is not open yet: finish step %(first)d of this module "
                         "first.", n=state.position, first=first.position),
                       hint=_("Steps are done in order. Go back to the module page to continue "
                              "where you left off."))
    extras = player.step_extras(who, module, step, progress, attempt_id=attempt_id,
                                retry=retry or errors is not None)
    return render_template(
        "progress/step.html", module=module, step=step, progress=progress, state=state,
        lang=player.content_language(module, who.locale), errors=errors,
        form=request.form if errors else {}, preview=not authz.can_record_progress(who),
        next_step=module.next_step(step.id), **extras), status


def _pair_for(who: Actor, step: Step, data: dict[str, Any]) -> Pair | None:
    """The pair a pair activity is confirmed with; None when the learner has no active pair."""
    if step.kind != "pair-activity":
        return None
    if data.get("pair_id") is not None:
        pair = queries.get_pair(int(data["pair_id"]))
        if pair is None or not authz.can_confirm_pair_activity(who, pair):
            raise NotFound(_("This pair does not exist or you are not part of it, so nothing "
                             "was recorded."), hint=_("Open the step again from the module page."))
        return pair
    active = queries.active_pairs_of(who.user_id, who.context_id)
    if len(active) > 1:
        raise ValidationFailed(_("Choose the partner you did this with."),
                               fields={"pair_id": [_("Choose the partner you did this with.")]})
    return active[0] if active else None


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None
