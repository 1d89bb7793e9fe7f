"""Read-only reporting for instructors and program managers: the program dashboard.

The end of the dependency chain (lti ← pairs ← progress ← badges ← analytics): it reads the
other areas' rows and queries, and nothing imports it. Aggregates only, with the privacy rules
of program.md §5.2 (see queries.py).
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def _headline() -> Any:
    from ..authz import actor
    from ..db import utcnow
    from .queries import headline

    return headline(actor().context_id, utcnow())


def init_app(app: Flask) -> None:
    from .views import bp
    from .wording import template_globals

    app.register_blueprint(bp)
    # `aw` = analytics wording: labels and the numbers in words, for the page and the home card.
    app.jinja_env.globals["aw"] = template_globals()
    app.jinja_env.globals["analytics_headline"] = _headline
    app.extensions.setdefault("lti_tool.home_sections", []).append(
        {"role": "instructor", "template": "analytics/_home_instructor.html"})
