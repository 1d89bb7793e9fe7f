"""Our concrete subclasses of the lti1p3platform abstract classes (docs/lti.md §3.2).

lti1p3platform 0.1.8 is framework-agnostic and lax (docs/lti.md §3.4). Each override
below that works around one of its gaps says which gap. The strict protocol checks the
library does not do live in ``demo_lms.platform``, next to the routes.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeGuard, cast

import flask
import jwt
import requests
from lti1p3platform.exceptions import LineItemNotFoundException, LtiException, LtiServiceException
from lti1p3platform.lineitem import TLineItem
from lti1p3platform.ltiplatform import JWKS, LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.score import TScore, UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
    TPage,
)
from werkzeug.wrappers import Response as WerkzeugResponse

from .config import (
    CLAIM_AGS_ENDPOINT,
    CLAIM_DL_SETTINGS,
    CLAIM_LAUNCH_PRESENTATION,
    SCOPE_LINEITEM,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
)
from .keys import KeyRing
from .state import DemoLMS, LineItem, RejectedScore, ScoreRecord, ToolRegistration

ACTIVITY_PROGRESS = frozenset({"Initialized", "Started", "InProgress", "Submitted", "Completed"})
GRADING_PROGRESS = frozenset({"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"})

_FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


# --------------------------------------------------------------------------- request


class FlaskLtiRequest(Request):
    """lti1p3platform ``Request`` built from a Flask request.

    ``query`` replaces the query-string dict the library sees. The library passes the
    whole query dict as ``**kwargs`` to our service methods and does ``page + 1`` on it,
    so service routes hand it a cleaned dict with ints (gap: an unexpected key such as
    Moodle's ``type_id`` raises TypeError; a string ``page`` raises TypeError).
    """

    def __init__(self, flask_request: flask.Request,
                 query: Mapping[str, Any] | None = None) -> None:
        self._query = dict(query) if query is not None else None
        super().__init__(flask_request)

    def build_metadata(self, request: flask.Request) -> TRequest:
        body = None
        if request.mimetype not in _FORM_MIMETYPES:
            body = request.get_json(force=True, silent=True, cache=True)
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": self._query if self._query is not None else request.args.to_dict(),
            "headers": request.headers,
            "content_type": request.content_type,
            "path": request.path,
            "json": body,
        }


# --------------------------------------------------------------------------- registration


def _stamp(payload: dict[str, Any], expiration: int | None) -> None:
    if expiration:
        now = int(time.time())
        payload.update({"iat": now, "exp": now + expiration})


class DemoRegistration(Registration):
    """``Registration`` backed by our key ring.

    Gaps worked around: the library publishes exactly one key (no rotation), derives the
    ``kid`` from a jwcrypto thumbprint by re-parsing the private PEM on every signature,
    and signs with the PEM string (another ~30 ms parse per JWT, docs/lti.md §4).
    """

    def __init__(self, keys: KeyRing, access_token_ttl: int) -> None:
        self._keys = keys
        self._access_token_ttl = access_token_ttl

    def get_platform_private_key(self) -> str:
        return self._keys.active.private_pem

    def get_platform_public_key(self) -> str:
        return self._keys.active.public_pem

    def get_kid(self) -> str:
        return self._keys.active.kid

    def get_jwks(self) -> list[dict[str, Any]]:
        return self._keys.jwks()["keys"]

    def platform_encode_and_sign(self, payload: dict[str, Any],
                                 expiration: int | None = None) -> str:
        key = self._keys.active
        _stamp(payload, expiration)
        return jwt.encode(payload, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    def encode_and_sign(  # type: ignore[override]
        self,
        payload: dict[str, Any],
        private_key: str,
        headers: Any | None = None,
        expiration: int | None = None,
    ) -> str:
        # The library calls this only from get_access_token(), with the PEM, no kid header
        # and a hard-coded 3600 s lifetime (gaps). We sign with the active key object, add
        # the kid (so tokens survive key rotation) and a jti, and use our configured TTL.
        payload.setdefault("jti", secrets.token_urlsafe(16))
        return self.platform_encode_and_sign(payload, expiration=self._access_token_ttl)


class InvalidAccessToken(Exception):
    pass


def decode_access_token(lms: DemoLMS, token: str) -> dict[str, Any]:
    """Verify an access token we issued, with whichever of our keys signed it."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidAccessToken("malformed access token") from exc
    key = lms.keys.get(str(header.get("kid", "")))
    if key is None:
        raise InvalidAccessToken("access token signed with an unknown key")
    try:
        claims = jwt.decode(token, key.public_key, algorithms=["RS256"],
                            issuer=lms.issuer, options={"require": ["exp", "iat", "iss", "sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise InvalidAccessToken("access token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidAccessToken(f"invalid access token: {exc}") from exc
    if lms.registration(claims.get("sub")) is None:
        raise InvalidAccessToken("access token for an unknown client")
    return claims


class DemoPlatformConf(LTI1P3PlatformConfAbstract):
    """Platform configuration for one request and one tool registration.

    A fresh instance per request: the library caches the registration on the instance
    and keeps the JWT being validated in ``self._jwt`` (not thread safe to share).
    """

    _lms: DemoLMS
    _tool: ToolRegistration | None
    #: Claims of the last tool JWT that passed ``tool_validate_and_decode``.
    verified_claims: dict[str, Any] | None

    def init_platform_config(self, **kwargs: Any) -> None:
        self._lms = kwargs["lms"]
        self._tool = kwargs.get("tool")
        self.verified_claims = None

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        lms, tool = self._lms, self._tool
        registration = DemoRegistration(lms.keys, lms.config.access_token_ttl).set_iss(lms.issuer)
        if tool is not None:
            (registration.set_client_id(tool.client_id)
             .set_deployment_id(tool.deployment_id)
             .set_oidc_login_url(tool.initiate_login_uri)
             .set_launch_url(tool.launch_url)
             .set_deeplink_launch_url(tool.deep_link_url)
             .set_tool_key_set_url(tool.jwks_uri))
            if tool.static_jwks is not None:
                registration.set_tool_key_set(cast(JWKS, tool.static_jwks))
        return registration

    def get_tool_key_set(self) -> JWKS:
        # Gap: the library fetches the tool JWKS once per Registration and never again,
        # so a tool that rotates its key breaks. We cache it on the stored registration
        # and refetch when the JWT names a kid we have not seen.
        tool = self._tool
        if tool is None:
            raise LtiException("no tool registration for this request")
        if tool.static_jwks is not None:
            return cast(JWKS, tool.static_jwks)
        kid = (self._jwt.get("header") or {}).get("kid")
        cached = tool.jwks_cache
        if cached is not None and any(k.get("kid") == kid for k in cached.get("keys", [])):
            return cast(JWKS, cached)
        fetched = self.fetch_public_key(tool.jwks_uri)
        if not isinstance(fetched, dict) or not isinstance(fetched.get("keys"), list):
            raise LtiException(f"the tool JWKS at {tool.jwks_uri} is not a JWK set")
        with self._lms.lock:
            tool.jwks_cache = dict(fetched)
            self._lms.tool_jwks_fetches += 1
        return fetched

    def fetch_public_key(self, key_set_url: str) -> JWKS:
        # Same as the library's, but with our timeout and a status check (gap: the
        # library parses error pages as JSON and reports a confusing message).
        try:
            resp = requests.get(key_set_url, timeout=self._lms.config.tool_jwks_timeout)
        except requests.RequestException as exc:
            raise LtiException(f"cannot fetch the tool JWKS {key_set_url}: {exc}") from exc
        if resp.status_code != 200:
            raise LtiException(f"the tool JWKS {key_set_url} answered {resp.status_code}")
        try:
            return cast(JWKS, resp.json())
        except ValueError as exc:
            raise LtiException(f"the tool JWKS {key_set_url} is not JSON") from exc

    def tool_validate_and_decode(self, jwt_token_string: str) -> dict[str, Any]:
        # Keep the verified claims: validate_deeplinking_resp() returns only the content
        # items, and we must check iss/aud/nonce/deployment/data ourselves (§3.4).
        claims = super().tool_validate_and_decode(jwt_token_string)
        self.verified_claims = claims
        return claims

    def validate_token(self, token: str, allowed_scopes: list[str] | None = None,
                       audience: str | None = None) -> bool:
        # Gap: the library verifies service tokens with the single current public key,
        # so every token dies at key rotation. Verify by kid against all our keys.
        try:
            claims = decode_access_token(self._lms, token)
        except InvalidAccessToken as exc:
            raise LtiException(str(exc)) from exc
        if audience and claims.get("aud") != audience:
            raise LtiException("Invalid audience")
        if allowed_scopes:
            granted = str(claims.get("scopes", "")).split()
            return any(scope in granted for scope in allowed_scopes)
        return True


def platform_conf(lms: DemoLMS, tool: ToolRegistration | None) -> DemoPlatformConf:
    conf = DemoPlatformConf(lms=lms, tool=tool)
    conf.get_registration()  # the library asserts a registration is loaded before use
    return conf


# --------------------------------------------------------------------------- OIDC + launch


class DemoOIDCLogin(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> WerkzeugResponse:
        return flask.redirect(url, code=302)


class DemoMessageLaunch(LTIAdvantageMessageLaunchAbstract):
    """id_token builder; ``render`` turns the signed launch data into the auto-POST form."""

    def __init__(self, request: Request, platform_config: LTI1P3PlatformConfAbstract,
                 render: Callable[[dict[str, Any]], flask.Response]) -> None:
        super().__init__(request, platform_config)
        self._render = render

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> flask.Response:
        return self._render(launch_data)

    def set_launch_presentation(self, document_target: str, return_url: str,
                                locale: str) -> None:
        # Gap: set_launch_presentation_claim() has no locale parameter.
        # The library setter validates document_target; then we write the full claim.
        self.set_launch_presentation_claim(document_target=document_target, return_url=return_url)
        self.lti_claim_launch_presentation = {CLAIM_LAUNCH_PRESENTATION: {
            "document_target": document_target, "return_url": return_url, "locale": locale}}

    def set_granted_ags(self, lineitems_url: str, lineitem_url: str | None,
                        granted_scopes: set[str]) -> None:
        self.set_ags(lineitems_url, lineitem_url,
                     allow_creating_lineitems=SCOPE_LINEITEM in granted_scopes,
                     results_service_enabled=SCOPE_RESULT_READONLY in granted_scopes,
                     scores_service_enabled=SCOPE_SCORE in granted_scopes)
        # Gap: LtiAgs always offers lineitem.readonly when creating is off, even to a tool
        # that was not granted it; offer only what the token endpoint will grant.
        claim = self.extra_claims[CLAIM_AGS_ENDPOINT]
        claim["scope"] = [s for s in claim["scope"] if s in granted_scopes]

    def set_deep_linking(self, return_url: str, title: str, text: str, data: str) -> None:
        # ``data`` is an opaque string per LTI-DL 2.0; the library annotates it as a dict.
        self.set_dl(return_url, title=title, description=text,
                    accept_types={"ltiResourceLink"}, extra_data=cast(dict[str, Any], data))
        # Gap: the library offers no accept_lineitem flag (LTI-DL 2.0 §4.4.1), and sends
        # an "embed" target that does not apply to ltiResourceLink items.
        assert self._deep_linking_launch_data is not None
        settings = self._deep_linking_launch_data[CLAIM_DL_SETTINGS]
        settings["accept_lineitem"] = True
        settings["accept_presentation_document_targets"] = ["iframe", "window"]


# --------------------------------------------------------------------------- services


def page_of(items: list[Any], page: int, limit: int | None) -> TPage:
    if limit is None:
        return {"content": items, "has_next": False, "next": None}
    start = (page - 1) * limit
    return {"content": items[start:start + limit], "has_next": start + limit < len(items),
            "next": None}


def line_item_json(lms: DemoLMS, item: LineItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": lms.lineitem_url(item.id),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
    }
    optional = {
        "resourceId": item.resource_id,
        "tag": item.tag,
        "resourceLinkId": item.resource_link_id,
        "startDateTime": item.start_date_time,
        "endDateTime": item.end_date_time,
        "gradesReleased": item.grades_released,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return data


def _is_number(value: Any) -> TypeGuard[float]:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _bad_request(message: str) -> LtiServiceException:
    return LtiServiceException(message, 400)


def _parse_timestamp(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise _bad_request(f"{name} is required (ISO 8601 with a time zone)")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _bad_request(f"{name} {value!r} is not ISO 8601") from exc
    if parsed.tzinfo is None:
        raise _bad_request(f"{name} {value!r} has no time zone")
    return parsed


class DemoAgsService(AssignmentsGradesService):
    """Line items, scores and results of the demo course.

    Validation the library leaves to us ("TODO: validate score"): line item fields,
    score fields, membership of ``userId``, ``scoreGiven <= scoreMaximum`` and strictly
    increasing timestamps per (line item, user).
    """

    def __init__(self, request: Request, conf: DemoPlatformConf, lms: DemoLMS,
                 client_id: str, lineitem_url: str | None = None) -> None:
        super().__init__(request, conf, lms.lineitems_url(), lineitem_url)
        self._lms = lms
        self._client_id = client_id
        #: The page the last find_lineitems/get_results call produced (for Link headers).
        self.last_page: TPage | None = None

    # --- line items -------------------------------------------------------------------

    def _item(self, line_item_id: str) -> LineItem:
        item = self._lms.line_items.get(line_item_id)
        if item is None:
            raise LineItemNotFoundException(line_item_id)
        return item

    def find_lineitems(self, page: int = 1, limit: int | None = None,
                       line_item_id: str | None = None, resource_link_id: str | None = None,
                       resource_id: str | None = None, tag: str | None = None,
                       **_ignored: Any) -> TPage:
        with self._lms.lock:
            items = [
                line_item_json(self._lms, item) for item in self._lms.line_items.values()
                if (line_item_id is None or item.id == line_item_id)
                and (resource_link_id is None or item.resource_link_id == resource_link_id)
                and (resource_id is None or item.resource_id == resource_id)
                and (tag is None or item.tag == tag)
            ]
        self.last_page = page_of(items, page, limit)
        return self.last_page

    def find_lineitem(self, line_item_id: str) -> TLineItem:
        with self._lms.lock:
            return cast(TLineItem, line_item_json(self._lms, self._item(line_item_id)))

    def _validated_fields(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise _bad_request("the line item must be a JSON object")
        label = data.get("label")
        if not isinstance(label, str) or not label.strip():
            raise _bad_request("label is required (non-empty string)")
        score_maximum = data.get("scoreMaximum")
        if not _is_number(score_maximum) or score_maximum <= 0:
            raise _bad_request("scoreMaximum is required and must be a number > 0")
        fields: dict[str, Any] = {"label": label, "score_maximum": score_maximum}
        for key, attr in (("resourceId", "resource_id"), ("tag", "tag"),
                          ("resourceLinkId", "resource_link_id")):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise _bad_request(f"{key} must be a string")
            fields[attr] = value
        for key, attr in (("startDateTime", "start_date_time"),
                          ("endDateTime", "end_date_time")):
            value = data.get(key)
            if value is not None:
                _parse_timestamp(value, key)
            fields[attr] = value
        released = data.get("gradesReleased")
        if released is not None and not isinstance(released, bool):
            raise _bad_request("gradesReleased must be a boolean")
        fields["grades_released"] = released
        link_id = fields["resource_link_id"]
        if link_id is not None and link_id not in self._lms.links:
            raise _bad_request(f"resourceLinkId {link_id!r} does not exist in this context")
        return fields

    def create_lineitem(self, creation_data: TLineItem) -> TLineItem:
        fields = self._validated_fields(creation_data)
        with self._lms.lock:
            item = self._lms.create_line_item(fields.pop("label"), fields.pop("score_maximum"),
                                              **fields)
            return cast(TLineItem, line_item_json(self._lms, item))

    def update_lineitem(self, update_data: TLineItem) -> TLineItem:
        line_item_id = str(update_data.get("id"))
        fields = self._validated_fields(update_data)
        with self._lms.lock:
            item = self._item(line_item_id)
            if fields["resource_link_id"] is None:
                fields["resource_link_id"] = item.resource_link_id
            item.label = fields["label"]
            item.score_maximum = fields["score_maximum"]
            item.resource_id = fields["resource_id"]
            item.tag = fields["tag"]
            item.resource_link_id = fields["resource_link_id"]
            item.start_date_time = fields["start_date_time"]
            item.end_date_time = fields["end_date_time"]
            item.grades_released = fields["grades_released"]
            return cast(TLineItem, line_item_json(self._lms, item))

    def delete_lineitem(self, line_item_id: str) -> None:
        with self._lms.lock:
            self._item(line_item_id)
            self._lms.delete_line_item(line_item_id)

    # --- scores -----------------------------------------------------------------------

    def _reject(self, line_item_id: str, body: Any, status: int,
                reason: str) -> LtiServiceException:
        with self._lms.lock:
            self._lms.rejected_scores.append(
                RejectedScore(line_item_id, body, status, reason, time.time()))
        return LtiServiceException(reason, status)

    def update_score(self, line_item_id: str, score: TScore) -> UpdateScoreStatus:
        body: Any = score
        lms = self._lms
        if line_item_id not in lms.line_items:
            raise self._reject(line_item_id, body, 404, f"line item {line_item_id} not found")
        try:
            timestamp, user_id = self._validate_score(body)
        except LtiServiceException as exc:
            raise self._reject(line_item_id, body, exc.status_code, exc.message) from exc
        with lms.lock:
            previous = lms.results.get((line_item_id, user_id))
            if previous is not None and timestamp <= previous.timestamp:
                lms.rejected_scores.append(RejectedScore(
                    line_item_id, body, 409,
                    f"timestamp {body['timestamp']} is not after {previous.body['timestamp']}",
                    time.time()))
                return UpdateScoreStatus.OLD_TIMESTAMP  # the library maps it to 409
            record = ScoreRecord(line_item_id, user_id, dict(body), timestamp,
                                 self._client_id, time.time())
            lms.scores.append(record)
            lms.results[(line_item_id, user_id)] = record
        return UpdateScoreStatus.SUCCESS

    def _validate_score(self, body: Any) -> tuple[datetime, str]:
        if not isinstance(body, dict):
            raise _bad_request("the score must be a JSON object")
        user_id = body.get("userId")
        if not isinstance(user_id, str) or not user_id:
            raise _bad_request("userId is required (string)")
        if user_id not in self._lms.people:
            raise _bad_request(f"userId {user_id!r} is not a member of this context")
        if body.get("activityProgress") not in ACTIVITY_PROGRESS:
            raise _bad_request(f"activityProgress must be one of {sorted(ACTIVITY_PROGRESS)}")
        if body.get("gradingProgress") not in GRADING_PROGRESS:
            raise _bad_request(f"gradingProgress must be one of {sorted(GRADING_PROGRESS)}")
        timestamp = _parse_timestamp(body.get("timestamp"), "timestamp")
        given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
        if maximum is not None and (not _is_number(maximum) or maximum <= 0):
            raise _bad_request("scoreMaximum must be a number > 0")
        if given is not None:
            if not _is_number(given) or given < 0:
                raise _bad_request("scoreGiven must be a number >= 0")
            if maximum is None:
                raise _bad_request("scoreMaximum is required when scoreGiven is present")
            if given > maximum:
                raise _bad_request(f"scoreGiven {given} exceeds scoreMaximum {maximum}")
        comment = body.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise _bad_request("comment must be a string")
        return timestamp, user_id

    def get_results(self, line_item_id: str, page: int = 1, limit: int | None = None,
                    user_id: str | None = None, **_ignored: Any) -> TPage:
        lms = self._lms
        with lms.lock:
            item = self._item(line_item_id)
            item_url = lms.lineitem_url(item.id)
            base = lms.url(f"/ags/{lms.config.context_id}/lineitems/{item.id}/results")
            results = []
            for (li_id, uid), record in lms.results.items():
                if li_id != line_item_id or (user_id is not None and uid != user_id):
                    continue
                result: dict[str, Any] = {"id": f"{base}/{uid}", "scoreOf": item_url,
                                          "userId": uid}
                if record.score_given is not None:
                    result["resultScore"] = record.score_given
                    result["resultMaximum"] = record.score_maximum
                if record.comment is not None:
                    result["comment"] = record.comment
                results.append(result)
        self.last_page = page_of(results, page, limit)
        return self.last_page


class DemoNrpsService(NamesRoleProvisioningService):
    """Context membership of the demo course; name/email only where allowed."""

    def __init__(self, request: Request, conf: DemoPlatformConf, lms: DemoLMS,
                 tool: ToolRegistration) -> None:
        super().__init__(request, conf, lms.memberships_url())
        self._lms = lms
        self._tool = tool
        self.last_page: TPage | None = None

    def get_member_data_page(self, page: int = 1, limit: int | None = None,
                             role: str | None = None, since: str | None = None,
                             **_ignored: Any) -> TPage:
        # ``rlid`` arrives in **_ignored: every member can see every link in this course.
        lms, tool = self._lms, self._tool
        members = []
        for person in lms.people.values():
            if role and not any(r == role or r.endswith(f"#{role}") for r in person.lti_roles):
                continue
            member: dict[str, Any] = {"user_id": person.user_id, "roles": person.lti_roles,
                                      "status": "Active"}
            for claim, value in (("name", person.name), ("given_name", person.given_name),
                                 ("family_name", person.family_name), ("email", person.email)):
                if lms.allows_pii(person, tool, claim):
                    member[claim] = value
            members.append(member)
        self.last_page = page_of(members, page, limit)
        return self.last_page

    def get_context_by_id(self) -> Context:
        cfg = self._lms.config
        return Context(id=cfg.context_id, label=cfg.context_label, title=cfg.context_title)

    def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
        return context_id == self._lms.config.context_id and resource_link_id in self._lms.links
