"""Scores to the LMS gradebook through a durable outbox (LTI AGS).

module_completed → handlers.on_module_completed writes an outbox row in the completion's
transaction → `flask --app lti_tool grades worker` delivers it with retries (worker.py).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .. import events
    from . import models  # noqa: F401 (tables)
    from .cli import grades_cli
    from .handlers import on_module_completed
    from .views import bp

    events.module_completed.connect(on_module_completed)
    app.register_blueprint(bp)
    app.cli.add_command(grades_cli)
    app.add_template_global(_summary, "grades_summary")
    app.extensions.setdefault("lti_tool.home_sections", []).append(
        {"role": "instructor", "template": "grades/_home_section.html"})


def _summary() -> dict[str, int]:
    """Outbox counts of the current instructor's course (for the home card)."""
    from flask import g

    from .queries import outbox_counts

    who = g.get("actor")
    return outbox_counts(who.context_id) if who is not None else {}
