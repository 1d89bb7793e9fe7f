"""The mentoring program: profiles, matching, agreements, sessions, feedback."""

from __future__ import annotations

from typing import Any

from flask import Flask


def _learner_card() -> Any:
    from ..authz import actor
    from ..db import utcnow
    from .queries import learner_overview

    who = actor()
    return learner_overview(who.context_id, who.user_id, utcnow())


def _program_card() -> Any:
    from ..authz import actor
    from ..db import utcnow
    from .queries import program_summary

    return program_summary(actor().context_id, utcnow())


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401  (tables join the metadata)
    from .views import bp
    from .wording import template_globals

    app.config.setdefault("PAIRS_TIMEZONE", "UTC")
    app.register_blueprint(bp)
    # `pw` = pairs wording: labels and sentences for the pairs templates and home cards.
    app.jinja_env.globals["pw"] = template_globals()
    app.jinja_env.globals["pairs_learner_card"] = _learner_card
    app.jinja_env.globals["pairs_program_card"] = _program_card
    sections = app.extensions.setdefault("lti_tool.home_sections", [])
    sections.append({"role": "learner", "template": "pairs/_home_learner.html"})
    sections.append({"role": "instructor", "template": "pairs/_home_instructor.html"})
