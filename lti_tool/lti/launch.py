"""Validate an LTI 1.3 id_token (1EdTech Security Framework §5.1.3), closing pylti1p3's gaps.

pylti1p3 2.0.0 skips the audience check, never consumes the nonce, has no clock leeway and
re-fetches and re-parses the platform key on every launch (docs: lti.md §1.2–1.3). Here:
- the signature is checked with the platform key by `kid`, from a cached key set;
- `aud` must contain our client_id, and `azp` must equal it when `aud` has several values;
- `exp`, `iat` and `nbf` are checked with 60 s of leeway;
- the nonce must be the one signed into the login `state`, and is recorded with an
  insert-once statement, so an id_token is accepted once across every process and host;
- the deployment must be known and active;
- the message claims are checked by pylti1p3's own validators.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt
from pylti1p3.exception import LtiException
from pylti1p3.message_validators import get_validators
from sqlalchemy import delete

from ..db import db, insert_ignore, utcnow
from .errors import LaunchError
from .keysets import KeySetUnavailable, PlatformKeySets
from .models import UsedNonce
from .registry import DeploymentInfo, RegistrationInfo, Registry
from .session import LoginState, LoginStates, TokenError

LEEWAY_SECONDS = 60
MAX_ID_TOKEN_BYTES = 64 * 1024

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


@dataclass
class ValidatedLaunch:
    claims: dict[str, Any]
    registration: RegistrationInfo
    deployment: DeploymentInfo
    login: LoginState

    @property
    def message_type(self) -> str:
        return str(self.claims.get(CLAIM + "message_type", ""))

    def claim(self, name: str, default: Any = None) -> Any:
        return self.claims.get(CLAIM + name, default)


def _b64json(part: str) -> dict[str, Any]:
    padded = part + "=" * (-len(part) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def peek(id_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a JWT, unverified (used to find whose key to check it with)."""
    if len(id_token) > MAX_ID_TOKEN_BYTES:
        raise LaunchError("malformed", "id_token too large", status=413)
    parts = id_token.split(".")
    if len(parts) != 3:
        raise LaunchError("malformed", "id_token must have 3 parts")
    try:
        return _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise LaunchError("malformed", f"undecodable id_token: {exc}") from exc


def client_id_of(claims: dict[str, Any]) -> str:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return aud
    if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        if len(aud) == 1:
            return aud[0]
        azp = claims.get("azp")
        if not isinstance(azp, str) or azp not in aud:
            raise LaunchError("wrong_audience", "several audiences and no matching azp",
                              issuer=str(claims.get("iss", "")))
        return azp
    raise LaunchError("malformed", "aud missing", issuer=str(claims.get("iss", "")))


class LaunchValidator:
    def __init__(self, registry: Registry, keysets: PlatformKeySets, base_url: str,
                 states: LoginStates):
        self._registry = registry
        self._keysets = keysets
        self._states = states
        self._origin = _origin(base_url)

    def validate(self, id_token: str, state: str, *, state_bound: bool,
                 storage_nonce: str | None = None) -> ValidatedLaunch:
        """Check everything, then consume the login state. `state_bound` says the caller has
        tied the state to this browser: by the state cookie, or by `storage_nonce`, the nonce
        the launch page read back from the platform's storage (LTI Platform Storage)."""
        if not id_token or not state:
            raise LaunchError("missing_state" if not state else "missing_param",
                              "id_token or state missing")
        header, unverified = peek(id_token)
        iss = str(unverified.get("iss", ""))
        client_id = client_id_of(unverified)
        deployment_id = str(unverified.get(CLAIM + "deployment_id", ""))
        ctx: dict[str, Any] = {"issuer": iss, "client_id": client_id,
                               "deployment_id": deployment_id}

        reg = self._registry.registration(iss, client_id)
        if reg is None:
            several = isinstance(unverified.get("aud"), list) and len(unverified["aud"]) > 1
            raise LaunchError("wrong_audience" if several else "unknown_platform",
                              "no registration for this (iss, client_id)", **ctx)
        if header.get("alg") != "RS256":
            raise LaunchError("bad_signature", f"alg {header.get('alg')!r} refused", **ctx)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise LaunchError("bad_signature", "no kid in header", **ctx)
        claims = self._verify(id_token, reg, kid, ctx)

        azp = claims.get("azp")
        if azp is not None and azp != client_id:
            raise LaunchError("wrong_audience", f"azp {azp!r} is not our client_id", **ctx)
        target = claims.get(CLAIM + "target_link_uri")
        if target is not None and _origin(str(target)) != self._origin:
            raise LaunchError("bad_target", f"target_link_uri {target!r}", **ctx)

        deployment = self._registry.deployment(reg, deployment_id)
        if deployment is None or not deployment.active:
            raise LaunchError("unknown_deployment", "inactive or unknown deployment", status=403,
                              **ctx)
        self._check_message(claims, ctx)
        if not state_bound:
            raise LaunchError("missing_state", "state not bound to this browser", **ctx)
        login = self._read_state(state, claims, reg, ctx)
        if storage_nonce is not None and storage_nonce != login.nonce:
            raise LaunchError("missing_state", "platform storage returned another nonce", **ctx)
        return ValidatedLaunch(claims, reg, deployment, login)

    def _verify(self, id_token: str, reg: RegistrationInfo, kid: str,
                ctx: dict[str, Any]) -> dict[str, Any]:
        try:
            if reg.static_keys is not None:
                key = reg.static_keys[kid]
            else:
                key = self._keysets.key(str(reg.key_set_url), kid)
        except KeyError as exc:
            raise LaunchError("bad_signature", f"unknown kid {kid!r}", **ctx) from exc
        except KeySetUnavailable as exc:
            raise LaunchError("key_set_unavailable", str(exc), status=502, **ctx) from exc
        try:
            return jwt.decode(
                id_token, key.key, algorithms=["RS256"], audience=reg.client_id,
                issuer=reg.issuer, leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]})
        except jwt.ExpiredSignatureError as exc:
            raise LaunchError("expired", str(exc), **ctx) from exc
        except jwt.InvalidAudienceError as exc:
            raise LaunchError("wrong_audience", str(exc), **ctx) from exc
        except jwt.ImmatureSignatureError as exc:
            raise LaunchError("expired", f"not yet valid: {exc}", **ctx) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchError("bad_message", str(exc), **ctx) from exc
        except jwt.InvalidTokenError as exc:
            raise LaunchError("bad_signature", str(exc), **ctx) from exc

    def _check_message(self, claims: dict[str, Any], ctx: dict[str, Any]) -> None:
        try:
            matched = [v for v in get_validators() if v.can_validate(claims)]
            if len(matched) != 1:
                raise LtiException("Unrecognized message type")
            matched[0].validate(claims)
        except LtiException as exc:
            raise LaunchError("bad_message", str(exc), **ctx) from exc

    def _read_state(self, state: str, claims: dict[str, Any], reg: RegistrationInfo,
                    ctx: dict[str, Any]) -> LoginState:
        try:
            login = self._states.read(state)
        except TokenError as exc:
            raise LaunchError("expired" if exc.reason == "expired" else "missing_state",
                              f"login state {exc.reason}", **ctx) from exc
        if login.issuer != reg.issuer or login.client_id != reg.client_id:
            raise LaunchError("missing_state", "state issued for another platform", **ctx)
        if claims.get("nonce") != login.nonce:
            raise LaunchError("replayed", "nonce does not match the login", **ctx)
        # Insert-once: exactly one request can ever record this nonce.
        expires = datetime.fromtimestamp(int(claims["exp"]) + LEEWAY_SECONDS, UTC)
        expires = max(expires, utcnow() + timedelta(seconds=LoginStates.MAX_AGE_SECONDS))
        if not insert_ignore(UsedNonce, {"nonce": login.nonce[:64], "expires_at": expires}):
            raise LaunchError("replayed", "nonce already used", **ctx)
        if random.random() < 0.002:  # now and then, forget nonces that can no longer be replayed
            db.session.execute(delete(UsedNonce).where(UsedNonce.expires_at < utcnow()))
        return login


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.netloc or "").lower()
