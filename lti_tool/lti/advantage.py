"""LTI Advantage over HTTP: access tokens, AGS line items and scores, NRPS memberships.

Written on `requests` rather than pylti1p3's ServiceConnector/AssignmentsGradesService/
NamesRolesProvisioningService, because pylti1p3 2.0.0 (docs/lti.md §1.5–1.6):
- caches access tokens per object and ignores `expires_in` (a worker lives for days, and every
  worker would ask for its own token);
- lowercases the NRPS `Link: rel="next"` URL (PR #139, unmerged), which breaks opaque
  mixed-case cursors (Canvas);
- sends no timeout, and reports failures without the HTTP status, so a delivery worker cannot
  tell a platform that is down (retry later) from a score the platform refuses (park it);
- signs client assertions with a PEM string, re-parsing the RSA key (~30 ms) per token.

Platform quirks handled here:
- Moodle hands out service URLs with a query string (`…/lineitems?type_id=1`): path segments
  go before the `?` (`…/lineitems/7/scores?type_id=1`), query parameters are added to it;
- Canvas checks the client assertion's `aud` against its own token URL exactly (a trailing
  slash or port breaks it: canvas-lms #1925, #1576): we send the registration's
  `token_audience` when set, else its token URL, byte for byte;
- NRPS `next` URLs are followed exactly as given, never re-encoded or lowercased.

Every call raises `ServiceError` with the status and whether retrying can help.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
import requests
from sqlalchemy import delete, select

from ..db import db, upsert, utcnow
from .advantage_models import AccessToken
from .models import Context, Deployment, Registration

log = logging.getLogger(__name__)

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

MEDIA_SCORE = "application/vnd.ims.lis.v1.score+json"
MEDIA_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MEDIA_LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEDIA_MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# A token is not used in its last minute: clocks differ and a request takes time.
TOKEN_MARGIN_SECONDS = 60
DEFAULT_TOKEN_SECONDS = 3600
MAX_PAGES = 1000  # a platform whose `next` links loop is not followed for ever

# Statuses where asking again later can succeed; any other 4xx is a refusal of this request.
_TRANSIENT = frozenset({408, 425, 429, 500, 502, 503, 504})
_LINK_RE = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]*)*)')


class ServiceError(Exception):
    """A service call failed. `transient`: retrying later may help (down, 5xx, timeout)."""

    def __init__(self, reason: str, *, status: int | None = None, transient: bool,
                 stage: str = "service", retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.transient = transient
        self.stage = stage  # 'token' | 'service'
        self.retry_after = retry_after


@dataclass(frozen=True)
class PlatformAccess:
    """What a service call needs to know about the platform: who we are there, where to ask."""

    registration_id: int
    client_id: str
    token_url: str
    token_audience: str
    platform_family: str = ""


def platform_access(registration_id: int) -> PlatformAccess:
    """Service credentials of a registration."""
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        raise ServiceError(f"registration {registration_id} is gone", transient=False)
    return PlatformAccess(reg.id, reg.client_id, reg.auth_token_url,
                          reg.token_audience or reg.auth_token_url, reg.platform_family or "")


def context_access(context_id: int) -> PlatformAccess:
    """Service credentials for a course (through its deployment's registration)."""
    reg_id = db.session.scalar(select(Deployment.registration_id).join(
        Context, Context.deployment_id == Deployment.id).where(Context.id == context_id))
    if reg_id is None:
        raise ServiceError(f"course {context_id} is gone", transient=False)
    return platform_access(reg_id)


def granted_scopes(context: Context) -> frozenset[str]:
    """The AGS scopes the platform offered in the course's latest launch."""
    return frozenset((context.ags_scopes or "").split())


# -- URLs ---------------------------------------------------------------------------------------

def url_with_path(url: str, suffix: str) -> str:
    """`…/lineitems/7?type_id=1` + `/scores` → `…/lineitems/7/scores?type_id=1` (Moodle)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def url_with_query(url: str, params: dict[str, Any]) -> str:
    """Add query parameters, keeping the ones the platform put there (Moodle's `type_id`)."""
    if not params:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def next_link(header: str | None) -> str | None:
    """The `rel="next"` target of a Link header, exactly as given (case and encoding kept)."""
    if not header:
        return None
    for match in _LINK_RE.finditer(header):
        target, params = match.group(1).strip(), match.group(2)
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').split():
                return target
    return None


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def _describe(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        text = str(body.get("error_description") or body.get("message") or body.get("error")
                   or "")
    else:
        text = resp.text[:200]
    return f"HTTP {resp.status_code}" + (f": {text.strip()}" if text and text.strip() else "")


# -- the client ---------------------------------------------------------------------------------

def service_session(user_agent: str) -> requests.Session:
    """The HTTP session for service calls.

    requests re-reads the proxy environment on every request (measured: 1.3 → 1.0 ms of CPU
    per score POST without it). When no proxy is configured at start-up that work is skipped;
    a CA bundle given in the environment is still honoured.
    """
    http = requests.Session()
    http.headers["User-Agent"] = user_agent
    if not urllib.request.getproxies():
        http.trust_env = False
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            http.verify = bundle
    return http


@dataclass(frozen=True)
class Member:
    """One NRPS member; name and email are None when the platform withholds them."""

    sub: str
    roles: tuple[str, ...]
    status: str
    name: str | None
    email: str | None
    given_name: str | None
    family_name: str | None


class AdvantageClient:
    """One per process: an HTTP session, the signing key store and a token memo."""

    def __init__(self, http: requests.Session, keystore: Any, *, timeout: float = 10.0):
        self.http = http
        self.keystore = keystore
        self.timeout = timeout
        self._memo: dict[tuple[int, str], tuple[str, float]] = {}  # → (token, wall expiry)
        self._lock = threading.Lock()
        self.token_requests = 0  # how many times this process asked a token endpoint

    # -- tokens ------------------------------------------------------------------------------
    def access_token(self, access: PlatformAccess, scopes: frozenset[str] | set[str]) -> str:
        """A bearer token for `scopes`: from this process's memo, the shared table, or the
        platform's token endpoint (client-credentials grant with a signed JWT assertion).
        A fetched token is flushed into the table; the caller commits."""
        key = (access.registration_id, " ".join(sorted(scopes)))
        now = time.time()
        hit = self._memo.get(key)
        if hit is not None and hit[1] - TOKEN_MARGIN_SECONDS > now:
            return hit[0]
        row = db.session.scalar(select(AccessToken).where(
            AccessToken.registration_id == key[0], AccessToken.scope_key == key[1]))
        if row is not None and row.expires_at.timestamp() - TOKEN_MARGIN_SECONDS > now:
            with self._lock:
                self._memo[key] = (row.access_token, row.expires_at.timestamp())
            return row.access_token
        token, lifetime = self._fetch_token(access, key[1])
        expires = utcnow() + timedelta(seconds=lifetime)
        upsert(AccessToken, {"registration_id": key[0], "scope_key": key[1],
                             "access_token": token, "expires_at": expires,
                             "fetched_at": utcnow()},
               ("registration_id", "scope_key"), ("access_token", "expires_at", "fetched_at"))
        with self._lock:
            self._memo[key] = (token, expires.timestamp())
        return token

    def forget_token(self, access: PlatformAccess, scopes: frozenset[str] | set[str]) -> None:
        """Drop a token the platform no longer accepts (a 401 from a service)."""
        key = (access.registration_id, " ".join(sorted(scopes)))
        with self._lock:
            self._memo.pop(key, None)
        db.session.execute(delete(AccessToken).where(AccessToken.registration_id == key[0],
                                                     AccessToken.scope_key == key[1]))

    def _assertion(self, access: PlatformAccess) -> str:
        key = self.keystore.current("lti")  # a loaded key object: no PEM parsing per token
        now = int(time.time())
        claims = {"iss": access.client_id, "sub": access.client_id,
                  "aud": access.token_audience, "iat": now, "exp": now + 300,
                  "jti": uuid.uuid4().hex}
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    def _fetch_token(self, access: PlatformAccess, scope: str) -> tuple[str, float]:
        form = {"grant_type": "client_credentials", "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": self._assertion(access), "scope": scope}
        self.token_requests += 1
        try:
            resp = self.http.post(access.token_url, data=form, timeout=self.timeout,
                                  headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise ServiceError(f"token endpoint unreachable: {type(exc).__name__}",
                               transient=True, stage="token") from exc
        if resp.status_code != 200:
            # A refused assertion (400/401) is usually a registration problem an administrator
            # fixes; scores wait (transient) instead of being parked one by one.
            raise ServiceError("token endpoint refused: " + _describe(resp),
                               status=resp.status_code, transient=True, stage="token",
                               retry_after=_retry_after(resp))
        try:
            body = resp.json()
            token = str(body["access_token"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceError("token endpoint answered without an access_token",
                               status=resp.status_code, transient=True, stage="token") from exc
        try:
            lifetime = float(body.get("expires_in") or DEFAULT_TOKEN_SECONDS)
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_SECONDS
        return token, max(lifetime, 1.0)

    # -- one authenticated request, with one retry on a stale token -------------------------
    def _request(self, access: PlatformAccess, scopes: frozenset[str], method: str, url: str,
                 **kwargs: Any) -> requests.Response:
        for attempt in (1, 2):
            token = self.access_token(access, scopes)
            headers = {**kwargs.pop("headers", {}), "Authorization": "Bearer " + token}
            try:
                resp = self.http.request(method, url, headers=headers, timeout=self.timeout,
                                         **kwargs)
            except requests.RequestException as exc:
                raise ServiceError(f"{method} {_short(url)} failed: {type(exc).__name__}",
                                   transient=True) from exc
            if resp.status_code == 401 and attempt == 1:
                self.forget_token(access, scopes)
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            return resp
        return resp

    def _check(self, resp: requests.Response, what: str) -> None:
        if resp.status_code < 300:
            return
        raise ServiceError(f"{what}: {_describe(resp)}", status=resp.status_code,
                           transient=resp.status_code in _TRANSIENT or resp.status_code == 401,
                           retry_after=_retry_after(resp))

    # -- AGS ---------------------------------------------------------------------------------
    def post_score(self, access: PlatformAccess, scopes: frozenset[str], lineitem_url: str,
                   score: dict[str, Any]) -> int:
        """POST a score to `{lineitem}/scores`; returns the status. 409 (the platform already
        has a score at least this new) is returned, not raised: it means delivered."""
        resp = self._request(access, scopes, "POST", url_with_path(lineitem_url, "/scores"),
                             json=score, headers={"Content-Type": MEDIA_SCORE})
        if resp.status_code == 409:
            return 409
        self._check(resp, "score refused")
        return resp.status_code

    def find_lineitems(self, access: PlatformAccess, scopes: frozenset[str], lineitems_url: str,
                       **filters: str | None) -> list[dict[str, Any]]:
        """Every line item of the course matching `filters` (resource_id, tag, …), all pages."""
        url: str | None = url_with_query(lineitems_url, dict(filters))
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            resp = self._request(access, scopes, "GET", url,
                                 headers={"Accept": MEDIA_LINEITEM_CONTAINER})
            self._check(resp, "line items not readable")
            body = _json(resp)
            found.extend(i for i in (body if isinstance(body, list) else [])
                         if isinstance(i, dict) and isinstance(i.get("id"), str))
            url = next_link(resp.headers.get("Link"))
        return found

    def create_lineitem(self, access: PlatformAccess, scopes: frozenset[str],
                        lineitems_url: str, item: dict[str, Any]) -> dict[str, Any]:
        resp = self._request(access, scopes, "POST", lineitems_url, json=item,
                             headers={"Content-Type": MEDIA_LINEITEM,
                                      "Accept": MEDIA_LINEITEM})
        self._check(resp, "line item not created")
        body = _json(resp)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ServiceError("the platform created a line item but sent no id",
                               status=resp.status_code, transient=True)
        return body

    # -- NRPS --------------------------------------------------------------------------------
    def members(self, access: PlatformAccess, memberships_url: str,
                limit: int | None = None) -> Iterator[list[Member]]:
        """The course roster, one page at a time, following `Link: rel="next"` exactly."""
        scopes = frozenset({SCOPE_NRPS})
        url: str | None = url_with_query(memberships_url, {"limit": limit} if limit else {})
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            if url is None or url in seen:
                return
            seen.add(url)
            resp = self._request(access, scopes, "GET", url,
                                 headers={"Accept": MEDIA_MEMBERSHIP_CONTAINER})
            self._check(resp, "roster not readable")
            body = _json(resp)
            raw = body.get("members") if isinstance(body, dict) else None
            yield [m for m in (_member(x) for x in (raw if isinstance(raw, list) else []))
                   if m is not None]
            url = next_link(resp.headers.get("Link"))


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError as exc:
        raise ServiceError(f"HTTP {resp.status_code} with a body that is not JSON",
                           status=resp.status_code, transient=True) from exc


def _text(value: Any, limit: int = 255) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:limit] if value and not value.startswith("$") else None


def _member(raw: Any) -> Member | None:
    if not isinstance(raw, dict) or not _text(raw.get("user_id")):
        return None
    roles = tuple(r for r in raw.get("roles", []) if isinstance(r, str)) \
        if isinstance(raw.get("roles"), list) else ()
    given, family = _text(raw.get("given_name")), _text(raw.get("family_name"))
    name = _text(raw.get("name")) or (" ".join(p for p in (given, family) if p) or None)
    return Member(sub=str(_text(raw.get("user_id"))), roles=roles,
                  status=str(raw.get("status") or "Active"), name=name,
                  email=_text(raw.get("email"), 320), given_name=given, family_name=family)


def _short(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def iso(ts: datetime) -> str:
    """AGS timestamps: ISO 8601 with milliseconds and an explicit UTC offset."""
    return ts.astimezone(UTC).isoformat(timespec="milliseconds")
