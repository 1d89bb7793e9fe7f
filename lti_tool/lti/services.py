"""LTI services: logins, syncing people and courses from launches, registrations."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import delete, select

from ..db import db, upsert, utcnow
from ..i18n import normalize
from .errors import LaunchError
from .launch import AGS_CLAIM, CLAIM, NRPS_CLAIM, ValidatedLaunch
from .models import Context, Deployment, Membership, Registration, ResourceLink, UsedNonce, User
from .registry import RegistrationInfo
from .roles import tool_role
from .session import Actor, LoginState, LoginStates


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str
    nonce: str
    storage_target: str | None
    auth_origin: str


def start_login(reg: RegistrationInfo, params: dict[str, str], base_url: str,
                states: LoginStates) -> LoginRedirect:
    """Make a fresh signed state and nonce and build the platform's authorization URL.

    Nothing is written at login: the state is signed, the cookie ties it to this browser, and
    the nonce is recorded when the launch comes back (LaunchValidator)."""
    target = params.get("target_link_uri", "")
    if _origin(target) != _origin(base_url):
        raise LaunchError("bad_target", f"target_link_uri {target!r}", issuer=reg.issuer,
                          client_id=reg.client_id)
    if not params.get("login_hint"):
        raise LaunchError("missing_param", "login_hint missing", issuer=reg.issuer,
                          client_id=reg.client_id)
    nonce = secrets.token_urlsafe(32)
    storage_target = (params.get("lti_storage_target") or "")[:64] or None
    state = states.issue(LoginState(
        nonce=nonce, issuer=reg.issuer, client_id=reg.client_id, storage_target=storage_target,
        login_params={k: v for k, v in params.items() if k in _KEPT_LOGIN_PARAMS}))
    query = {
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
        "prompt": "none", "client_id": reg.client_id,
        "redirect_uri": base_url + "/lti/launch", "state": state, "nonce": nonce,
        "login_hint": params["login_hint"],
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    sep = "&" if "?" in reg.auth_login_url else "?"
    return LoginRedirect(reg.auth_login_url + sep + urlencode(query), state, nonce,
                         storage_target, "{}://{}".format(*_origin(reg.auth_login_url)))


_KEPT_LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id",
                      "lti_deployment_id")


def purge_used_nonces() -> int:
    """Delete used nonces whose id_tokens have expired anyway; returns how many."""
    result = db.session.execute(delete(UsedNonce).where(UsedNonce.expires_at < utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def _clean(value: Any, limit: int = 255) -> str | None:
    """Claim strings: unsubstituted variables like "$Context.id" count as absent (lti.md §1.9)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or value.startswith("$"):
        return None
    return value[:limit]


class SyncMemo:
    """What each worker last wrote for a launch, so an identical relaunch writes nothing.

    People relaunch the same link many times a day with the same claims; re-running four
    upserts each time costs about a millisecond of CPU and leaves dead rows. An entry is
    trusted for SECONDS, so last_launch_at is exact to within that much."""

    SECONDS = 600.0
    MAX_ENTRIES = 50_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, int, int, int | None]] = {}

    def get(self, key: str) -> tuple[int, int, int | None] | None:
        hit = self._entries.get(key)
        if hit is None or time.monotonic() - hit[0] > self.SECONDS:
            return None
        return hit[1], hit[2], hit[3]

    def put(self, key: str, user_id: int, context_pk: int, link_pk: int | None) -> None:
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (time.monotonic(), user_id, context_pk, link_pk)

    def forget(self) -> None:
        self._entries.clear()


def sync_launch(launch: ValidatedLaunch, accept_language: str | None,
                memo: SyncMemo | None = None) -> Actor:
    """Upsert user, course, membership and resource link from a validated launch."""
    claims = launch.claims
    now = utcnow()
    context = claims.get(CLAIM + "context") or {}
    if not isinstance(context, dict) or not _clean(context.get("id")):
        raise LaunchError("no_context", "no context claim", issuer=launch.registration.issuer,
                          client_id=launch.registration.client_id,
                          deployment_id=launch.deployment.deployment_id)
    presentation = claims.get(CLAIM + "launch_presentation") or {}
    locale = (normalize(presentation.get("locale") if isinstance(presentation, dict) else None)
              or normalize(accept_language) or "en")
    roles = [r for r in claims.get(CLAIM + "roles", []) if isinstance(r, str)]
    role = tool_role(roles)
    name = _clean(claims.get("name")) or " ".join(
        p for p in (_clean(claims.get("given_name")), _clean(claims.get("family_name"))) if p
    ) or None
    user_values = {"registration_id": launch.registration.id, "sub": str(claims["sub"])[:255],
                   "name": name, "email": _clean(claims.get("email"), 320), "locale": locale}
    ags: dict[str, Any] = claims.get(AGS_CLAIM) or {}
    ags = ags if isinstance(ags, dict) else {}
    nrps: dict[str, Any] = claims.get(NRPS_CLAIM) or {}
    nrps = nrps if isinstance(nrps, dict) else {}
    context_values = {
        "deployment_id": launch.deployment.id, "context_id": _clean(context.get("id")),
        "title": _clean(context.get("title")) or "", "label": _clean(context.get("label")) or "",
        "lineitems_url": _clean(ags.get("lineitems"), 1024),
        "ags_scopes": " ".join(s for s in ags.get("scope", []) if isinstance(s, str)) or None,
        "nrps_url": _clean(nrps.get("context_memberships_url"), 1024),
    }
    custom = claims.get(CLAIM + "custom") or {}
    custom = custom if isinstance(custom, dict) else {}
    link = claims.get(CLAIM + "resource_link")
    link_values = None
    if isinstance(link, dict) and _clean(link.get("id")):
        link_values = {"resource_link_id": _clean(link.get("id")),
                       "title": _clean(link.get("title")) or "",
                       "module_slug": _clean(custom.get("module"), 100),
                       "lineitem_url": _clean(ags.get("lineitem"), 1024)}
    program_role = _clean(custom.get("program_role"), 16)

    key = hashlib.sha256(json.dumps([user_values, context_values, role, roles, link_values],
                                    sort_keys=True).encode()).hexdigest()
    known = memo.get(key) if memo is not None else None
    if known is not None:
        user_id, context_pk, link_pk = known
    else:
        user_id, context_pk, link_pk = _write_launch(user_values, context_values, role, roles,
                                                     link_values, now)
        if memo is not None:
            memo.put(key, user_id, context_pk, link_pk)
    return Actor(user_id=user_id, context_id=context_pk, deployment_id=launch.deployment.id,
                 registration_id=launch.registration.id, role=role, locale=locale,
                 resource_link_id=link_pk,
                 program_role=program_role if program_role in ("mentor", "mentee") else None)


def _write_launch(user_values: dict[str, Any], context_values: dict[str, Any], role: str,
                  roles: list[str], link_values: dict[str, Any] | None,
                  now: datetime) -> tuple[int, int, int | None]:
    user_id = upsert(User, {**user_values, "created_at": now, "last_launch_at": now},
                     ("registration_id", "sub"), ("name", "email", "locale", "last_launch_at"))
    context_pk = upsert(Context, {**context_values, "created_at": now},
                        ("deployment_id", "context_id"),
                        ("title", "label", "lineitems_url", "ags_scopes", "nrps_url"))
    upsert(Membership, {
        "context_id": context_pk, "user_id": user_id, "role": role,
        "lti_roles": " ".join(roles)[:4000], "source": "launch", "first_launch_at": now,
        "last_launch_at": now,
    }, ("context_id", "user_id"), ("role", "lti_roles", "source", "last_launch_at"))
    link_pk = None
    if link_values is not None:
        link_pk = upsert(ResourceLink, {**link_values, "context_id": context_pk,
                                        "updated_at": now},
                         ("context_id", "resource_link_id"),
                         ("title", "module_slug", "lineitem_url", "updated_at"))
    return user_id, context_pk, link_pk


# -- registrations --------------------------------------------------------------------------

def register_platform(*, issuer: str, client_id: str, auth_login_url: str, auth_token_url: str,
                      key_set_url: str | None, key_set: dict[str, Any] | None = None,
                      name: str = "", platform_family: str = "", token_audience: str | None = None,
                      deployment_ids: list[str] | tuple[str, ...] = (),
                      source: str = "manual") -> Registration:
    """Create or update a registration and activate the given deployments. Flushes."""
    for label, url in (("issuer", issuer), ("auth_login_url", auth_login_url),
                       ("auth_token_url", auth_token_url), ("key_set_url", key_set_url)):
        if url is None and label == "key_set_url" and key_set:
            continue
        if not url or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ValueError(f"{label} must be an http(s) URL, got {url!r}")
    if not client_id:
        raise ValueError("client_id must not be empty")
    row = db.session.scalar(select(Registration).where(Registration.issuer == issuer,
                                                       Registration.client_id == client_id))
    if row is None:
        row = Registration(issuer=issuer, client_id=client_id, created_at=utcnow())
        db.session.add(row)
    row.name = name or row.name or issuer
    row.platform_family = platform_family or row.platform_family or ""
    row.auth_login_url, row.auth_token_url = auth_login_url, auth_token_url
    row.key_set_url, row.key_set, row.token_audience = key_set_url, key_set, token_audience
    row.source = source
    db.session.flush()
    for dep in deployment_ids:
        activate_deployment(row, dep)
    return row


def activate_deployment(reg: Registration, deployment_id: str, active: bool = True) -> Deployment:
    """Mark a deployment active (creating it if needed). Flushes."""
    dep = db.session.scalar(select(Deployment).where(Deployment.registration_id == reg.id,
                                                     Deployment.deployment_id == deployment_id))
    if dep is None:
        dep = Deployment(registration_id=reg.id, deployment_id=deployment_id,
                         created_at=utcnow())
        db.session.add(dep)
    dep.active = active
    dep.activated_at = utcnow() if active else None
    db.session.flush()
    return dep


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url or "")
    return parts.scheme.lower(), (parts.netloc or "").lower()
