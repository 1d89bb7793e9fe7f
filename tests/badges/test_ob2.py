"""OB 2.0 hosted JSON: Issuer, BadgeClass and Assertion shapes."""

from __future__ import annotations

import hashlib

import pytest

from lti_tool.badges import ob2, ob3
from lti_tool.badges.jsonld import find_unsafe

from .conftest import BASE_URL, EMAIL

CREDENTIAL_ID = "urn:uuid:8a0c9a4e-5d5b-4a53-9a7b-3c3c0f1b2d4e"


def test_issuer_profile(web_issuer, urls):
    assert ob2.issuer_profile(web_issuer, urls) == {
        "@context": "https://w3id.org/openbadges/v2", "type": "Issuer",
        "id": f"{BASE_URL}/ob2/issuer", "name": "Reverse Mentoring at Example", "url": BASE_URL,
        "image": f"{BASE_URL}/static/logo.png"}


def test_badge_class(make_award, urls):
    badge = make_award("midpoint-review").badge
    doc = ob2.badge_class(badge, "it", urls)
    assert doc["type"] == "BadgeClass" and doc["id"] == f"{BASE_URL}/ob2/badges/midpoint-review"
    assert doc["name"] == "Revisione di metà percorso"
    assert doc["criteria"] == {"id": f"{BASE_URL}/badges/midpoint-review#criteria",
                               "narrative": badge.text("it").criteria}
    assert doc["issuer"] == f"{BASE_URL}/ob2/issuer"
    assert doc["image"] == f"{BASE_URL}/badges/midpoint-review/image.png"
    assert doc["alignment"][0]["targetCode"] == "5.4"


def test_assertion_uses_the_same_salted_hash_as_the_ob3_credential(make_award, web_issuer, urls):
    award = make_award("steady-rhythm", valid_until=None)
    doc = ob2.assertion(credential_id=CREDENTIAL_ID, badge=award.badge,
                        recipient=award.recipient, issued_on=award.awarded_at, urls=urls,
                        evidence=award.evidence)
    salt = award.recipient.salt
    assert doc == {
        "@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
        "id": f"{BASE_URL}/ob2/assertions/8a0c9a4e-5d5b-4a53-9a7b-3c3c0f1b2d4e",
        "recipient": {"type": "email", "hashed": True, "salt": salt,
                      "identity": "sha256$" + hashlib.sha256((EMAIL + salt).encode()).hexdigest()},
        "badge": f"{BASE_URL}/ob2/badges/steady-rhythm",
        "verification": {"type": "HostedBadge"},
        "issuedOn": "2025-03-14T09:30:00Z",
        "image": f"{BASE_URL}/badges/steady-rhythm/image.png",
        "evidence": [{"type": "Evidence", "name": "Steady rhythm",
                      "narrative": award.evidence[0].narrative}]}
    credential = ob3.issue(award, web_issuer, urls)
    assert doc["recipient"]["identity"] == \
        credential["credentialSubject"]["identifier"][0]["identityHash"]


def test_revoked_assertions(make_award, urls):
    award = make_award("pair-formed")
    full = ob2.assertion(credential_id=CREDENTIAL_ID, badge=award.badge,
                         recipient=award.recipient, issued_on=award.awarded_at, urls=urls,
                         revoked=True, revocation_reason="Awarded by mistake")
    assert full["revoked"] is True and full["revocationReason"] == "Awarded by mistake"
    assert ob2.revoked_assertion(CREDENTIAL_ID, urls, "Awarded by mistake") == {
        "@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
        "id": f"{BASE_URL}/ob2/assertions/8a0c9a4e-5d5b-4a53-9a7b-3c3c0f1b2d4e",
        "revoked": True, "revocationReason": "Awarded by mistake"}


def test_every_ob2_document_uses_only_defined_terms(make_award, web_issuer, urls):
    award = make_award("agreement-signed")
    docs = [ob2.issuer_profile(web_issuer, urls), ob2.badge_class(award.badge, "en", urls),
            ob2.assertion(credential_id=CREDENTIAL_ID, badge=award.badge,
                          recipient=award.recipient, issued_on=award.awarded_at, urls=urls,
                          evidence=award.evidence, expires=award.awarded_at,
                          narrative="Counts and dates only.", revoked=True,
                          revocation_reason="r")]
    for doc in docs:
        assert find_unsafe(doc) == [], doc["type"]


def test_without_an_email_there_is_no_ob2_assertion(make_award, urls):
    award = make_award(email=None)
    with pytest.raises(ob2.RecipientNotAddressable, match="e-mail"):
        ob2.assertion(credential_id=CREDENTIAL_ID, badge=award.badge,
                      recipient=award.recipient, issued_on=award.awarded_at, urls=urls)
