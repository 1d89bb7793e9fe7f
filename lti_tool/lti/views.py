"""The LTI boundary over HTTP: login initiation, launch, JWKS, registration."""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..authz import public, public_post, tokens
from ..db import db
from .dynreg import RegistrationFailed, ToolDescription, register_with_platform
from .errors import LaunchError
from .launch import LaunchValidator
from .services import start_login, sync_launch
from .session import LoginState, TokenError

bp = Blueprint("lti", __name__, url_prefix="/lti")

STATE_COOKIE_PREFIX = "lti_state_"


def _lti() -> dict[str, Any]:
    return current_app.extensions["lti_tool.lti"]


def _base_url() -> str:
    return str(current_app.config["TOOL_BASE_URL"])


def _secure() -> bool:
    return _base_url().startswith("https://")


@bp.route("/login", methods=["GET", "POST"])
@public_post
def login() -> Any:
    """OIDC third-party login initiation (GET or POST)."""
    params = {k: v for k, v in (request.values.items()) if isinstance(v, str)}
    iss = params.get("iss", "")
    if not iss or not params.get("login_hint") or not params.get("target_link_uri"):
        raise LaunchError("missing_param", "iss, login_hint or target_link_uri missing",
                          issuer=iss, client_id=params.get("client_id", ""))
    reg = _lti()["registry"].registration_for_login(iss, params.get("client_id"))
    if reg is None:
        raise LaunchError("unknown_platform", "login for unknown registration", issuer=iss,
                          client_id=params.get("client_id", ""),
                          deployment_id=params.get("lti_deployment_id", ""))
    hop = start_login(reg, params, _base_url(), _lti()["states"])
    resp: Any
    if hop.storage_target:
        # Canvas and others offer LTI Platform Storage: keep the nonce in the platform's frame,
        # so the launch works even when this iframe may not set cookies.
        resp = make_response(render_template(
            "lti/login_storage.html", auth_url=hop.url, storage_target=hop.storage_target,
            auth_origin=hop.auth_origin, key=_storage_key(hop.state), nonce=hop.nonce))
    else:
        resp = redirect(hop.url, code=302)
    _set_state_cookie(resp, hop.state)
    return resp


def _state_cookie(state: str) -> str:
    # The signed state is long; the cookie is named by its digest.
    return STATE_COOKIE_PREFIX + hashlib.sha256(state.encode()).hexdigest()[:32]


def _storage_key(state: str) -> str:
    return "lti_nonce_" + hashlib.sha256(state.encode()).hexdigest()[:32]


def _set_state_cookie(resp: Response, state: str) -> None:
    secure = _secure()
    resp.set_cookie(_state_cookie(state), "1", max_age=600, path="/lti/", httponly=True,
                    secure=secure, samesite="None" if secure else "Lax", partitioned=secure)


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    base = urlsplit(_base_url())
    return origin == f"{base.scheme}://{base.netloc}"


@bp.post("/launch")
@public_post
def launch() -> Any:
    """The platform's form post of an id_token: validate, sync, start the tool session."""
    if request.form.get("error"):
        raise LaunchError("missing_param", "platform error: " + request.form.get("error", "")[:200])
    id_token, state = request.form.get("id_token", ""), request.form.get("state", "")
    cookie_ok = bool(state) and request.cookies.get(_state_cookie(state)) == "1"
    storage_nonce = request.form.get("lti_storage_nonce")
    from_storage = storage_nonce is not None and _same_origin()
    if state and not cookie_ok and not from_storage:
        pending = _peek_state(state)
        if pending is not None and pending.storage_target:
            return render_template("lti/launch_storage.html", id_token=id_token, state=state,
                                   storage_target=pending.storage_target,
                                   key=_storage_key(state),
                                   auth_origin=_auth_origin(pending)), 200
        if pending is not None:
            relaunch = url_for("lti.login") + "?" + urlencode(pending.login_params)
            return render_template("lti/new_window.html", relaunch_url=relaunch), 401
    validator: LaunchValidator = _lti()["validator"]
    launch = validator.validate(id_token, state, state_bound=cookie_ok or from_storage,
                                storage_nonce=storage_nonce if from_storage else None)
    actor = sync_launch(launch, request.headers.get("Accept-Language"), _lti()["synced"])
    db.session.commit()
    token = tokens().issue(actor)
    if launch.message_type == "LtiDeepLinkingRequest":
        target = current_app.extensions["lti_tool.deep_link_target"](launch, actor)
    elif actor.is_instructor:
        target = url_for("home.instructor", ltik=token)
    else:
        target = _learner_target(launch, token)
    if launch.message_type == "LtiDeepLinkingRequest" and callable(target):
        target = target(token)
        db.session.commit()  # the picker hook stored the request's settings
    resp = redirect(target, code=303)
    resp.delete_cookie(_state_cookie(state), path="/lti/", secure=_secure(),
                       samesite="None" if _secure() else "Lax", partitioned=_secure())
    return resp


def _learner_target(launch: Any, token: str) -> str:
    """A link placed by Deep Linking names its module (custom `module`): open that module when
    an area offers a page for it (app.extensions["lti_tool.module_target"])."""
    custom = launch.claim("custom") or {}
    slug = custom.get("module") if isinstance(custom, dict) else None
    hook = current_app.extensions.get("lti_tool.module_target")
    if hook is not None and isinstance(slug, str) and slug and not slug.startswith("$"):
        url = hook(slug, token)
        if url:
            return str(url)
    return url_for("home.learner", ltik=token)


def _peek_state(state: str) -> LoginState | None:
    try:
        return _lti()["states"].read(state)
    except TokenError:
        return None


def _auth_origin(login: LoginState) -> str:
    """The origin of the platform's OIDC endpoint, where its storage frame lives."""
    reg = _lti()["registry"].registration(login.issuer, login.client_id)
    parts = urlsplit(reg.auth_login_url if reg else login.issuer)
    return f"{parts.scheme}://{parts.netloc}"


@bp.get("/jwks")
@public
def jwks() -> Any:
    """The tool's public keys: current, next and retired ones still in their overlap."""
    memo = _lti()["jwks_memo"]
    hit = memo.get("lti")
    if hit is None or time.monotonic() - hit[0] > 30:
        keystore = current_app.extensions["lti_tool.keys"]
        keys = keystore.published("lti")
        if not keys:
            keystore.ensure_keys("lti")
            db.session.commit()
            keys = keystore.published("lti")
        hit = (time.monotonic(), keys)
        memo["lti"] = hit
    resp = jsonify({"keys": hit[1]})
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@bp.get("/register")
@public
def register() -> Any:
    """LTI Dynamic Registration initiation, opened by the platform in a window or iframe."""
    config_url = request.args.get("openid_configuration", "")
    # A tool served over https only talks to platforms over https (plain http is for local demos).
    allowed = ("https",) if _secure() else ("http", "https")
    if not config_url or urlsplit(config_url).scheme not in allowed:
        return render_template("lti/registered.html", ok=False,
                               error=_("The platform did not send a usable configuration address "
                                       "(openid_configuration, an https URL).")), 400
    tool = ToolDescription(_base_url(), current_app.config["TOOL_NAME"])
    try:
        reg = register_with_platform(config_url, request.args.get("registration_token"), tool,
                                     _lti()["http"])
        db.session.commit()
    except RegistrationFailed as exc:
        db.session.rollback()
        return render_template("lti/registered.html", ok=False, error=str(exc)), 400
    _lti()["registry"].forget()
    return render_template("lti/registered.html", ok=True, registration=reg)


@bp.get("/canvas.json")
@public
def canvas_config() -> Any:
    """The JSON to paste into a Canvas LTI 1.3 developer key ("Enter URL")."""
    base = _base_url()
    host = urlsplit(base).netloc
    name = current_app.config["TOOL_NAME"]
    return jsonify({
        "title": name,
        "description": "Reverse mentoring: micro-modules, mentoring pairs and Open Badges.",
        "oidc_initiation_url": base + "/lti/login",
        "target_link_uri": base + "/lti/launch",
        "public_jwk_url": base + "/lti/jwks",
        "scopes": list(_lti_scopes()),
        "extensions": [{
            "domain": host, "tool_id": "reverse-mentoring", "platform": "canvas.instructure.com",
            "privacy_level": "public",
            "settings": {"text": name, "placements": [
                {"placement": "course_navigation", "message_type": "LtiResourceLinkRequest",
                 "target_link_uri": base + "/lti/launch", "text": name},
                {"placement": "assignment_selection", "message_type": "LtiDeepLinkingRequest",
                 "target_link_uri": base + "/lti/launch", "text": name},
                {"placement": "link_selection", "message_type": "LtiDeepLinkingRequest",
                 "target_link_uri": base + "/lti/launch", "text": name},
            ]},
        }],
        "custom_fields": {"context_id_history": "$Context.id.history"},
    })


def _lti_scopes() -> tuple[str, ...]:
    from .dynreg import SCOPES

    return SCOPES


def deep_link_placeholder(launch: Any, actor: Any) -> Any:
    """Until the Deep Linking picker exists, instructors land on their page."""
    return lambda token: url_for("home.instructor", ltik=token, deep_link=1)
