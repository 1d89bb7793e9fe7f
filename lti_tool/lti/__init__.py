"""The LTI 1.3 boundary: the only package that imports pylti1p3."""

from __future__ import annotations

import requests
from flask import Flask

from .keysets import PlatformKeySets
from .launch import LaunchValidator
from .registry import Registry
from .services import SyncMemo
from .session import LoginStates


def init_app(app: Flask) -> None:
    from . import advantage_models, cli, roster_views, views  # noqa: F401 (models, routes)
    from .advantage import AdvantageClient, service_session

    http = requests.Session()
    http.headers["User-Agent"] = "lti_tool (reverse mentoring)"
    registry = Registry()
    keysets = PlatformKeySets(app, http)
    states = LoginStates(app.config["SECRET_KEY"])
    app.extensions["lti_tool.lti"] = {
        "http": http, "registry": registry, "keysets": keysets,
        "validator": LaunchValidator(registry, keysets, app.config["TOOL_BASE_URL"], states),
        "states": states,
        "synced": SyncMemo(),
        "jwks_memo": {},
    }
    app.extensions.setdefault("lti_tool.deep_link_target", views.deep_link_placeholder)
    # AGS/NRPS/token calls: their own connection pool
    services_http = service_session(str(http.headers["User-Agent"]))
    app.extensions["lti_tool.advantage"] = AdvantageClient(
        services_http, app.extensions["lti_tool.keys"],
        timeout=float(app.config.get("LTI_SERVICE_TIMEOUT", 10.0)))
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.lti_cli)
    app.cli.add_command(cli.keys_cli)
