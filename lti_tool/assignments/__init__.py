"""Assigning modules: the Deep Linking picker (the LMS places modules as graded activities)
and assignments inside the tool (course, all mentors, all mentees, one pair; due dates).

`queries.assigned_modules(user_id, context_id)` tells the catalogue what to list first.
Depends on lti, pairs (read-only) and modules; progress depends on it, never the reverse.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401 (tables)
    from .views import bp, deep_link_target, module_page

    app.register_blueprint(bp)
    app.extensions["lti_tool.deep_link_target"] = deep_link_target
    app.extensions.setdefault("lti_tool.module_target", module_page)
    app.extensions.setdefault("lti_tool.home_sections", []).append(
        {"role": "instructor", "template": "assignments/_home_section.html"})
