"""Per-learner and per-pair progress through micro-modules: the catalogue, the step player,
completions, quiz attempts, reflections, self-assessments and pair activities.

Depends on lti (people, courses), pairs (read-only: who is paired with whom, agreement goals)
and modules (the loaded content). Sends `step_completed`, `module_completed` and
`self_assessment_recorded` (lti_tool/events.py); never imports badges or grades.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    from . import digcomp, models  # noqa: F401  (models registers the tables)
    from .player import localized
    from .views import bp, instructor_home, learner_home

    app.register_blueprint(bp)
    app.add_template_filter(localized, "loc")
    app.add_template_filter(_inline_html, "inline_html")
    app.add_template_global(learner_home, "progress_learner_home")
    app.add_template_global(digcomp.competence_name, "competence_name")
    app.add_template_filter(digcomp.competence_name, "competence_name")
    app.add_template_global(digcomp.scale_label, "scale_label")
    app.jinja_env.globals["digcomp_scale"] = digcomp.SCALE
    app.add_template_global(instructor_home, "progress_instructor_home")
    sections = app.extensions.setdefault("lti_tool.home_sections", [])
    sections.append({"role": "learner", "template": "progress/home_learner.html"})
    sections.append({"role": "instructor", "template": "progress/home_instructor.html"})


def _inline_html(html: Any) -> Any:
    """A single rendered paragraph without its <p> (to fit in a <legend>); else None."""
    from markupsafe import Markup

    text = str(html).strip()
    inner = text[3:-4]
    if text.startswith("<p>") and text.endswith("</p>") and "<p>" not in inner:
        return Markup(inner)  # noqa: S704  (already sanitised by the content engine)
    return None
