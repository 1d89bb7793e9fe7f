"""The baseline for benchmarks/launch.py: a plain pylti1p3 tool shaped like pylti1p3's Flask
example (its "game" example app), served by the same gunicorn settings as our tool.

    gunicorn -w 2 --chdir benchmarks/launch "baseline_pylti1p3:create_app()"

What it keeps from the example:
- the tool configuration is a ToolConfJsonFile read from disk on every request (the JSON file
  plus the tool's private key file, which pylti1p3 keeps as a PEM string);
- login: FlaskOIDCLogin(FlaskRequest(), conf, launch_data_storage=FlaskCacheDataStorage(cache))
  .redirect(target_link_uri), i.e. a 302 to the platform with a state cookie and the nonce in the
  cache;
- launch: FlaskMessageLaunch(...).get_launch_data(), which validates the launch, fetches the
  platform's key set over HTTP on every launch (a new requests.Session each time: the library's
  default), converts the JWK to PEM with jwcrypto and stores the launch data in the cache;
- Flask-Caching holds nonces and launch data. The example uses the "simple" in-process cache,
  which two gunicorn workers cannot share (a login served by one worker and its launch by the
  other would fail), so this uses Redis (BASELINE_CACHE_URL=redis://…) or, without a Redis
  server, Flask-Caching's FileSystemCache (BASELINE_CACHE_URL=file:///dir).

What differs, and why:
- the example answers the launch by rendering its game page; this one answers 303 to
  /game/?launch_id=… as our tool answers 303 to its learner page, so neither side's page
  rendering is part of the measurement;
- no `enable_check_cookies()`: the plain redirect, as our tool's login does.

BASELINE_TUNED=1 gives the "tuned" variant: configuration read once per worker, one
requests.Session per worker, and the platform key set cached in the cache through
pylti1p3's own `set_public_key_caching` (2 h).
"""

from __future__ import annotations

import os
from typing import Any

import requests
from flask import Flask, jsonify, redirect, request, url_for
from flask_caching import Cache
from pylti1p3.contrib.flask import FlaskCacheDataStorage, FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.tool_config import ToolConfJsonFile


def _cache_config(url: str) -> dict[str, Any]:
    if url.startswith("redis://"):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url}
    if url.startswith("file://"):
        return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": url[len("file://"):],
                "CACHE_THRESHOLD": 1_000_000}
    raise SystemExit(f"BASELINE_CACHE_URL must be redis://… or file://…, got {url!r}")


def create_app() -> Flask:
    app = Flask("pylti1p3-baseline")
    app.config.from_mapping({
        "SECRET_KEY": os.environ.get("BASELINE_SECRET_KEY", "replace-me"),
        "CACHE_DEFAULT_TIMEOUT": 600,
        "SESSION_COOKIE_NAME": "pylti1p3-flask-app-sessionid",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        **_cache_config(os.environ["BASELINE_CACHE_URL"]),
    })
    cache = Cache(app)
    config_path = os.environ["BASELINE_LTI_CONFIG"]
    tuned = os.environ.get("BASELINE_TUNED") == "1"
    shared_conf = ToolConfJsonFile(config_path) if tuned else None
    shared_http = requests.Session() if tuned else None

    def get_tool_conf() -> ToolConfJsonFile:
        return shared_conf if shared_conf is not None else ToolConfJsonFile(config_path)

    def get_launch_data_storage() -> FlaskCacheDataStorage:
        return FlaskCacheDataStorage(cache)

    @app.route("/login/", methods=["GET", "POST"])
    def login() -> Any:
        tool_conf = get_tool_conf()
        launch_data_storage = get_launch_data_storage()
        flask_request = FlaskRequest()
        target_link_uri = flask_request.get_param("target_link_uri")
        if not target_link_uri:
            raise OIDCException('Missing "target_link_uri" param')
        oidc_login = FlaskOIDCLogin(flask_request, tool_conf,
                                    launch_data_storage=launch_data_storage)
        return oidc_login.redirect(target_link_uri)

    @app.route("/launch/", methods=["POST"])
    def launch() -> Any:
        tool_conf = get_tool_conf()
        flask_request = FlaskRequest()
        launch_data_storage = get_launch_data_storage()
        message_launch = FlaskMessageLaunch(flask_request, tool_conf,
                                            launch_data_storage=launch_data_storage,
                                            requests_session=shared_http)
        if tuned:
            message_launch.set_public_key_caching(launch_data_storage, cache_lifetime=7200)
        launch_data = message_launch.get_launch_data()
        custom = launch_data.get("https://purl.imsglobal.org/spec/lti/claim/custom", {})
        difficulty = custom.get("difficulty") or request.args.get("difficulty", "normal")
        return redirect(url_for("game", launch_id=message_launch.get_launch_id(),
                                difficulty=difficulty), code=303)

    @app.route("/game/", methods=["GET"])
    def game() -> Any:
        launch_id = request.args.get("launch_id", "")
        message_launch = FlaskMessageLaunch.from_cache(
            launch_id, FlaskRequest(), get_tool_conf(),
            launch_data_storage=get_launch_data_storage())
        return jsonify({"name": message_launch.get_launch_data().get("name", "")})

    @app.errorhandler(LtiException)
    @app.errorhandler(OIDCException)
    def lti_error(exc: Exception) -> Any:
        return jsonify({"error": str(exc)}), 400

    return app
