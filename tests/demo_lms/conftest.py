"""Fixtures for the demo LMS's own tests: apps, a tool key, and tool-side JWT signing.

Tool-side JWTs are signed here with PyJWT; nothing from lti_tool is imported.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from jwt.algorithms import RSAAlgorithm

from demo_lms import PlatformConfig, create_platform_app, get_lms
from demo_lms.config import SUPPORTED_SCOPES
from demo_lms.keys import generate_private_key_pem
from demo_lms.state import DemoLMS

TOOL = "http://127.0.0.1:5000"
TOOL_LAUNCH = f"{TOOL}/lti/launch"
DL_DATA_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/data"


@dataclass(frozen=True)
class ToolKey:
    private_key: rsa.RSAPrivateKey
    kid: str
    jwks: dict[str, Any]

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256",
                          headers={"kid": kid or self.kid})


def _make_tool_key(kid: str) -> ToolKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey(key, kid, {"keys": [jwk]})


@pytest.fixture(scope="session")
def platform_key_pem() -> str:
    return generate_private_key_pem()


@pytest.fixture(scope="session")
def tool_key() -> ToolKey:
    return _make_tool_key("tool-key-1")


@pytest.fixture(scope="session")
def other_tool_key() -> ToolKey:
    """A key the platform does not know (forged signatures)."""
    return _make_tool_key("tool-key-1")


@pytest.fixture
def make_app(platform_key_pem: str, tool_key: ToolKey) -> Callable[..., Flask]:
    def factory(**overrides: Any) -> Flask:
        settings: dict[str, Any] = {"tool_url": TOOL, "private_key_pem": platform_key_pem,
                                    "tool_jwks": tool_key.jwks}
        settings.update(overrides)
        return create_platform_app(PlatformConfig(**settings))

    return factory


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def lms(app: Flask) -> DemoLMS:
    return get_lms(app)


# ----------------------------------------------------------------------------- fake tool


class FakeTool:
    """The tool side of the protocol, scripted: what a well-behaved tool would send.

    Exposed as the ``tool`` fixture (fixtures, not imports: ``tests/conftest.py`` belongs
    to someone else and two ``conftest`` modules must not be imported by name).
    """

    url = TOOL
    launch_url = TOOL_LAUNCH

    def __init__(self, client: FlaskClient, lms: DemoLMS, key: ToolKey) -> None:
        self.client = client
        self.lms = lms
        self.key = key

    @property
    def client_id(self) -> str:
        registration = self.lms.active_registration
        assert registration is not None
        return registration.client_id

    def login_params(self, user: str = "user-maya", link: str = "rl-1", locale: str = "en",
                     deep_link: bool = False) -> dict[str, str]:
        """Start a launch on the platform; return the query it sends to the tool's login."""
        query = {"user": user, "locale": locale}
        path = "/deep_link" if deep_link else f"/launch/{link}"
        response = self.client.get(path, query_string=query)
        assert response.status_code == 302, response.data
        location = response.headers["Location"]
        assert location.startswith(f"{TOOL}/lti/login?")
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    @staticmethod
    def auth_params(login: dict[str, str], **overrides: str | None) -> dict[str, str]:
        """The tool's authentication request (an override of None removes the key)."""
        params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": login["client_id"],
            "redirect_uri": TOOL_LAUNCH,
            "login_hint": login["login_hint"],
            "lti_message_hint": login["lti_message_hint"],
            "state": f"state-{uuid.uuid4()}",
            "nonce": f"nonce-{uuid.uuid4()}",
        }
        for key, value in overrides.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        return params

    def launch_claims(self, **login_kwargs: Any) -> dict[str, Any]:
        """Login initiation + auth; return the id_token claims, verified with the JWKS."""
        login = self.login_params(**login_kwargs)
        response = self.client.get("/auth", query_string=self.auth_params(login))
        assert response.status_code == 200, response.data
        token = self.lms.launches[-1].id_token
        assert token in response.get_data(as_text=True)
        jwks = self.client.get("/jwks").json
        kid = jwt.get_unverified_header(token)["kid"]
        jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
        return jwt.decode(token, RSAAlgorithm.from_jwk(jwk), algorithms=["RS256"],
                          audience=login["client_id"], issuer=self.lms.issuer)

    def client_assertion(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.client_id, "sub": self.client_id,
                                  "aud": self.lms.token_url, "iat": now - 5, "exp": now + 60,
                                  "jti": f"jti-{uuid.uuid4()}"}
        claims.update(overrides)
        return self.key.sign({k: v for k, v in claims.items() if v is not None})

    @staticmethod
    def token_form(assertion: str, scopes: tuple[str, ...] | list[str] = SUPPORTED_SCOPES
                   ) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": " ".join(scopes),
        }

    def access_token(self, scopes: tuple[str, ...] | list[str] = SUPPORTED_SCOPES) -> str:
        response = self.client.post("/token",
                                    data=self.token_form(self.client_assertion(), scopes))
        assert response.status_code == 200, response.json
        return str(response.json["access_token"])

    def deep_link_data(self) -> str:
        """Run an instructor DL launch; return the settings ``data`` the tool must echo."""
        claims = self.launch_claims(user="user-irene", deep_link=True)
        settings = claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
        return str(settings["data"])

    def deep_link_response(self, data: Any, items: list[dict[str, Any]],
                           key: ToolKey | None = None, **overrides: Any) -> str:
        registration = self.lms.active_registration
        assert registration is not None
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": registration.client_id,
            "aud": [self.lms.issuer],
            "iat": now,
            "exp": now + 600,
            "nonce": f"nonce-{uuid.uuid4()}",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": registration.deployment_id,
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": items,
            DL_DATA_CLAIM: data,
        }
        claims.update(overrides)
        return (key or self.key).sign({k: v for k, v in claims.items() if v is not None})


@pytest.fixture
def tool(client: FlaskClient, lms: DemoLMS, tool_key: ToolKey) -> FakeTool:
    return FakeTool(client, lms, tool_key)


@pytest.fixture
def tool_for(tool_key: ToolKey) -> Callable[[Flask], FakeTool]:
    """A FakeTool for another app (built with ``make_app``)."""
    return lambda app: FakeTool(app.test_client(), get_lms(app), tool_key)
