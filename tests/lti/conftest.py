"""An LTI world on 127.0.0.1: the tool served by werkzeug and the independent demo LMS
(PyPI lti1p3platform underneath), registered with each other."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from demo_lms.config import PlatformConfig
from demo_lms.server import PlatformServer, start_platform_server
from lti_tool.db import db
from lti_tool.lti.services import register_platform
from tests.conftest import LiveServer, serve

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


@dataclass
class World:
    tool: LiveServer
    app: Any
    lms: PlatformServer

    @property
    def issuer(self) -> str:
        return self.lms.url

    def login(self, session: requests.Session, **overrides: str) -> tuple[str, str, requests.Response]:
        """OIDC login initiation at the tool; returns (state, nonce, the tool's answer)."""
        params = {"iss": self.issuer, "login_hint": "user-maya", "client_id": "demo-client",
                  "target_link_uri": self.tool.url + "/lti/launch",
                  "lti_deployment_id": "demo-deployment", "lti_message_hint": "hint"}
        params.update(overrides)
        resp = session.get(self.tool.url + "/lti/login", params=params, allow_redirects=False)
        if resp.status_code != 302:
            return "", "", resp
        query = parse_qs(urlsplit(resp.headers["Location"]).query)
        return query["state"][0], query["nonce"][0], resp

    def id_token(self, nonce: str, *, key: Any = None, kid: str | None = None,
                 **claims: Any) -> str:
        """An id_token signed with the platform's own key, claims overridable (None drops)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer, "aud": "demo-client", "sub": "user-maya", "exp": now + 300,
            "iat": now, "nonce": nonce, "name": "Maya Okafor", "email": "maya@example.org",
            CLAIM + "message_type": "LtiResourceLinkRequest", CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": "demo-deployment",
            CLAIM + "target_link_uri": self.tool.url + "/lti/launch",
            CLAIM + "resource_link": {"id": "rl-home", "title": "Home"},
            CLAIM + "roles": [LEARNER],
            CLAIM + "context": {"id": "course-1", "title": "Pilot", "label": "P"},
            CLAIM + "launch_presentation": {"locale": "en"},
        }
        for name, value in claims.items():
            name = name.replace("__", "/")
            full = CLAIM + name[6:] if name.startswith("claim_") else name
            if value is None:
                body.pop(full, None)
            else:
                body[full] = value
        active = self.lms.lms.keys.active
        return jwt.encode(body, key or active.private_key, algorithm="RS256",
                          headers={"kid": kid or active.kid})

    def post_launch(self, session: requests.Session, id_token: str, state: str,
                    **extra: Any) -> requests.Response:
        return session.post(self.tool.url + "/lti/launch",
                            data={"id_token": id_token, "state": state, **extra},
                            allow_redirects=False)


@pytest.fixture
def world(make_app: Any) -> Any:
    tool, app = serve(lambda url: make_app(url))
    lms = start_platform_server(PlatformConfig(tool_url=tool.url))
    with app.app_context():
        register_platform(issuer=lms.url, client_id="demo-client",
                          auth_login_url=lms.lms.auth_url, auth_token_url=lms.lms.token_url,
                          key_set_url=lms.lms.jwks_url, name="Demo LMS",
                          deployment_ids=["demo-deployment"])
        db.session.commit()
    yield World(tool, app, lms)
    lms.shutdown()
    tool.stop()


def fresh_nonce() -> str:
    return secrets.token_urlsafe(16) + uuid.uuid4().hex
