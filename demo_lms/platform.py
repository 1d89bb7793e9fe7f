"""The demo LMS Flask app: an LTI 1.3 / Advantage platform built on lti1p3platform.

``create_platform_app(PlatformConfig(...))`` returns a Flask app; its state and admin
API (fault injection, counters, key rotation, registrations) is the ``DemoLMS`` object
at ``app.extensions["demo_lms"]`` (see ``get_lms``).

lti1p3platform signs and verifies; the strict protocol checks it does not do
(docs/lti.md §3.4) are done here: the authorization request, client assertions
(iss/sub/aud/jti), Deep Linking responses (iss/aud/deployment/nonce/data), score
validation, paging ``Link`` headers and Dynamic Registration.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, NoReturn, cast
from urllib.parse import urlencode, urlsplit

import flask
import jwt
from flask import Flask, g, jsonify, render_template, request
from jinja2 import DictLoader
from lti1p3platform.exceptions import (
    LtiDeepLinkingResponseException,
    LtiException,
    MissingRequiredClaim,
    UnsupportedGrantType,
)
from lti1p3platform.response import Response as LibResponse
from werkzeug.wrappers import Response as WerkzeugResponse

from .config import (
    AGS_SCOPES,
    CLAIM_DEPLOYMENT_ID,
    CLAIM_DL_CONTENT_ITEMS,
    CLAIM_DL_DATA,
    CLAIM_DL_ERRORMSG,
    CLAIM_DL_MSG,
    CLAIM_MESSAGE_TYPE,
    CLAIM_TOOL_PLATFORM,
    CLAIM_VERSION,
    COURSE_OFFERING,
    HOME_LINK_ID,
    LOCALES,
    MEDIA_LINEITEM,
    MEDIA_LINEITEM_CONTAINER,
    MEDIA_MEMBERSHIP_CONTAINER,
    MEDIA_RESULT_CONTAINER,
    MEDIA_SCORE,
    PLATFORM_CONFIGURATION,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    SUPPORTED_CLAIMS,
    SUPPORTED_SCOPES,
    TOOL_CONFIGURATION,
    Person,
    PlatformConfig,
)
from .lti_adapters import (
    DemoAgsService,
    DemoMessageLaunch,
    DemoNrpsService,
    DemoOIDCLogin,
    FlaskLtiRequest,
    InvalidAccessToken,
    decode_access_token,
    platform_conf,
)
from .state import (
    AccessLogEntry,
    DeepLinkReturn,
    DemoLMS,
    LaunchRecord,
    LoginRequest,
    RejectedScore,
    ResourceLink,
    TokenGrant,
    ToolRegistration,
)
from .templates import TEMPLATES

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

#: Substitution variables this platform resolves in custom parameters. Anything else
#: (e.g. ``$Canvas.user.id``) is sent unchanged, as real platforms do.
SUPPORTED_VARIABLES: tuple[str, ...] = (
    "$User.id",
    "$Person.name.full",
    "$Person.name.given",
    "$Person.name.family",
    "$Person.email.primary",
    "$Context.id",
    "$Context.title",
    "$Context.label",
    "$ResourceLink.id",
    "$ResourceLink.title",
    "$ResourceLink.description",
)

ROLE_LABELS = {"instructor": "Instructor", "mentor": "Mentor (young colleague)",
               "mentee": "Mentee (senior colleague)"}
CREATED_BY_LABELS = {"platform": "the platform", "deep_linking": "Deep Linking",
                     "api": "a test"}


def get_lms(app: Flask) -> DemoLMS:
    """The ``DemoLMS`` (state + admin API) behind an app made by ``create_platform_app``."""
    lms = app.extensions["demo_lms"]
    assert isinstance(lms, DemoLMS)
    return lms


class _Abort(Exception):
    """Stops a view with a ready response (raised by guards, turned back by a handler)."""

    def __init__(self, response: flask.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _json_error(status: int, error: str, description: str,
                headers: dict[str, str] | None = None) -> flask.Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def _format_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _host_in(url: str, domains: list[str]) -> bool:
    parts = urlsplit(url)
    return any(parts.netloc == d or parts.hostname == d for d in domains)


def _aud_contains(aud: Any, expected: set[str]) -> bool:
    if isinstance(aud, str):
        return aud in expected
    return isinstance(aud, list) and any(isinstance(a, str) and a in expected for a in aud)


def create_platform_app(config: PlatformConfig | None = None) -> Flask:
    """Build one demo LMS (state lives in the returned app, nothing is global)."""
    config = config or PlatformConfig()
    lms = DemoLMS(config)
    app = Flask("demo_lms", static_folder=None, template_folder=None)
    app.jinja_options = {**app.jinja_options, "loader": DictLoader(TEMPLATES)}
    app.jinja_env.filters["num"] = _format_number
    app.extensions["demo_lms"] = lms

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"platform_name": config.platform_name}

    @app.errorhandler(_Abort)
    def _aborted(exc: _Abort) -> flask.Response:
        return exc.response

    # ---------------------------------------------------------------- access log

    @app.before_request
    def _start_clock() -> None:
        g.demo_lms_started = time.perf_counter()

    @app.after_request
    def _log_request(response: flask.Response) -> flask.Response:
        started = g.get("demo_lms_started", time.perf_counter())
        lms.record_request(AccessLogEntry(
            request.method, request.path, request.endpoint or "<unmatched>",
            response.status_code, (time.perf_counter() - started) * 1000, time.time()))
        return response

    # ---------------------------------------------------------------- helpers

    def fault_response(*targets: str) -> flask.Response | None:
        for target in targets:
            fault = lms.faults.take(target)
            if fault is None:
                continue
            if fault.delay_ms:
                time.sleep(fault.delay_ms / 1000)
            if fault.status is not None:
                headers = {"Retry-After": "1"} if fault.status == 503 else {}
                return _json_error(fault.status, "injected_fault", fault.message, headers)
        return None

    def check_faults(*targets: str) -> None:
        response = fault_response(*targets)
        if response is not None:
            raise _Abort(response)

    def page(status: int, heading: str, *paragraphs: str, details: list[str] | None = None,
             kind: str = "error") -> flask.Response:
        response = flask.make_response(render_template(
            "message.html", heading=heading, paragraphs=paragraphs, details=details or [],
            kind=kind), status)
        response.headers["Cache-Control"] = "no-store"
        return response

    def refuse(status: int, heading: str, *paragraphs: str,
               details: list[str] | None = None) -> NoReturn:
        raise _Abort(page(status, heading, *paragraphs, details=details))

    # ---------------------------------------------------------------- home page

    @app.get("/")
    def home() -> str:
        with lms.lock:
            links = list(lms.links.values())
            line_items = list(lms.line_items.values())
            score_counts = Counter(s.line_item_id for s in lms.scores)
            gradebook = lms.gradebook()
        return render_template(
            "home.html",
            course={"title": config.context_title, "id": config.context_id},
            people=list(lms.people.values()),
            links=links,
            line_items=line_items,
            line_items_by_id={li.id: li for li in line_items},
            score_counts=score_counts,
            gradebook=gradebook,
            registration=lms.active_registration,
            locales=LOCALES,
            role_labels=ROLE_LABELS,
            created_by_labels=CREATED_BY_LABELS,
            settings=lms.platform_settings(),
            tool_register_url=lms.tool_endpoint(config.tool_register_path),
        )

    # ---------------------------------------------------------------- OIDC login initiation

    def launch_target(person_id: str | None, locale: str | None,
                      instructor_only: bool = False) -> tuple[Person, str, ToolRegistration]:
        person = lms.person(person_id)
        if person is None:
            refuse(400, "Unknown person", f"There is no person {person_id!r} in this course.")
        locale = locale or "en"
        if locale not in LOCALES:
            refuse(400, "Unknown language",
                   f"Language {locale!r} is not offered; choose one of {', '.join(LOCALES)}.")
        if instructor_only and not person.is_instructor:
            refuse(403, "Instructors only",
                   f"{person.name} is not an instructor, so cannot add activities.")
        tool = lms.active_registration
        if tool is None:
            refuse(409, "No tool registered",
                   "Register the tool first (Dynamic Registration on the course page).")
        return person, locale, tool

    def start_resource_launch(link_id: str) -> WerkzeugResponse:
        person, locale, tool = launch_target(request.args.get("user"), request.args.get("locale"))
        link = lms.links.get(link_id)
        if link is None:
            refuse(404, "Unknown activity", f"There is no resource link {link_id!r}.")
        login_request = lms.new_login_request("resource", person.user_id, tool.client_id,
                                              locale, link.id)
        login = DemoOIDCLogin(request, platform_conf(lms, tool))
        login.set_lti_message_hint(hint=login_request.hint)
        login.set_launch_url(link.url or tool.launch_url)
        response: WerkzeugResponse = login.initiate_login(person.user_id)
        return response

    @app.get("/launch")
    def launch_from_form() -> WerkzeugResponse:
        return start_resource_launch(request.args.get("link") or HOME_LINK_ID)

    @app.get("/launch/<link_id>")
    def launch(link_id: str) -> WerkzeugResponse:
        return start_resource_launch(link_id)

    @app.get("/deep_link")
    def deep_link_start() -> WerkzeugResponse:
        person, locale, tool = launch_target(request.args.get("user"),
                                             request.args.get("locale"), instructor_only=True)
        login_request = lms.new_login_request("deep_link", person.user_id, tool.client_id,
                                              locale, None)
        login = DemoOIDCLogin(request, platform_conf(lms, tool))
        login.set_lti_message_hint(hint=login_request.hint)
        login.set_deeplinking_launch_url()
        response: WerkzeugResponse = login.initiate_login(person.user_id)
        return response

    # ---------------------------------------------------------------- authorization endpoint

    def check_auth_request(params: dict[str, str]) -> tuple[LoginRequest, ToolRegistration]:
        """The OIDC checks lti1p3platform skips (it only wants nonce, state, redirect_uri)."""

        def refuse_auth(reason: str) -> NoReturn:
            refuse(400, "Launch refused", "The tool's authentication request is not valid:",
                   reason)

        expected = {"response_type": "id_token", "scope": "openid",
                    "response_mode": "form_post", "prompt": "none"}
        for name, value in expected.items():
            if params.get(name) != value:
                refuse_auth(f"{name} must be {value!r}, got {params.get(name)!r}.")
        client_id = params.get("client_id")
        tool = lms.registration(client_id)
        if tool is None:
            refuse_auth(f"client_id {client_id!r} is not registered on this platform.")
        redirect_uri = params.get("redirect_uri")
        if redirect_uri not in tool.redirect_uris:
            refuse_auth(f"redirect_uri {redirect_uri!r} is not one of the registered redirect "
                        f"URIs {list(tool.redirect_uris)!r} (exact match required).")
        hint = params.get("lti_message_hint")
        login_request = lms.peek_login_request(hint) if hint else None
        if login_request is None:
            refuse_auth("lti_message_hint is missing, unknown, expired or already used; "
                        "start the launch again from the course page.")
        if login_request.client_id != client_id:
            refuse_auth("lti_message_hint was issued for another client_id.")
        if params.get("login_hint") != login_request.user_id:
            refuse_auth("login_hint does not match the user who started this launch.")
        nonce = params.get("nonce")
        if not nonce:
            refuse_auth("nonce is required.")
        if not params.get("state"):
            refuse_auth("state is required.")
        if not lms.remember_auth_nonce(nonce):
            refuse_auth(f"nonce {nonce!r} was already used in an earlier request.")
        if not lms.consume_login_request(login_request.hint):
            refuse_auth("lti_message_hint was already used.")
        return login_request, tool

    def substitution_values(person: Person, tool: ToolRegistration,
                            link: ResourceLink | None) -> dict[str, str]:
        values = {
            "$User.id": person.user_id,
            "$Context.id": config.context_id,
            "$Context.title": config.context_title,
            "$Context.label": config.context_label,
        }
        if lms.allows_pii(person, tool, "name"):
            values["$Person.name.full"] = person.name
        if lms.allows_pii(person, tool, "given_name"):
            values["$Person.name.given"] = person.given_name
        if lms.allows_pii(person, tool, "family_name"):
            values["$Person.name.family"] = person.family_name
        if lms.allows_pii(person, tool, "email"):
            values["$Person.email.primary"] = person.email
        if link is not None:
            values.update({"$ResourceLink.id": link.id, "$ResourceLink.title": link.title,
                           "$ResourceLink.description": link.text})
        values.update(config.extra_variables)
        return values

    def issue_launch(params: dict[str, str], login_request: LoginRequest,
                     tool: ToolRegistration) -> flask.Response:
        person = lms.people[login_request.user_id]
        link = lms.links.get(login_request.link_id) if login_request.link_id else None
        is_resource = login_request.kind == "resource"
        if is_resource and link is None:
            refuse(410, "Activity gone", "The activity of this launch no longer exists.")

        def render(launch_data: dict[str, Any]) -> flask.Response:
            claims = jwt.decode(launch_data["id_token"], options={"verify_signature": False})
            with lms.lock:
                lms.launches.append(LaunchRecord(
                    claims.get(CLAIM_MESSAGE_TYPE, ""), person.user_id,
                    link.id if link else None, tool.client_id, launch_data["id_token"], claims,
                    launch_data["state"], launch_data["launch_url"], time.time()))
            response = flask.make_response(render_template(
                "launch_form.html", action=launch_data["launch_url"],
                id_token=launch_data["id_token"], state=launch_data["state"]))
            response.headers["Cache-Control"] = "no-store"
            return response

        conf = platform_conf(lms, tool)
        message = DemoMessageLaunch(FlaskLtiRequest(request, query=params), conf, render)
        message.set_user_data(
            person.user_id, person.lti_roles,
            full_name=person.name if lms.allows_pii(person, tool, "name") else None,
            email_address=person.email if lms.allows_pii(person, tool, "email") else None)
        extra: dict[str, Any] = {
            CLAIM_TOOL_PLATFORM: {
                "guid": config.platform_guid, "name": config.platform_name,
                "product_family_code": "demo_lms", "version": config.version,
            },
        }
        if lms.allows_pii(person, tool, "given_name"):
            extra["given_name"] = person.given_name
        if lms.allows_pii(person, tool, "family_name"):
            extra["family_name"] = person.family_name
        if "locale" in tool.claims:
            extra["locale"] = login_request.locale
        message.set_launch_context_claim(config.context_id, [COURSE_OFFERING],
                                         config.context_title, config.context_label)
        return_query = {"user": person.user_id, **({"link": link.id} if link else {})}
        message.set_launch_presentation("window", lms.url(f"/return?{urlencode(return_query)}"),
                                        login_request.locale)
        scopes = set(tool.scopes)
        if scopes & AGS_SCOPES:
            line_item_url = (lms.lineitem_url(link.line_item_id)
                             if link is not None and link.line_item_id else None)
            message.set_granted_ags(lms.lineitems_url(), line_item_url, scopes)
        if SCOPE_NRPS in scopes:
            message.set_nrps(lms.memberships_url())

        values = substitution_values(person, tool, link)
        custom = {**tool.custom_parameters, **(link.custom if link else {})}
        custom = {k: values.get(v, v) if isinstance(v, str) else v for k, v in custom.items()}
        if is_resource:
            assert link is not None
            message.set_launch_url(link.url or tool.launch_url)
            message.set_resource_link_claim(link.id, link.text or None, link.title)
            if person.program_role in ("mentor", "mentee"):
                custom["program_role"] = person.program_role
        else:
            dl_request = lms.new_deep_link_request(tool, person.user_id)
            message.set_deep_linking(lms.deep_link_return_url, title=config.context_title,
                                     text="Add an activity to the course", data=dl_request.data)
        if custom:
            message.set_custom_parameters_claim(custom)
        message.set_id_token_expiration(config.id_token_ttl)
        message.set_extra_claims(extra)
        response: flask.Response = message.lti_launch()
        return response

    @app.route("/auth", methods=["GET", "POST"])
    def auth() -> flask.Response:
        check_faults("auth")
        source = request.args if request.method == "GET" else request.form
        params = source.to_dict()
        login_request, tool = check_auth_request(params)
        return issue_launch(params, login_request, tool)

    @app.get("/return")
    def lti_return() -> flask.Response:
        error = request.args.get("lti_errormsg")
        message = request.args.get("lti_msg")
        paragraphs = [p for p in (message, error) if p] or ["You are back in the course."]
        return page(200, "Back from the tool", *paragraphs, kind="error" if error else "ok")

    # ---------------------------------------------------------------- deep linking return

    def check_deep_link_claims(claims: dict[str, Any], tool: ToolRegistration) -> list[str]:
        """What lti1p3platform accepts but must be refused (docs/lti.md §3.4)."""
        errors = []
        if claims.get("iss") != tool.client_id:
            errors.append(f"iss must be the client_id {tool.client_id!r}")
        if not _aud_contains(claims.get("aud"), {lms.issuer}):
            errors.append(f"aud must be the platform issuer {lms.issuer!r}, "
                          f"got {claims.get('aud')!r}")
        for name in ("exp", "iat"):
            if not isinstance(claims.get(name), int | float):
                errors.append(f"{name} is required")
        if claims.get(CLAIM_DEPLOYMENT_ID) != tool.deployment_id:
            errors.append(f"deployment_id must be {tool.deployment_id!r}, "
                          f"got {claims.get(CLAIM_DEPLOYMENT_ID)!r}")
        if claims.get(CLAIM_VERSION) != "1.3.0":
            errors.append("version must be '1.3.0'")
        if not isinstance(claims.get("nonce"), str) or not claims["nonce"]:
            errors.append("nonce is required")
        dl_request = lms.deep_link_request(claims.get(CLAIM_DL_DATA))
        if dl_request is None or dl_request.client_id != tool.client_id:
            errors.append("data must echo the opaque value of a Deep Linking request this "
                          f"platform sent, got {claims.get(CLAIM_DL_DATA)!r}")
        elif dl_request.used:
            errors.append("this Deep Linking request was already answered")
        if not isinstance(claims.get(CLAIM_DL_CONTENT_ITEMS, []), list):
            errors.append("content_items must be an array")
        return errors

    def check_content_item(index: int, item: Any, tool: ToolRegistration) -> list[str]:
        where = f"content_items[{index}]"
        if not isinstance(item, dict):
            return [f"{where} must be an object"]
        errors = []
        for name in ("title", "text"):
            if name in item and not isinstance(item[name], str):
                errors.append(f"{where}.{name} must be a string")
        url = item.get("url")
        if url is not None:
            tool_domains = [tool.domain, urlsplit(tool.launch_url).netloc]
            if not _is_http_url(url) or not _host_in(url, tool_domains):
                errors.append(f"{where}.url {url!r} must be an absolute URL on the tool's "
                              f"domain {tool.domain!r}")
        custom = item.get("custom")
        if custom is not None and (not isinstance(custom, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in custom.items())):
            errors.append(f"{where}.custom must map strings to strings")
        line_item = item.get("lineItem")
        if line_item is not None:
            if not isinstance(line_item, dict):
                errors.append(f"{where}.lineItem must be an object")
            else:
                maximum = line_item.get("scoreMaximum")
                if (not isinstance(maximum, int | float) or isinstance(maximum, bool)
                        or maximum <= 0):
                    errors.append(f"{where}.lineItem.scoreMaximum must be a number > 0")
                for name in ("label", "resourceId", "tag"):
                    if name in line_item and not isinstance(line_item[name], str):
                        errors.append(f"{where}.lineItem.{name} must be a string")
        return errors

    @app.post("/deep_link_return")
    def deep_link_return() -> flask.Response:
        check_faults("deep_link_return")
        token = request.form.get("JWT")
        if not token:
            refuse(400, "Deep Linking response refused", "The form field JWT is missing.")
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            refuse(400, "Deep Linking response refused", f"JWT is malformed: {exc}")
        tool = lms.registration(unverified.get("iss") if isinstance(unverified.get("iss"),
                                                                      str) else None)
        if tool is None:
            refuse(400, "Deep Linking response refused",
                   f"iss {unverified.get('iss')!r} is not the client_id of a registered tool.")
        conf = platform_conf(lms, tool)
        conf.set_accepted_deeplinking_types(["ltiResourceLink"])
        try:
            items = conf.validate_deeplinking_resp({"JWT": token})
        except (LtiException, LtiDeepLinkingResponseException, jwt.PyJWTError,
                KeyError, TypeError) as exc:
            refuse(400, "Deep Linking response refused",
                   f"The response failed validation: {exc or type(exc).__name__}")
        claims = conf.verified_claims or {}
        errors = check_deep_link_claims(claims, tool)
        for index, item in enumerate(items):
            errors.extend(check_content_item(index, item, tool))
        if errors:
            refuse(400, "Deep Linking response refused",
                   "The tool's Deep Linking response breaks these rules:", details=errors)
        if not lms.use_dl_nonce(tool.client_id, claims["nonce"], float(claims["exp"])):
            refuse(400, "Deep Linking response refused",
                   f"nonce {claims['nonce']!r} was already used (replayed response).")
        with lms.lock:
            dl_request = lms.deep_link_request(claims.get(CLAIM_DL_DATA))
            if dl_request is None or dl_request.used:
                refuse(400, "Deep Linking response refused",
                       "this Deep Linking request was already answered")
            dl_request.used = True
            created = [
                lms.create_resource_link(
                    item.get("title") or "Untitled activity", url=item.get("url"),
                    text=item.get("text", ""), custom=item.get("custom"),
                    line_item=item.get("lineItem"), created_by="deep_linking")
                for item in items
            ]
            lms.deep_link_returns.append(DeepLinkReturn(
                tool.client_id, claims, tuple(link.id for link in created), time.time()))
            line_items_by_id = dict(lms.line_items)
        return flask.make_response(render_template(
            "deep_link_result.html", links=created, line_items_by_id=line_items_by_id,
            tool_message=claims.get(CLAIM_DL_MSG), tool_error=claims.get(CLAIM_DL_ERRORMSG)))

    # ---------------------------------------------------------------- token endpoint

    @app.post("/token")
    def token() -> flask.Response:
        check_faults("token")
        form = request.form.to_dict()
        for name in ("grant_type", "client_assertion_type", "client_assertion", "scope"):
            if not form.get(name):
                return _json_error(400, "invalid_request", f"{name} is required")
        if form["grant_type"] != "client_credentials":
            return _json_error(400, "unsupported_grant_type",
                               "grant_type must be client_credentials")
        if form["client_assertion_type"] != CLIENT_ASSERTION_TYPE:
            return _json_error(400, "invalid_request",
                               f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}")
        assertion = form["client_assertion"]
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            return _json_error(400, "invalid_request", f"client_assertion is malformed: {exc}")
        client_id = unverified.get("iss")
        tool = lms.registration(client_id if isinstance(client_id, str) else None)
        if tool is None:
            return _json_error(401, "invalid_client",
                               f"iss {client_id!r} is not a registered client_id")
        conf = platform_conf(lms, tool)
        try:
            claims = conf.tool_validate_and_decode(assertion)  # lti1p3platform: signature, exp
        except (LtiException, jwt.PyJWTError) as exc:
            return _json_error(401, "invalid_client", f"client_assertion rejected: {exc}")
        # Strict checks lti1p3platform skips (docs/lti.md §3.4).
        if claims.get("sub") != tool.client_id or claims.get("iss") != tool.client_id:
            return _json_error(401, "invalid_client",
                               "client_assertion iss and sub must both be the client_id")
        if not _aud_contains(claims.get("aud"), {lms.token_url, lms.issuer}):
            return _json_error(401, "invalid_client",
                               f"client_assertion aud must be the token endpoint "
                               f"{lms.token_url!r}, got {claims.get('aud')!r}")
        if not isinstance(claims.get("exp"), int | float):
            return _json_error(401, "invalid_client", "client_assertion exp is required")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            return _json_error(401, "invalid_client", "client_assertion jti is required")
        if not lms.use_jti(tool.client_id, jti, float(claims["exp"])):
            return _json_error(401, "invalid_client",
                               f"client_assertion jti {jti!r} was already used (replay)")
        requested = form["scope"].split()
        granted = [s for s in requested if s in SUPPORTED_SCOPES and s in tool.scopes]
        if not granted:
            return _json_error(400, "invalid_scope",
                               f"none of the requested scopes {requested!r} is granted to "
                               "this client")
        try:
            result = dict(conf.get_access_token({**form, "scope": " ".join(granted)}))
        except (LtiException, MissingRequiredClaim, UnsupportedGrantType,
                jwt.PyJWTError) as exc:
            return _json_error(401, "invalid_client", str(exc))
        # The library returns "bearer" and a fixed 3600 (gap); report what we issued.
        result.update({"token_type": "Bearer", "expires_in": config.access_token_ttl})
        with lms.lock:
            lms.token_grants.append(TokenGrant(tool.client_id, tuple(granted), jti, time.time()))
        response = jsonify(result)
        response.headers["Cache-Control"] = "no-store"
        return response

    # ---------------------------------------------------------------- keys and discovery

    @app.get("/jwks")
    def jwks() -> flask.Response:
        check_faults("jwks")
        response = jsonify(platform_conf(lms, lms.active_registration).get_jwks())
        response.headers["Cache-Control"] = f"max-age={config.jwks_max_age}"
        return response

    @app.get("/.well-known/openid-configuration")
    def openid_configuration() -> flask.Response:
        check_faults("openid_configuration")
        return jsonify({
            "issuer": lms.issuer,
            "authorization_endpoint": lms.auth_url,
            "token_endpoint": lms.token_url,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": lms.jwks_url,
            "registration_endpoint": lms.registration_endpoint,
            "scopes_supported": ["openid", *SUPPORTED_SCOPES],
            "response_types_supported": ["id_token"],
            "response_modes_supported": ["form_post"],
            "grant_types_supported": ["implicit", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": list(SUPPORTED_CLAIMS),
            PLATFORM_CONFIGURATION: {
                "product_family_code": "demo_lms",
                "version": config.version,
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest"},
                ],
                "variables": list(SUPPORTED_VARIABLES),
            },
        })

    # ---------------------------------------------------------------- dynamic registration

    @app.post("/register/start")
    def registration_start() -> str:
        parts = urlsplit(lms.tool_url)
        return render_template("register.html", register_url=lms.dynamic_registration_url(),
                               tool_origin=f"{parts.scheme}://{parts.netloc}")

    @app.post("/register")
    def register() -> flask.Response:
        check_faults("register")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _json_error(401, "invalid_token",
                               "Authorization: Bearer <registration_token> is required")
        token = token.strip()
        if not lms.registration_token_valid(token):
            return _json_error(401, "invalid_token",
                               "the registration token is unknown, expired or already used")
        if request.mimetype != "application/json":
            return _json_error(400, "invalid_client_metadata",
                               "the client registration must be sent as application/json")
        body = request.get_json(silent=True)
        errors, parsed = validate_client_registration(body, lms)
        if errors:
            response = _json_error(400, "invalid_client_metadata", "; ".join(errors))
            return response
        if not lms.consume_registration_token(token):
            return _json_error(401, "invalid_token", "the registration token was already used")
        assert isinstance(body, dict)
        registration = lms.register_tool(
            None, None,
            login_url=parsed.initiate_login_uri, launch_url=parsed.launch_url,
            deep_link_url=parsed.deep_link_url, jwks_url=parsed.jwks_uri,
            redirect_uris=parsed.redirect_uris, scopes=parsed.scopes, claims=parsed.claims,
            custom_parameters=parsed.custom_parameters, client_name=parsed.client_name,
            jwks=config.tool_jwks, dynamic=True, registration_request=body)
        registration.domain = parsed.domain
        answer = {k: v for k, v in body.items() if k != TOOL_CONFIGURATION}
        answer.update({"client_id": registration.client_id,
                       "scope": " ".join(parsed.scopes)})
        answer[TOOL_CONFIGURATION] = {**body[TOOL_CONFIGURATION],
                                      "deployment_id": registration.deployment_id}
        response = jsonify(answer)
        response.headers["Cache-Control"] = "no-store"
        return response

    # ---------------------------------------------------------------- services (AGS, NRPS)

    service_query = dict(lms.service_query_params())

    def service_guard(context_id: str, any_of_scopes: set[str],
                      *fault_targets: str) -> ToolRegistration:
        """Faults, context, Moodle-like query string and bearer token with a fitting scope."""
        check_faults(*fault_targets)
        if context_id != config.context_id:
            raise _Abort(_json_error(404, "not_found", f"unknown context {context_id!r}"))
        for key, value in service_query.items():
            if request.args.get(key) != value:
                raise _Abort(_json_error(
                    400, "invalid_request",
                    f"query parameter {key}={value} missing: service URLs must be used as "
                    "handed out (insert path segments before the '?')"))
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Abort(_json_error(401, "invalid_request", "a Bearer access token is required",
                                     {"WWW-Authenticate": 'Bearer realm="demo_lms"'}))
        try:
            claims = decode_access_token(lms, token.strip())
        except InvalidAccessToken as exc:
            raise _Abort(_json_error(
                401, "invalid_token", str(exc),
                {"WWW-Authenticate": 'Bearer realm="demo_lms", error="invalid_token"'},
            )) from exc
        granted = set(str(claims.get("scopes", "")).split())
        if not granted & any_of_scopes:
            needed = " ".join(sorted(any_of_scopes))
            raise _Abort(_json_error(
                403, "insufficient_scope", f"this call needs one of the scopes: {needed}",
                {"WWW-Authenticate":
                 f'Bearer realm="demo_lms", error="insufficient_scope", scope="{needed}"'}))
        tool = lms.registration(claims["sub"])
        assert tool is not None  # decode_access_token checked it
        return tool

    def paging_query(allowed: tuple[str, ...], default_limit: int | None = None
                     ) -> dict[str, Any]:
        """The query dict lti1p3platform gets: known keys only, ``page``/``limit`` as ints."""
        query: dict[str, Any] = {k: request.args[k] for k in allowed if k in request.args}
        try:
            query["page"] = lms.decode_page(request.args.get("page"))
            raw_limit = request.args.get("limit")
            limit = int(raw_limit) if raw_limit else default_limit
        except ValueError as exc:
            raise _Abort(_json_error(400, "invalid_request", f"bad paging parameter: {exc}")
                         ) from exc
        if limit is not None:
            if limit < 1:
                raise _Abort(_json_error(400, "invalid_request", "limit must be >= 1"))
            query["limit"] = min(limit, config.max_page_size)
        return query

    def next_link(path: str, query: dict[str, Any]) -> dict[str, str]:
        params = {k: v for k, v in query.items() if k != "page"}
        params["page"] = lms.encode_page(int(query["page"]) + 1)
        return {"Link": f'<{lms.service_url(path, params)}>; rel="next"'}

    def library_response(resp: LibResponse, body: Any = None, media_type: str | None = None,
                         headers: dict[str, str] | None = None) -> flask.Response:
        """Map an lti1p3platform ``Response`` to Flask (errors as JSON)."""
        if resp.code >= 400:
            return _json_error(resp.code, "request_failed", resp.message)
        payload = resp.result if body is None else body
        if resp.code == 204 or payload is None:
            return flask.Response(status=resp.code)
        return flask.Response(json.dumps(payload), status=resp.code,
                              mimetype=media_type or resp.media_type, headers=headers)

    def require_media_type(expected: str) -> None:
        if request.mimetype != expected:
            raise _Abort(_json_error(415, "unsupported_media_type",
                                     f"Content-Type must be {expected}, got {request.mimetype!r}"))

    lineitems_path = f"/ags/{config.context_id}/lineitems"

    @app.route("/ags/<context_id>/lineitems", methods=["GET", "POST"])
    def ags_lineitems(context_id: str) -> flask.Response:
        if request.method == "GET":
            tool = service_guard(context_id, {SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY}, "ags")
            query = paging_query(("resource_link_id", "resource_id", "tag"))
            svc = DemoAgsService(FlaskLtiRequest(request, query=query), platform_conf(lms, tool),
                                 lms, tool.client_id)
            resp = svc.handle_resp(svc.handle_get_lineitems)
            if resp.code != 200 or svc.last_page is None:
                return library_response(resp)
            headers = next_link(lineitems_path, query) if svc.last_page["has_next"] else None
            # Gap: the library answers a {"content", "has_next", "next"} object; AGS wants
            # a JSON array of line items plus a Link header.
            return library_response(resp, body=svc.last_page["content"],
                                    media_type=MEDIA_LINEITEM_CONTAINER, headers=headers)
        tool = service_guard(context_id, {SCOPE_LINEITEM}, "ags")
        require_media_type(MEDIA_LINEITEM)
        svc = DemoAgsService(FlaskLtiRequest(request, query={}), platform_conf(lms, tool),
                             lms, tool.client_id)
        resp = svc.handle_resp(svc.handle_create_lineitem)
        return library_response(resp, media_type=MEDIA_LINEITEM)

    @app.route("/ags/<context_id>/lineitems/<line_item_id>", methods=["GET", "PUT", "DELETE"])
    def ags_lineitem(context_id: str, line_item_id: str) -> flask.Response:
        if request.method == "GET":
            scopes = {SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY}
        else:
            scopes = {SCOPE_LINEITEM}
        tool = service_guard(context_id, scopes, "ags")
        svc = DemoAgsService(FlaskLtiRequest(request, query={}), platform_conf(lms, tool),
                             lms, tool.client_id, lms.lineitem_url(line_item_id))
        if request.method == "GET":
            resp = svc.handle_resp(svc.handle_get_lineitem, line_item_id=line_item_id)
        elif request.method == "PUT":
            require_media_type(MEDIA_LINEITEM)
            body = request.get_json(silent=True)
            if isinstance(body, dict) and "id" in body and body["id"] not in (
                    line_item_id, lms.lineitem_url(line_item_id)):
                return _json_error(400, "invalid_request", "id does not match the URL")
            resp = svc.handle_resp(svc.handle_update_lineitem, line_item_id=line_item_id)
        else:
            resp = svc.handle_resp(svc.handle_delete_lineitem, line_item_id=line_item_id)
        return library_response(resp, media_type=MEDIA_LINEITEM)

    @app.post("/ags/<context_id>/lineitems/<line_item_id>/scores")
    def ags_scores(context_id: str, line_item_id: str) -> flask.Response:
        tool = service_guard(context_id, {SCOPE_SCORE}, "scores", "ags")
        if request.mimetype != MEDIA_SCORE:
            reason = f"Content-Type must be {MEDIA_SCORE}, got {request.mimetype!r}"
            with lms.lock:
                lms.rejected_scores.append(RejectedScore(
                    line_item_id, request.get_data(as_text=True), 415, reason, time.time()))
            return _json_error(415, "unsupported_media_type", reason)
        svc = DemoAgsService(FlaskLtiRequest(request, query={}), platform_conf(lms, tool),
                             lms, tool.client_id, lms.lineitem_url(line_item_id))
        resp = svc.handle_resp(svc.handle_update_score, line_item_id=line_item_id)
        if resp.code == 409:
            return _json_error(409, "conflict", "the score timestamp must be later than the "
                               "last score's timestamp for this user and line item")
        return library_response(resp)

    @app.get("/ags/<context_id>/lineitems/<line_item_id>/results")
    def ags_results(context_id: str, line_item_id: str) -> flask.Response:
        tool = service_guard(context_id, {SCOPE_RESULT_READONLY}, "ags")
        query = paging_query(("user_id",))
        svc = DemoAgsService(FlaskLtiRequest(request, query=query), platform_conf(lms, tool),
                             lms, tool.client_id, lms.lineitem_url(line_item_id))
        resp = svc.handle_resp(svc.handle_get_results, line_item_id=line_item_id)
        if resp.code != 200 or svc.last_page is None:
            return library_response(resp)
        headers = (next_link(f"{lineitems_path}/{line_item_id}/results", query)
                   if svc.last_page["has_next"] else None)
        return library_response(resp, body=svc.last_page["content"],
                                media_type=MEDIA_RESULT_CONTAINER, headers=headers)

    @app.get("/nrps/<context_id>/memberships")
    def nrps_memberships(context_id: str) -> flask.Response:
        tool = service_guard(context_id, {SCOPE_NRPS}, "nrps")
        query = paging_query(("role", "rlid"), default_limit=config.nrps_default_limit)
        svc = DemoNrpsService(FlaskLtiRequest(request, query=query), platform_conf(lms, tool),
                              lms, tool)
        resp = svc.handle_resp(svc.handle_get_members)
        if resp.code != 200 or svc.last_page is None:
            return library_response(resp)
        # Gap: the library puts a non-standard "next" into the body, built by appending
        # "?..." to a URL that already has a query. The spec pages with a Link header.
        body = {k: v for k, v in resp.result.items() if k != "next"}
        headers = (next_link(f"/nrps/{config.context_id}/memberships", query)
                   if svc.last_page["has_next"] else None)
        return library_response(resp, body=body, media_type=MEDIA_MEMBERSHIP_CONTAINER,
                                headers=headers)

    # ---------------------------------------------------------------- read-only state

    @app.get("/api/state")
    def api_state() -> flask.Response:
        return jsonify(lms.snapshot())

    return app


# ------------------------------------------------------------------ dynamic registration


@dataclass
class ParsedRegistration:
    client_name: str
    initiate_login_uri: str
    redirect_uris: list[str]
    jwks_uri: str
    launch_url: str
    deep_link_url: str
    domain: str
    scopes: list[str]
    claims: list[str]
    custom_parameters: dict[str, str]


def validate_client_registration(body: Any, lms: DemoLMS
                                 ) -> tuple[list[str], ParsedRegistration]:
    """Check an LTI-DR 1.0 client registration strictly; returns (errors, parsed)."""
    empty = ParsedRegistration("", "", [], "", "", "", "", [], [], {})
    if not isinstance(body, dict):
        return ["the client registration must be a JSON object"], empty
    errors: list[str] = []

    def check(condition: bool, message: str) -> None:
        if not condition:
            errors.append(message)

    check(body.get("application_type") == "web", "application_type must be 'web'")
    check(body.get("response_types") == ["id_token"], "response_types must be ['id_token']")
    grant_types = body.get("grant_types")
    check(isinstance(grant_types, list)
          and {"implicit", "client_credentials"} <= set(grant_types),
          "grant_types must include 'implicit' and 'client_credentials'")
    check(body.get("token_endpoint_auth_method") == "private_key_jwt",
          "token_endpoint_auth_method must be 'private_key_jwt'")
    client_name = body.get("client_name")
    check(isinstance(client_name, str) and bool(client_name.strip()),
          "client_name is required")
    login_uri = body.get("initiate_login_uri")
    check(_is_http_url(login_uri), "initiate_login_uri must be an absolute http(s) URL")
    redirect_uris = body.get("redirect_uris")
    redirect_ok = (isinstance(redirect_uris, list) and bool(redirect_uris)
                   and all(_is_http_url(u) for u in redirect_uris))
    check(redirect_ok, "redirect_uris must be a non-empty array of absolute http(s) URLs")
    jwks_uri = body.get("jwks_uri")
    check(_is_http_url(jwks_uri), "jwks_uri must be an absolute http(s) URL")
    scope = body.get("scope")
    check(isinstance(scope, str), "scope must be a space-separated string")

    tool_conf = body.get(TOOL_CONFIGURATION)
    if not isinstance(tool_conf, dict):
        errors.append(f"{TOOL_CONFIGURATION} must be an object")
        return errors, empty
    domain = tool_conf.get("domain")
    check(isinstance(domain, str) and bool(domain), "lti-tool-configuration.domain is required")
    target = tool_conf.get("target_link_uri")
    check(_is_http_url(target), "lti-tool-configuration.target_link_uri must be an absolute URL")
    claims = tool_conf.get("claims")
    check(isinstance(claims, list) and all(isinstance(c, str) for c in claims),
          "lti-tool-configuration.claims must be an array of strings")
    secondary = tool_conf.get("secondary_domains", [])
    check(isinstance(secondary, list) and all(isinstance(d, str) for d in secondary),
          "lti-tool-configuration.secondary_domains must be an array of strings")
    custom = tool_conf.get("custom_parameters", {})
    check(isinstance(custom, dict) and all(isinstance(v, str) for v in custom.values()),
          "lti-tool-configuration.custom_parameters must map strings to strings")
    messages = tool_conf.get("messages")
    message_urls: dict[str, str] = {}
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        errors.append("lti-tool-configuration.messages must be an array of objects")
    else:
        for message in messages:
            url = message.get("target_link_uri")
            if url is not None:
                check(_is_http_url(url), f"messages target_link_uri {url!r} must be absolute")
            if isinstance(message.get("type"), str) and isinstance(url, str):
                message_urls.setdefault(message["type"], url)
        types = {m.get("type") for m in messages}
        for required in ("LtiResourceLinkRequest", "LtiDeepLinkingRequest"):
            check(required in types, f"lti-tool-configuration.messages must include {required}")
    if errors:
        return errors, empty

    # Everything was type-checked above; give the values their types.
    domain, target, scope = str(domain), str(target), str(scope)
    login_uri, jwks_uri = str(login_uri), str(jwks_uri)
    redirect_uris = [str(u) for u in cast(list[Any], redirect_uris)]
    domains = [domain, *cast(list[str], secondary)]
    for url in [login_uri, jwks_uri, target, *redirect_uris, *message_urls.values()]:
        check(_host_in(url, domains), f"{url!r} is not on the tool domain(s) {domains!r}")
    if errors:
        return errors, empty
    return [], ParsedRegistration(
        client_name=str(client_name).strip(),
        initiate_login_uri=login_uri,
        redirect_uris=redirect_uris,
        jwks_uri=jwks_uri,
        launch_url=message_urls.get("LtiResourceLinkRequest", target),
        deep_link_url=message_urls.get("LtiDeepLinkingRequest", target),
        domain=domain,
        scopes=[s for s in scope.split() if s in SUPPORTED_SCOPES],
        claims=[c for c in cast(list[str], claims) if c in SUPPORTED_CLAIMS],
        custom_parameters=dict(cast(dict[str, str], custom)),
    )
