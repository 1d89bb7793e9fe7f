"""LTI Dynamic Registration (1EdTech LTI-DR 1.0), tool side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from .models import Registration
from .services import activate_deployment, register_platform

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)


class RegistrationFailed(Exception):
    """Dynamic registration could not finish; the message says why in plain words."""


@dataclass(frozen=True)
class ToolDescription:
    base_url: str
    name: str

    def client_metadata(self, platform: dict[str, Any]) -> dict[str, Any]:
        host = urlsplit(self.base_url).netloc
        messages: list[dict[str, Any]] = [
            {"type": "LtiResourceLinkRequest", "target_link_uri": self.base_url + "/lti/launch",
             "label": self.name},
            {"type": "LtiDeepLinkingRequest", "target_link_uri": self.base_url + "/lti/launch",
             "label": self.name + " – add modules",
             # Canvas reads placements from the message (canvas-lms doc/api/registration.md).
             "placements": ["assignment_selection", "link_selection"],
             "supported_types": ["ltiResourceLink"]},
        ]
        return {
            "application_type": "web",
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": self.base_url + "/lti/login",
            "redirect_uris": [self.base_url + "/lti/launch"],
            "client_name": self.name,
            "client_name#it": self.name,
            "client_name#pt": self.name,
            "jwks_uri": self.base_url + "/lti/jwks",
            "logo_uri": self.base_url + "/static/logo.svg",
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": " ".join(s for s in SCOPES if _offered(platform, s)),
            TOOL_CONFIG: {
                "domain": host,
                "description": "Reverse mentoring: micro-modules, mentoring pairs, Open Badges.",
                "target_link_uri": self.base_url + "/lti/launch",
                "claims": ["iss", "sub", "name", "given_name", "family_name", "email", "locale"],
                "messages": messages,
                "custom_parameters": {},
            },
        }


def _offered(platform: dict[str, Any], scope: str) -> bool:
    supported = platform.get("scopes_supported")
    return not isinstance(supported, list) or scope in supported


def fetch_platform_configuration(url: str, http: requests.Session) -> dict[str, Any]:
    try:
        resp = http.get(url, timeout=10, headers={"Accept": "application/json"})
        resp.raise_for_status()
        config = resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise RegistrationFailed(f"Could not read the platform's configuration at {url}.") from exc
    if not isinstance(config, dict):
        raise RegistrationFailed("The platform's configuration is not a JSON object.")
    missing = [k for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
                           "registration_endpoint") if not isinstance(config.get(k), str)]
    if missing:
        raise RegistrationFailed("The platform's configuration lacks: " + ", ".join(missing) + ".")
    # The spec requires the configuration to be served from the issuer's own host.
    if urlsplit(config["issuer"]).netloc.lower() != urlsplit(url).netloc.lower():
        raise RegistrationFailed("The platform's configuration is not served by its issuer.")
    return config


def register_with_platform(openid_configuration: str, registration_token: str | None,
                           tool: ToolDescription, http: requests.Session) -> Registration:
    """Fetch the platform's configuration, POST our client registration, store the result."""
    platform = fetch_platform_configuration(openid_configuration, http)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = "Bearer " + registration_token
    try:
        resp = http.post(platform["registration_endpoint"], json=tool.client_metadata(platform),
                         headers=headers, timeout=15)
    except requests.RequestException as exc:
        raise RegistrationFailed("The platform did not answer the registration request.") from exc
    if resp.status_code >= 400:
        raise RegistrationFailed(
            f"The platform refused the registration (HTTP {resp.status_code}): {resp.text[:300]}")
    try:
        answer = resp.json()
    except ValueError as exc:
        raise RegistrationFailed("The platform's registration answer is not JSON.") from exc
    client_id = answer.get("client_id") if isinstance(answer, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationFailed("The platform's registration answer has no client_id.")
    tool_conf: dict[str, Any] = answer.get(TOOL_CONFIG) or {}
    tool_conf = tool_conf if isinstance(tool_conf, dict) else {}
    product: dict[str, Any] = platform.get(PLATFORM_CONFIG) or {}
    product = product if isinstance(product, dict) else {}
    reg = register_platform(
        issuer=platform["issuer"], client_id=client_id,
        auth_login_url=platform["authorization_endpoint"],
        auth_token_url=platform["token_endpoint"], key_set_url=platform["jwks_uri"],
        name=str(product.get("product_family_code") or platform["issuer"]),
        platform_family=str(product.get("product_family_code") or ""),
        token_audience=platform.get("authorization_server") or None, source="dynamic")
    deployment_id = tool_conf.get("deployment_id")
    if isinstance(deployment_id, str | int) and str(deployment_id):
        # The platform's administrator started this registration: the deployment is wanted.
        activate_deployment(reg, str(deployment_id))
    return reg
