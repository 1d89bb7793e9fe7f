"""The per-launch token that replaces a cookie session inside LMS iframes.

After a validated launch the tool issues a short-lived signed token (like ltijs's `ltik`). It is
carried in links and form actions (`?ltik=`), in form fields, or in an `Authorization: Bearer`
header, so the tool keeps working where third-party cookies are blocked. It is renewed on use
(sliding expiry), and every state-changing request also needs a CSRF token bound to it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict, dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

TOKEN_PARAM = "ltik"  # noqa: S105 - a parameter name, not a secret
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Actor:
    """Who is acting, in which course, with which role: only from a validated launch."""

    user_id: int
    context_id: int
    deployment_id: int
    registration_id: int
    role: str  # 'learner' | 'instructor'
    locale: str
    resource_link_id: int | None = None
    program_role: str | None = None  # a hint from the link's custom parameters
    sid: str = ""

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"


_FIELDS = ("user_id", "context_id", "deployment_id", "registration_id", "role", "locale",
           "resource_link_id", "program_role", "sid")


class TokenError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # 'expired' | 'invalid'


class LaunchTokens:
    def __init__(self, secret: str, lifetime_seconds: int):
        self._s = URLSafeTimedSerializer(secret, salt="lti_tool.launch")
        self._secret = secret.encode()
        self.lifetime = lifetime_seconds

    def issue(self, actor: Actor) -> str:
        if not actor.sid:
            actor = Actor(**{**asdict(actor), "sid": secrets.token_urlsafe(12)})
        return self._s.dumps([getattr(actor, f) for f in _FIELDS])

    def read(self, token: str) -> tuple[Actor, float]:
        """Return the actor and the token's age in seconds, or raise TokenError."""
        try:
            values, issued = self._s.loads(token, max_age=self.lifetime, return_timestamp=True)
        except SignatureExpired as exc:
            raise TokenError("expired") from exc
        except BadSignature as exc:
            raise TokenError("invalid") from exc
        if not isinstance(values, list) or len(values) != len(_FIELDS):
            raise TokenError("invalid")
        return Actor(**dict(zip(_FIELDS, values, strict=True))), time.time() - issued.timestamp()

    def csrf_token(self, sid: str) -> str:
        return hmac.new(self._secret, b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()[:32]

    def check_csrf(self, sid: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf_token(sid), given or "")


@dataclass(frozen=True)
class LoginState:
    """What the OIDC login hands to its launch: signed, so no database row is needed at login.

    The state cookie (or the platform's storage) binds it to the browser; the nonce row written
    at launch makes it single-use."""

    nonce: str
    issuer: str
    client_id: str
    storage_target: str | None
    login_params: dict[str, str]


class LoginStates:
    MAX_AGE_SECONDS = 600

    def __init__(self, secret: str):
        self._s = URLSafeTimedSerializer(secret, salt="lti_tool.login-state")

    def issue(self, state: LoginState) -> str:
        return self._s.dumps([state.nonce, state.issuer, state.client_id, state.storage_target,
                              state.login_params])

    def read(self, token: str) -> LoginState:
        """The login state, or TokenError('expired' | 'invalid')."""
        try:
            values = self._s.loads(token, max_age=self.MAX_AGE_SECONDS)
        except SignatureExpired as exc:
            raise TokenError("expired") from exc
        except BadSignature as exc:
            raise TokenError("invalid") from exc
        if not isinstance(values, list) or len(values) != 5:
            raise TokenError("invalid")
        return LoginState(*values)
