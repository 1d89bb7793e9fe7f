"""Deep Linking 2.0: keep a request's settings server-side, answer it with signed content items.

The launch (views.launch) hands an LtiDeepLinkingRequest to the picker hook; `store_request`
keeps its settings (return URL, opaque `data`, accept_multiple, accept_types…) under a random
id bound to the instructor's launch-token session, so the picker can answer later and only
once. `build_response` turns the chosen items into the LtiDeepLinkingResponse JWT with
pylti1p3's DeepLink/DeepLinkResource/LineItem, signed with the tool's loaded key object (no PEM
parsing per signature, docs/lti.md §4).

Platform notes (docs/lti.md §1.4): every item's `url` is the tool's registered launch URL and
the module travels as the custom parameter `module` (Moodle refuses other URLs: "Invalid
redirect_url", pylti1.3-flask-example #28); Canvas's assignment_selection and link_selection
placements send the same message, so both use this flow.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from pylti1p3.registration import Registration as Pylti1p3Registration
from sqlalchemy import delete

from ..db import db, utcnow
from ..errors import BadRequest
from .advantage_models import DeepLinkRequest
from .launch import CLAIM, DL_CLAIM, ValidatedLaunch
from .session import Actor

REQUEST_MINUTES = 60
RESOURCE_LINK = "ltiResourceLink"
SETTINGS_CLAIM = DL_CLAIM + "deep_linking_settings"
GRADE_TAG = "reverse-mentoring"
CANVAS_PLACEMENT = "https://www.instructure.com/placement"


class DeepLinkingRefused(BadRequest):
    """A Deep Linking request the tool cannot answer; the message says why, in plain words."""

    title = _l("This course system's request cannot be answered")


@dataclass(frozen=True)
class ContentItem:
    """One module to place in the course as an LTI resource link."""

    slug: str
    title: str
    text: str = ""
    score_maximum: float = 100.0
    custom: dict[str, str] = field(default_factory=dict)


def _flag(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def parse_settings(launch: ValidatedLaunch) -> dict[str, Any]:
    """The request's settings, or DeepLinkingRefused with a message a person can act on."""
    settings = launch.claims.get(SETTINGS_CLAIM)
    if not isinstance(settings, dict) or not settings:
        raise DeepLinkingRefused(
            _("The course system asked to add an activity but sent no Deep Linking settings."),
            hint=_("An administrator can check that the tool's placement uses Deep Linking "
                 "(LtiDeepLinkingRequest) in the LMS."))
    return_url = settings.get("deep_link_return_url")
    parts = urlsplit(return_url) if isinstance(return_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise DeepLinkingRefused(
            _("The course system did not say where to send the chosen modules back "
            "(deep_link_return_url is missing or not a web address)."),
            hint=_("Go back to your course and add the activity again. If it keeps happening, an "
                 "administrator can check the LMS's Deep Linking set-up."))
    accept_types = settings.get("accept_types")
    if not isinstance(accept_types, list) or RESOURCE_LINK not in accept_types:
        raise DeepLinkingRefused(
            _("This place in the course does not accept tool links (ltiResourceLink), so "
            "modules cannot be added here."),
            hint=_("Add the tool as an activity or assignment instead (Canvas: assignment or "
                 "link selection; Moodle: “Select content” of an external tool activity)."))
    return {
        "return_url": return_url,
        "data": settings.get("data"),
        "accept_multiple": _flag(settings.get("accept_multiple"), False),
        # Absent means "unknown": send the line item anyway, a platform may ignore it.
        "accept_lineitem": _flag(settings.get("accept_lineitem"), True),
        "accept_types": [t for t in accept_types if isinstance(t, str)],
        "title": str(settings.get("title") or "")[:255],
    }


def store_request(launch: ValidatedLaunch, actor: Actor, sid: str) -> DeepLinkRequest:
    """Keep the settings of a Deep Linking launch for the picker. Flushes."""
    settings = parse_settings(launch)
    now = utcnow()
    db.session.execute(delete(DeepLinkRequest).where(DeepLinkRequest.expires_at < now))
    # Canvas names the placement (assignment_selection, link_selection…); same flow for all.
    placement = launch.claims.get(CANVAS_PLACEMENT)
    custom = launch.claims.get(CLAIM + "custom")
    if not isinstance(placement, str) and isinstance(custom, dict):
        placement = custom.get("placement")
    placement = placement[:64] if isinstance(placement, str) else None
    row = DeepLinkRequest(
        id=secrets.token_urlsafe(24), sid=sid, user_id=actor.user_id,
        context_id=actor.context_id, registration_id=launch.registration.id,
        deployment_id=launch.deployment.deployment_id, return_url=settings["return_url"],
        data=settings["data"], accept_multiple=settings["accept_multiple"],
        accept_lineitem=settings["accept_lineitem"], accept_types=settings["accept_types"],
        title=settings["title"], placement=placement, created_at=now,
        expires_at=now + timedelta(minutes=REQUEST_MINUTES))
    db.session.add(row)
    db.session.flush()
    return row


def pending_request(request_id: str) -> DeepLinkRequest | None:
    """The stored request, unless it was answered or has expired (authz decides who may)."""
    row = db.session.get(DeepLinkRequest, request_id)
    if row is None or row.expires_at < utcnow():
        return None
    return row


@dataclass(frozen=True)
class SignedResponse:
    return_url: str
    jwt: str
    items: list[dict[str, Any]]


class _SigningRegistration(Pylti1p3Registration):
    """pylti1p3's Registration holding our loaded RSA key object instead of a PEM string.

    PyJWT signs with either; the key object saves ~30 ms of RSA key parsing per response.
    """

    def __init__(self, issuer: str, client_id: str, key: Any, kid: str):
        super().__init__()
        self.set_issuer(issuer).set_client_id(client_id)
        self._tool_private_key = key
        self._kid = kid

    def get_kid(self) -> str:  # type: ignore[override]
        return self._kid


def build_response(row: DeepLinkRequest, items: list[ContentItem], *, issuer: str,
                   client_id: str, launch_url: str, signing_key: Any,
                   message: str | None = None) -> SignedResponse:
    """Sign the LtiDeepLinkingResponse for `items` and use the request up. Flushes."""
    if len(items) > 1 and not row.accept_multiple:
        raise DeepLinkingRefused(_("This place in the course accepts one module at a time."),
            hint=_("Choose one module, or add the others one by one."))
    resources = []
    for item in items:
        resource = (DeepLinkResource().set_type(RESOURCE_LINK).set_title(item.title)
                    .set_url(launch_url)
                    .set_custom_params({"module": item.slug, **item.custom}))
        if row.accept_lineitem:
            resource.set_lineitem(LineItem().set_score_maximum(item.score_maximum)
                                  .set_label(item.title).set_resource_id(item.slug)
                                  .set_tag(GRADE_TAG))
        resources.append(resource)
    settings = {"deep_link_return_url": row.return_url, "accept_types": row.accept_types,
                "accept_presentation_document_targets": ["iframe", "window"]}
    if row.data is not None:
        settings["data"] = row.data
    link = DeepLink(_SigningRegistration(issuer, client_id, signing_key.private_key,
                                         signing_key.kid),
                    row.deployment_id, settings)  # type: ignore[arg-type]
    claims = link.get_message_jwt(resources)
    content = claims[DL_CLAIM + "content_items"]
    assert isinstance(content, list)
    for resource_dict, item in zip(content, items, strict=True):
        if item.text:
            resource_dict["text"] = item.text
    if row.data is None:
        claims.pop(DL_CLAIM + "data", None)  # absent in the request: absent in the answer
    if message:
        claims[DL_CLAIM + "msg"] = message
    token = link.encode_jwt(claims)
    db.session.delete(row)  # single use: a second POST of the picker finds nothing
    db.session.flush()
    return SignedResponse(row.return_url, token, content)
