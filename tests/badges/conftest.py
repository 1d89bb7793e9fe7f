"""Badge fixtures: an Ed25519 key made in memory (no KeyStore, no database), issuers for
did:web and did:key, and a helper that builds an award for any milestone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lti_tool.badges import did, ob3
from lti_tool.badges.definitions import SLUGS, badge_definitions
from lti_tool.keys.services import SigningKey, _b64u, _thumbprint

BASE_URL = "https://mentoring.example.org"
EMAIL = "ana.silva@example.org"
AWARDED = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)

# Counts and dates only, as the rules will record them (no pair content).
FACTS: dict[str, dict[str, Any]] = {
    "pair-formed": {"Pair formed on": date(2025, 1, 10)},
    "agreement-signed": {"Signed on": date(2025, 1, 20), "Mentee goals": 2, "Mentor goals": 1},
    "first-session": {"First session on": date(2025, 1, 22), "Minutes": 45},
    "two-way-feedback": {"Feedback mentor to mentee": 1, "Feedback mentee to mentor": 1},
    "steady-rhythm": {"Sessions confirmed by both": 4, "Longest gap (days)": 14},
    "midpoint-review": {"Mid-point review completed on": date(2025, 3, 1)},
    "learning-path": {"Modules passed": 7},
    "digital-level-up": {"Competence": "DigComp 2.2 4.2", "Self-assessment": "2 -> 3",
                         "Observed task attested on": date(2025, 3, 10)},
    "reciprocal-learner": {"Entries confirmed by the mentee": 2},
    "program-completed": {"Sessions confirmed by both": 8, "Programme ended on": date(2025, 6, 30)},
}


def signing_key(private: Ed25519PrivateKey) -> SigningKey:
    """The SigningKey the KeyStore would hand out for this key (kid = JWK thumbprint)."""
    raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64u(raw)}
    jwk = {**jwk, "kid": _thumbprint(jwk), "use": "sig", "alg": "EdDSA"}
    return SigningKey(jwk["kid"], "badges", private, jwk)


@pytest.fixture(scope="session")
def key() -> SigningKey:
    return signing_key(Ed25519PrivateKey.generate())


@pytest.fixture(scope="session")
def urls() -> ob3.BadgeUrls:
    return ob3.BadgeUrls(BASE_URL)


@pytest.fixture(scope="session")
def web_issuer(key: SigningKey) -> ob3.Issuer:
    return ob3.web_issuer(BASE_URL, key, name="Reverse Mentoring at Example",
                          image=f"{BASE_URL}/static/logo.png")


@pytest.fixture(scope="session")
def did_document(web_issuer: ob3.Issuer, key: SigningKey) -> dict[str, Any]:
    return did.did_document(web_issuer.id, [key.public_jwk])


@pytest.fixture(scope="session")
def resolve(did_document: dict[str, Any]) -> did.KeyResolver:
    return did.resolver(did_document)


@pytest.fixture(scope="session")
def key_issuer(key: SigningKey) -> ob3.Issuer:
    return ob3.key_issuer(key.private_key, name="Reverse Mentoring (development)",
                          url="http://localhost:5000")


MakeAward = Callable[..., ob3.Award]


@pytest.fixture(scope="session")
def make_award(urls: ob3.BadgeUrls) -> MakeAward:
    def make(slug: str = "steady-rhythm", *, index: int = 0, lang: str = "en",
             email: str | None = EMAIL, **changes: Any) -> ob3.Award:
        badge = badge_definitions()[slug]
        recipient = changes.pop("recipient", None) or ob3.Recipient(
            salt="5f1c0a1e9d8b7c6a", email=email,
            lti_user_id=None if email else "lti-sub-0042",
            platform_id=None if email else "https://moodle.example.org")
        evidence = (ob3.Evidence.summary(badge.text(lang).name, FACTS[slug]),)
        return ob3.Award(badge=badge, recipient=recipient, awarded_at=AWARDED,
                         status_list_url=urls.status_list(1), status_index=index,
                         evidence=evidence, lang=lang, **changes)
    return make


ALL_SLUGS = list(SLUGS)
