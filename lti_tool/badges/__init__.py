"""Open Badges: milestone badge definitions, OB 3.0 credentials, status lists, OB 2.0, baking.

init_app wires the area: the rules listen to the pairs and progress events (handlers.py), the
`badges` blueprint serves the learner's, instructor's and public pages, `wellknown` the DID
document and `ob2` the Open Badges 2.0 documents; the `badges` CLI group back-fills, revokes and
lists; `content check` also validates content/badges.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

EXTENSION_KEY = "lti_tool.badges"


def _definitions_root(content_dir: str | None) -> Path:
    from .definitions import CONTENT_ROOT

    if content_dir and (Path(content_dir) / "badges").is_dir():
        return Path(content_dir) / "badges"
    # A content folder with modules only (as some tests use) still gets the shipped badges.
    return CONTENT_ROOT


def init_app(app: Flask) -> None:
    from .. import events
    from . import handlers, models  # noqa: F401  (models registers the tables)
    from .cli import badges_cli, content_check
    from .definitions import badge_definitions
    from .services import BadgeRuntime
    from .views import bp, instructor_card, learner_card, ob2_bp, wellknown_bp

    app.config.setdefault("BADGES_PROGRAM_DAYS", 180)
    app.config.setdefault("BADGES_DID_METHOD", "web")
    app.config.setdefault("BADGES_ISSUER_EMAIL", None)
    app.config.setdefault("BADGES_UPLOAD_LIMIT", 1024 * 1024)
    method = app.config["BADGES_DID_METHOD"]
    if method not in ("web", "key") or (method == "key" and app.config.get("TOOL_ENV")
                                        == "production"):
        from ..config import ConfigError

        raise ConfigError("BADGES_DID_METHOD must be 'web' (badges are issued by did:web on "
                          "the tool's BASE_URL); 'key' is for development and tests only.")
    library = app.extensions.get("lti_tool.modules")
    app.extensions[EXTENSION_KEY] = BadgeRuntime(
        definitions=badge_definitions(_definitions_root(app.config.get("CONTENT_DIR"))),
        base_url=app.config["TOOL_BASE_URL"], tool_name=app.config["TOOL_NAME"],
        keystore=app.extensions["lti_tool.keys"], did_method=method,
        issuer_email=app.config["BADGES_ISSUER_EMAIL"],
        program_days=int(app.config["BADGES_PROGRAM_DAYS"]),
        module_tracks={m.slug: m.track for m in library} if library is not None else {})

    # Signals are process-wide; connecting the same function again is a no-op.
    for name in handlers.PAIR_SIGNALS:
        getattr(events, name).connect(handlers.on_pair_event)
    for name in handlers.PERSON_SIGNALS:
        getattr(events, name).connect(handlers.on_person_event)

    app.register_blueprint(bp)
    app.register_blueprint(wellknown_bp)
    app.register_blueprint(ob2_bp)
    app.cli.add_command(badges_cli)
    from ..modules.cli import add_content_check

    add_content_check(app, content_check)
    app.add_template_global(learner_card, "badges_learner_card")
    app.add_template_global(instructor_card, "badges_instructor_card")
    sections = app.extensions.setdefault("lti_tool.home_sections", [])
    sections.append({"role": "learner", "template": "badges/_home_learner.html"})
    sections.append({"role": "instructor", "template": "badges/_home_instructor.html"})
