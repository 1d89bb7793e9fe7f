"""Reverse mentoring for Moodle and Canvas: the composition root."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate

from .config import load_config
from .db import db as _db

_ROOT = Path(__file__).resolve().parent
_migrate = Migrate()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Configure and wire the app. No tables, no network, no prompts: only wiring."""
    app = Flask(__name__, instance_relative_config=False,
                template_folder=str(_template_dir()), static_folder=str(_ROOT / "static"))
    overrides = dict(test_config or {})
    environ = {**os.environ, **{k: str(v) for k, v in overrides.pop("ENVIRON", {}).items()}}
    app.config.update(load_config(environ, app.instance_path))
    app.config.update(overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from . import authz, errors, i18n, keys_ext

    _db.init_app(app)
    _migrate.init_app(app, _db, directory=str(_ROOT.parent / "migrations"), render_as_batch=True,
                     compare_type=True)
    errors.init_app(app)
    i18n.init_app(app)
    authz.init_app(app)
    keys_ext.init_app(app)

    from . import admin, home, lti, modules

    modules.init_app(app)
    lti.init_app(app)
    home.init_app(app)
    from . import progress
    progress.init_app(app)
    from . import pairs
    pairs.init_app(app)
    from . import assignments
    assignments.init_app(app)
    from . import grades
    grades.init_app(app)
    from . import badges
    badges.init_app(app)
    from . import analytics
    analytics.init_app(app)
    admin.init_app(app)
    _template_helpers(app)
    _security_headers(app)
    return app


def _template_dir() -> Path:
    # Templates live at the repository's top level (and are shipped with the package).
    top = _ROOT.parent / "templates"
    return top if top.is_dir() else _ROOT / "templates"


def _template_helpers(app: Flask) -> None:
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions


def _security_headers(app: Flask) -> None:
    @app.after_request
    def headers(resp: Any) -> Any:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        # The tool runs inside LMS iframes, so framing is allowed; scripts only from us.
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; frame-ancestors *; form-action *; base-uri 'none'")
        return resp
