"""In-memory state and admin API of one demo LMS instance.

One ``DemoLMS`` object lives in ``app.extensions["demo_lms"]``. It holds the course,
the tool registrations, resource links, line items, scores, replay caches, fault
injection and request counters. No module globals: several apps can run side by side.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, urlencode, urlsplit

from .config import (
    HOME_LINK_ID,
    PII_CLAIMS,
    SUPPORTED_CLAIMS,
    SUPPORTED_SCOPES,
    Person,
    PlatformConfig,
)
from .keys import KeyRing, load_or_create_key_file

# --------------------------------------------------------------------------- data model


@dataclass
class ToolRegistration:
    """What the platform knows about one tool client (manual or dynamic registration)."""

    client_id: str
    deployment_id: str
    initiate_login_uri: str
    redirect_uris: tuple[str, ...]
    launch_url: str
    deep_link_url: str
    jwks_uri: str
    scopes: tuple[str, ...] = SUPPORTED_SCOPES
    claims: tuple[str, ...] = SUPPORTED_CLAIMS
    custom_parameters: dict[str, str] = field(default_factory=dict)
    client_name: str = "Tool"
    domain: str = ""
    #: Fixed tool key set; when set the JWKS URL is never fetched.
    static_jwks: dict[str, Any] | None = None
    #: Last fetched tool key set (refetched when a JWT names an unknown kid).
    jwks_cache: dict[str, Any] | None = None
    dynamic: bool = False
    registered_at: float = field(default_factory=time.time)
    #: The client registration JSON received (dynamic registration only).
    registration_request: dict[str, Any] | None = None


@dataclass
class LineItem:
    id: str
    label: str
    score_maximum: float
    resource_id: str | None = None
    tag: str | None = None
    resource_link_id: str | None = None
    start_date_time: str | None = None
    end_date_time: str | None = None
    grades_released: bool | None = None


@dataclass
class ResourceLink:
    id: str
    title: str
    text: str = ""
    #: target_link_uri of the link; None means the registration's launch URL.
    url: str | None = None
    custom: dict[str, str] = field(default_factory=dict)
    line_item_id: str | None = None
    created_by: Literal["platform", "deep_linking", "api"] = "platform"
    created_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ScoreRecord:
    """One accepted score POST, exactly as the tool sent it."""

    line_item_id: str
    user_id: str
    body: dict[str, Any]
    timestamp: datetime
    client_id: str
    received_at: float

    @property
    def score_given(self) -> float | None:
        return self.body.get("scoreGiven")

    @property
    def score_maximum(self) -> float | None:
        return self.body.get("scoreMaximum")

    @property
    def activity_progress(self) -> str | None:
        return self.body.get("activityProgress")

    @property
    def grading_progress(self) -> str | None:
        return self.body.get("gradingProgress")

    @property
    def comment(self) -> str | None:
        return self.body.get("comment")


@dataclass(frozen=True)
class RejectedScore:
    line_item_id: str
    body: Any
    status: int
    reason: str
    received_at: float


@dataclass
class LoginRequest:
    """A login initiation the platform started; keyed by the opaque ``lti_message_hint``."""

    hint: str
    kind: Literal["resource", "deep_link"]
    user_id: str
    client_id: str
    locale: str
    link_id: str | None
    created_at: float
    used: bool = False


@dataclass
class DeepLinkRequest:
    """The opaque ``data`` of one Deep Linking request, which the tool must echo."""

    data: str
    client_id: str
    deployment_id: str
    user_id: str
    created_at: float
    used: bool = False


@dataclass(frozen=True)
class LaunchRecord:
    """One id_token the platform issued (for tests to inspect)."""

    message_type: str
    user_id: str
    link_id: str | None
    client_id: str
    id_token: str
    claims: dict[str, Any]
    state: str
    redirect_uri: str
    at: float


@dataclass(frozen=True)
class DeepLinkReturn:
    client_id: str
    claims: dict[str, Any]
    created_link_ids: tuple[str, ...]
    at: float


@dataclass(frozen=True)
class TokenGrant:
    client_id: str
    scopes: tuple[str, ...]
    jti: str
    at: float


@dataclass(frozen=True)
class AccessLogEntry:
    method: str
    path: str
    endpoint: str
    status: int
    duration_ms: float
    at: float


# --------------------------------------------------------------------------- faults

FaultTarget = Literal[
    "token", "ags", "scores", "nrps", "jwks", "register", "openid_configuration", "auth",
    "deep_link_return",
]
FAULT_TARGETS: frozenset[str] = frozenset(get_args(FaultTarget))


@dataclass
class Fault:
    #: HTTP status to answer with; None only delays and then serves normally.
    status: int | None
    delay_ms: int = 0
    #: Calls left before the fault clears itself; None: until ``reset()``.
    remaining: int | None = None
    message: str = "fault injected by demo_lms"


class Faults:
    """Fault injection for tests and benchmarks (not reachable from the HTML page).

    Targets: ``token``, ``ags`` (every AGS endpoint), ``scores`` (score POSTs only),
    ``nrps``, ``jwks``, ``register``, ``openid_configuration``, ``auth``,
    ``deep_link_return``. A score POST checks ``scores`` then ``ags``.

        lms.faults.error("token", status=500, times=2)   # next 2 token calls answer 500
        lms.faults.down("ags")                           # 503 + Retry-After until reset
        lms.faults.slow("jwks", delay_ms=50)             # every /jwks answer 50 ms late
        lms.faults.reset()                               # clear everything
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        #: How many requests each target's fault affected.
        self.hits: Counter[str] = Counter()

    def inject(
        self,
        target: str,
        *,
        status: int | None = None,
        delay_ms: int = 0,
        times: int | None = None,
        message: str = "fault injected by demo_lms",
    ) -> None:
        if target not in FAULT_TARGETS:
            raise ValueError(f"unknown fault target {target!r}; use one of {sorted(FAULT_TARGETS)}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for 'until reset')")
        with self._lock:
            self._faults[target] = Fault(status, delay_ms, times, message)

    def error(self, target: str, status: int = 500, times: int | None = None) -> None:
        self.inject(target, status=status, times=times)

    def down(self, target: str, times: int | None = None) -> None:
        self.inject(target, status=503, times=times, message="service unavailable (injected)")

    def slow(self, target: str, delay_ms: int, times: int | None = None) -> None:
        self.inject(target, status=None, delay_ms=delay_ms, times=times)

    def reset(self, target: str | None = None) -> None:
        with self._lock:
            if target is None:
                self._faults.clear()
            else:
                self._faults.pop(target, None)

    def active(self) -> dict[str, Fault]:
        with self._lock:
            return dict(self._faults)

    def take(self, target: str) -> Fault | None:
        """Consume one use of ``target``'s fault (internal, called by the endpoints)."""
        with self._lock:
            fault = self._faults.get(target)
            if fault is None:
                return None
            self.hits[target] += 1
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[target]
            return Fault(fault.status, fault.delay_ms, fault.remaining, fault.message)


# --------------------------------------------------------------------------- the platform


def _drop_expired(store: dict[Any, float], now: float) -> None:
    for key in [k for k, expiry in store.items() if expiry < now]:
        del store[key]


class DemoLMS:
    """State and admin API of one demo LMS (``app.extensions["demo_lms"]``)."""

    def __init__(self, config: PlatformConfig) -> None:
        self.config = config
        self.issuer = (config.issuer or "http://localhost").rstrip("/")
        self.tool_url = config.tool_url.rstrip("/")
        self.lock = threading.RLock()

        self.keys = KeyRing()
        pem = config.private_key_pem
        if pem is None and config.key_file:
            pem = load_or_create_key_file(config.key_file)
        self.keys.add(pem, kid=config.kid, activate=True)

        self.people: dict[str, Person] = {p.user_id: p for p in config.people}
        if len(self.people) != len(config.people):
            raise ValueError("person user_ids must be unique")

        self.registrations: dict[str, ToolRegistration] = {}
        self.active_client_id: str | None = None
        self.links: dict[str, ResourceLink] = {}
        self.line_items: dict[str, LineItem] = {}
        #: Every accepted score POST, in arrival order.
        self.scores: list[ScoreRecord] = []
        #: Latest accepted score per (line_item_id, user_id).
        self.results: dict[tuple[str, str], ScoreRecord] = {}
        #: Score POSTs refused after authentication (400/404/409/415).
        self.rejected_scores: list[RejectedScore] = []
        # Bounded (benchmarks launch a lot); counters stay exact.
        self.launches: deque[LaunchRecord] = deque(maxlen=config.max_log_entries)
        self.deep_link_returns: list[DeepLinkReturn] = []
        self.token_grants: deque[TokenGrant] = deque(maxlen=config.max_log_entries)

        self.faults = Faults()
        #: Requests per Flask endpoint name, e.g. ``counters["jwks"]``, ``counters["token"]``.
        self.counters: Counter[str] = Counter()
        self.access_log: deque[AccessLogEntry] = deque(maxlen=config.max_log_entries)
        #: How many times the platform fetched a tool JWKS.
        self.tool_jwks_fetches = 0

        self._login_requests: dict[str, LoginRequest] = {}
        self._deep_link_requests: dict[str, DeepLinkRequest] = {}
        self._registration_tokens: dict[str, float] = {}  # token -> expiry
        self._used_jtis: dict[tuple[str, str], float] = {}  # (client_id, jti) -> expiry
        self._seen_auth_nonces: dict[str, float] = {}
        self._used_dl_nonces: dict[tuple[str, str], float] = {}
        self._next_link = 1
        self._next_line_item = 1
        self._next_deployment = 1

        self.create_resource_link(config.home_link_title, link_id=HOME_LINK_ID,
                                  text="The reverse mentoring tool for this course.")
        if config.client_id:
            self.register_tool(config.client_id, config.deployment_id, jwks=config.tool_jwks,
                               scopes=config.tool_scopes, claims=config.tool_claims)

    # ------------------------------------------------------------------ URLs

    def url(self, path: str) -> str:
        return f"{self.issuer}{path}"

    @property
    def auth_url(self) -> str:
        return self.url("/auth")

    @property
    def token_url(self) -> str:
        return self.url("/token")

    @property
    def jwks_url(self) -> str:
        return self.url("/jwks")

    @property
    def openid_configuration_url(self) -> str:
        return self.url("/.well-known/openid-configuration")

    @property
    def registration_endpoint(self) -> str:
        return self.url("/register")

    @property
    def deep_link_return_url(self) -> str:
        return self.url("/deep_link_return")

    def service_query_params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.config.service_url_query, keep_blank_values=True)

    def service_url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """URL of a service endpoint, with the Moodle-like ``?type_id=1`` query first."""
        query = self.service_query_params() + [(k, str(v)) for k, v in (params or {}).items()]
        return self.url(path) + (f"?{urlencode(query)}" if query else "")

    def lineitems_url(self, params: dict[str, Any] | None = None) -> str:
        return self.service_url(f"/ags/{self.config.context_id}/lineitems", params)

    def lineitem_url(self, line_item_id: str) -> str:
        return self.service_url(f"/ags/{self.config.context_id}/lineitems/{line_item_id}")

    def memberships_url(self, params: dict[str, Any] | None = None) -> str:
        return self.service_url(f"/nrps/{self.config.context_id}/memberships", params)

    def encode_page(self, page: int) -> str:
        """Paging cursor for Link headers (opaque mixed case unless disabled)."""
        if not self.config.opaque_page_cursors:
            return str(page)
        return base64.urlsafe_b64encode(f"page:{page}".encode()).rstrip(b"=").decode()

    def decode_page(self, value: str | None) -> int:
        """Inverse of ``encode_page``; raises ValueError on garbage."""
        if value is None or value == "":
            return 1
        if self.config.opaque_page_cursors:
            padded = value + "=" * (-len(value) % 4)
            try:
                text = base64.urlsafe_b64decode(padded.encode()).decode()
            except (ValueError, UnicodeDecodeError) as exc:
                raise ValueError(f"invalid page cursor {value!r}") from exc
            if not text.startswith("page:"):
                raise ValueError(f"invalid page cursor {value!r}")
            value = text[5:]
        page = int(value)
        if page < 1:
            raise ValueError("page must be >= 1")
        return page

    # ------------------------------------------------------------------ tool registrations

    def tool_endpoint(self, path: str) -> str:
        return f"{self.tool_url}{path}"

    def register_tool(
        self,
        client_id: str | None = None,
        deployment_id: str | None = None,
        *,
        tool_url: str | None = None,
        login_url: str | None = None,
        launch_url: str | None = None,
        deep_link_url: str | None = None,
        jwks_url: str | None = None,
        redirect_uris: list[str] | tuple[str, ...] | None = None,
        jwks: dict[str, Any] | None = None,
        scopes: tuple[str, ...] | list[str] = SUPPORTED_SCOPES,
        claims: tuple[str, ...] | list[str] = SUPPORTED_CLAIMS,
        custom_parameters: dict[str, str] | None = None,
        client_name: str = "Reverse mentoring tool",
        activate: bool = True,
        dynamic: bool = False,
        registration_request: dict[str, Any] | None = None,
    ) -> ToolRegistration:
        """Register a tool programmatically (what an admin's manual setup would do).

        URLs default to the fixed tool contract under ``tool_url`` (default: the
        config's). ``client_id``/``deployment_id`` are generated when omitted. The new
        registration becomes the one launches use unless ``activate=False``.
        """
        base = (tool_url or self.tool_url).rstrip("/")
        cfg = self.config
        launch = launch_url or f"{base}{cfg.tool_launch_path}"
        with self.lock:
            if client_id is None:
                client_id = f"client-{secrets.token_hex(6)}"
            if deployment_id is None:
                deployment_id = str(self._next_deployment)
                self._next_deployment += 1
            registration = ToolRegistration(
                client_id=client_id,
                deployment_id=deployment_id,
                initiate_login_uri=login_url or f"{base}{cfg.tool_login_path}",
                redirect_uris=tuple(redirect_uris or (launch,)),
                launch_url=launch,
                deep_link_url=deep_link_url or launch,
                jwks_uri=jwks_url or f"{base}{cfg.tool_jwks_path}",
                scopes=tuple(scopes),
                claims=tuple(claims),
                custom_parameters=dict(custom_parameters or {}),
                client_name=client_name,
                domain=urlsplit(launch).netloc,
                static_jwks=jwks,
                dynamic=dynamic,
                registration_request=registration_request,
            )
            self.registrations[client_id] = registration
            if activate or self.active_client_id is None:
                self.active_client_id = client_id
            return registration

    @property
    def active_registration(self) -> ToolRegistration | None:
        with self.lock:
            if self.active_client_id is None:
                return None
            return self.registrations.get(self.active_client_id)

    def registration(self, client_id: str | None) -> ToolRegistration | None:
        with self.lock:
            return self.registrations.get(client_id) if client_id else None

    def new_registration_token(self) -> str:
        """A single-use bearer token for one Dynamic Registration POST."""
        token = secrets.token_urlsafe(24)
        with self.lock:
            self._registration_tokens[token] = time.time() + self.config.registration_token_ttl
        return token

    def registration_token_valid(self, token: str) -> bool:
        with self.lock:
            expiry = self._registration_tokens.get(token)
        return expiry is not None and expiry > time.time()

    def consume_registration_token(self, token: str) -> bool:
        """Use the token up (after a successful registration); False if it was not valid."""
        with self.lock:
            expiry = self._registration_tokens.pop(token, None)
        return expiry is not None and expiry > time.time()

    def dynamic_registration_url(self, token: str | None = None) -> str:
        """The tool's registration initiation URL with ``openid_configuration`` and a token."""
        query = urlencode({
            "openid_configuration": self.openid_configuration_url,
            "registration_token": token or self.new_registration_token(),
        })
        return f"{self.tool_endpoint(self.config.tool_register_path)}?{query}"

    def allows_pii(self, person: Person, registration: ToolRegistration, claim: str) -> bool:
        """Whether ``claim`` (name, email, ...) may be sent about ``person`` to this tool."""
        if claim in PII_CLAIMS and person.withhold_pii:
            return False
        return claim in registration.claims

    # ------------------------------------------------------------------ course content

    def person(self, user_id: str | None) -> Person | None:
        return self.people.get(user_id) if user_id else None

    def create_line_item(
        self,
        label: str,
        score_maximum: float,
        *,
        resource_id: str | None = None,
        tag: str | None = None,
        resource_link_id: str | None = None,
        start_date_time: str | None = None,
        end_date_time: str | None = None,
        grades_released: bool | None = None,
    ) -> LineItem:
        with self.lock:
            line_item = LineItem(
                str(self._next_line_item), label, score_maximum, resource_id, tag,
                resource_link_id, start_date_time, end_date_time, grades_released,
            )
            self._next_line_item += 1
            self.line_items[line_item.id] = line_item
            if resource_link_id and resource_link_id in self.links:
                link = self.links[resource_link_id]
                if link.line_item_id is None:
                    link.line_item_id = line_item.id
            return line_item

    def create_resource_link(
        self,
        title: str,
        *,
        url: str | None = None,
        text: str = "",
        custom: dict[str, str] | None = None,
        line_item: dict[str, Any] | None = None,
        link_id: str | None = None,
        created_by: Literal["platform", "deep_linking", "api"] = "platform",
    ) -> ResourceLink:
        """Create a resource link; ``line_item`` takes DL ``lineItem`` keys
        (``scoreMaximum``, ``label``, ``resourceId``, ``tag``) and creates a bound column."""
        with self.lock:
            if link_id is None:
                while f"rl-{self._next_link}" in self.links:
                    self._next_link += 1
                link_id = f"rl-{self._next_link}"
            if link_id in self.links:
                raise ValueError(f"resource link {link_id!r} exists")
            link = ResourceLink(link_id, title, text, url, dict(custom or {}),
                                created_by=created_by)
            self.links[link_id] = link
            if line_item is not None:
                item = self.create_line_item(
                    line_item.get("label") or title,
                    line_item["scoreMaximum"],
                    resource_id=line_item.get("resourceId"),
                    tag=line_item.get("tag"),
                    resource_link_id=link_id,
                    grades_released=line_item.get("gradesReleased"),
                )
                link.line_item_id = item.id
            return link

    def delete_line_item(self, line_item_id: str) -> None:
        with self.lock:
            del self.line_items[line_item_id]
            for link in self.links.values():
                if link.line_item_id == line_item_id:
                    link.line_item_id = None
            for key in [k for k in self.results if k[0] == line_item_id]:
                del self.results[key]

    def scores_for(self, line_item_id: str | None = None,
                   user_id: str | None = None) -> list[ScoreRecord]:
        with self.lock:
            return [s for s in self.scores
                    if (line_item_id is None or s.line_item_id == line_item_id)
                    and (user_id is None or s.user_id == user_id)]

    def gradebook(self) -> list[dict[str, Any]]:
        """Rows per person: ``{"person": Person, "cells": {line_item_id: ScoreRecord|None}}``."""
        with self.lock:
            return [
                {"person": person,
                 "cells": {li: self.results.get((li, person.user_id)) for li in self.line_items}}
                for person in self.people.values()
            ]

    # ------------------------------------------------------------------ one-time values

    def _purge(self, now: float) -> None:
        _drop_expired(self._used_jtis, now)
        _drop_expired(self._seen_auth_nonces, now)
        _drop_expired(self._used_dl_nonces, now)
        ttl = self.config.login_hint_ttl
        for hint in [h for h, r in self._login_requests.items() if r.created_at + ttl < now]:
            del self._login_requests[hint]

    def new_login_request(self, kind: Literal["resource", "deep_link"], user_id: str,
                          client_id: str, locale: str, link_id: str | None) -> LoginRequest:
        request = LoginRequest(secrets.token_urlsafe(18), kind, user_id, client_id, locale,
                               link_id, time.time())
        with self.lock:
            self._purge(request.created_at)
            self._login_requests[request.hint] = request
        return request

    def peek_login_request(self, hint: str) -> LoginRequest | None:
        with self.lock:
            request = self._login_requests.get(hint)
            if request and request.created_at + self.config.login_hint_ttl < time.time():
                return None
            return request

    def consume_login_request(self, hint: str) -> bool:
        """Mark the hint used; False if another request consumed it first."""
        with self.lock:
            request = self._login_requests.pop(hint, None)
            if request is None:
                return False
            request.used = True
            return True

    def remember_auth_nonce(self, nonce: str) -> bool:
        """False when this nonce was already seen at the authorization endpoint."""
        now = time.time()
        with self.lock:
            if nonce in self._seen_auth_nonces:
                return False
            self._seen_auth_nonces[nonce] = now + self.config.login_hint_ttl + 3600
            return True

    def use_jti(self, client_id: str, jti: str, exp: float) -> bool:
        """Record a client-assertion jti; False if it was seen before (replay)."""
        now = time.time()
        with self.lock:
            self._purge(now)
            if (client_id, jti) in self._used_jtis:
                return False
            # Keep it at least until the assertion expires (and a minute of slack).
            self._used_jtis[(client_id, jti)] = max(exp, now) + 60
            return True

    def use_dl_nonce(self, client_id: str, nonce: str, exp: float) -> bool:
        now = time.time()
        with self.lock:
            self._purge(now)
            if (client_id, nonce) in self._used_dl_nonces:
                return False
            self._used_dl_nonces[(client_id, nonce)] = max(exp, now) + 60
            return True

    def new_deep_link_request(self, registration: ToolRegistration,
                              user_id: str) -> DeepLinkRequest:
        request = DeepLinkRequest(secrets.token_urlsafe(18), registration.client_id,
                                  registration.deployment_id, user_id, time.time())
        with self.lock:
            self._deep_link_requests[request.data] = request
        return request

    def deep_link_request(self, data: Any) -> DeepLinkRequest | None:
        if not isinstance(data, str):
            return None
        with self.lock:
            request = self._deep_link_requests.get(data)
        if request and request.created_at + self.config.deep_link_data_ttl < time.time():
            return None
        return request

    # ------------------------------------------------------------------ counters

    def record_request(self, entry: AccessLogEntry) -> None:
        with self.lock:
            self.counters[entry.endpoint] += 1
            self.access_log.append(entry)

    def request_count(self, endpoint: str) -> int:
        """Requests served by a Flask endpoint (``jwks``, ``token``, ``ags_scores``...)."""
        with self.lock:
            return self.counters[endpoint]

    def reset_counters(self) -> None:
        with self.lock:
            self.counters.clear()
            self.access_log.clear()
            self.faults.hits.clear()
            self.tool_jwks_fetches = 0

    # ------------------------------------------------------------------ summaries

    def platform_settings(self, client_id: str | None = None) -> dict[str, Any]:
        """What a tool needs to be configured against this platform."""
        registration = self.registration(client_id) if client_id else self.active_registration
        return {
            "issuer": self.issuer,
            "client_id": registration.client_id if registration else None,
            "deployment_id": registration.deployment_id if registration else None,
            "authorization_endpoint": self.auth_url,
            "token_endpoint": self.token_url,
            "jwks_uri": self.jwks_url,
            "openid_configuration": self.openid_configuration_url,
            "registration_endpoint": self.registration_endpoint,
        }

    def snapshot(self) -> dict[str, Any]:
        """JSON-able view of the course state (served read-only at ``/api/state``)."""
        with self.lock:
            return {
                "platform": self.platform_settings(),
                "active_kid": self.keys.active_kid,
                "kids": self.keys.kids(),
                "links": [
                    {"id": link.id, "title": link.title, "url": link.url, "custom": link.custom,
                     "line_item_id": link.line_item_id, "created_by": link.created_by}
                    for link in self.links.values()
                ],
                "line_items": [
                    {"id": li.id, "label": li.label, "scoreMaximum": li.score_maximum,
                     "resourceId": li.resource_id, "tag": li.tag,
                     "resourceLinkId": li.resource_link_id}
                    for li in self.line_items.values()
                ],
                "scores": [
                    {"line_item_id": s.line_item_id, "user_id": s.user_id, "body": s.body}
                    for s in self.scores
                ],
                "rejected_scores": len(self.rejected_scores),
                "launches": len(self.launches),
                "token_grants": len(self.token_grants),
                "counters": dict(self.counters),
            }
