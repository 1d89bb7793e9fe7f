"""Issue an OpenBadgeCredential for every milestone and verify it; break it and see why."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lti_tool.badges import base58, did, ob3
from lti_tool.badges.jsonld import OB_EXTENSIONS, OB_V3, VC_V2, UnsafeDocument

from .conftest import ALL_SLUGS, AWARDED, BASE_URL, EMAIL, signing_key


@pytest.mark.parametrize("slug", ALL_SLUGS)
def test_each_badge_issues_a_credential_that_verifies(slug, make_award, web_issuer, urls, resolve):
    cred = ob3.issue(make_award(slug, index=ALL_SLUGS.index(slug)), web_issuer, urls)
    result = ob3.verify_credential(cred, resolve, trusted_issuers=[web_issuer.id],
                                   status_lookup=lambda entry: False)
    assert result.ok, result.reasons
    assert result.code == "valid" and not result.warnings
    assert result.issuer_id == web_issuer.id and result.credential_id == cred["id"]

    assert cred["@context"] == [VC_V2, OB_V3, OB_EXTENSIONS]
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["id"].startswith("urn:uuid:")
    assert cred["issuer"] == {"id": "did:web:mentoring.example.org", "type": ["Profile"],
                              "name": "Reverse Mentoring at Example", "url": BASE_URL,
                              "image": {"id": f"{BASE_URL}/static/logo.png", "type": "Image"}}
    achievement = cred["credentialSubject"]["achievement"]
    assert achievement["id"] == f"{BASE_URL}/badges/{slug}"
    assert achievement["achievementType"] == "Badge"
    assert achievement["criteria"]["id"] == f"{BASE_URL}/badges/{slug}#criteria"
    assert achievement["image"]["type"] == "Image" and achievement["image"]["caption"]
    assert achievement["creator"] == cred["issuer"]
    assert cred["validFrom"] == cred["awardedDate"] == "2025-03-14T09:30:00Z"
    assert cred["evidence"][0]["type"] == ["Evidence"]
    assert cred["credentialSchema"] == [{"id": ob3.SCHEMA_URL,
                                         "type": "1EdTechJsonSchemaValidator2019"}]
    proof = cred["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"{web_issuer.id}#{web_issuer.verification_method.split('#')[1]}"
    assert proof["proofValue"].startswith("z") and len(base58.decode(proof["proofValue"][1:])) == 64


def test_the_recipient_is_a_salted_email_hash(make_award, web_issuer, urls):
    cred = ob3.issue(make_award(email="  Ana.Silva@Example.ORG "), web_issuer, urls)
    [identifier] = cred["credentialSubject"]["identifier"]
    expected = hashlib.sha256((EMAIL + identifier["salt"]).encode()).hexdigest()
    assert identifier == {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                          "identityHash": f"sha256${expected}", "salt": "5f1c0a1e9d8b7c6a"}
    assert "id" not in cred["credentialSubject"]
    assert EMAIL not in str(cred)


def test_without_an_email_the_lti_user_is_named_per_platform(make_award, web_issuer, urls, resolve):
    award = make_award(email=None)
    cred = ob3.issue(award, web_issuer, urls)
    user, platform = cred["credentialSubject"]["identifier"]
    assert user["identityType"] == "ltiUserId" and user["hashed"] is True
    assert user["identityHash"] == ob3.identity_hash("lti-sub-0042", user["salt"])
    assert platform == {"type": "IdentityObject", "identityType": "ltiPlatformId",
                        "hashed": False, "identityHash": "https://moodle.example.org"}
    assert award.recipient.identity_hash == user["identityHash"]
    assert ob3.verify_credential(cred, resolve).ok
    with pytest.raises(ValueError):
        ob3.Recipient(salt="s")


def test_a_learner_who_shows_their_name_gets_a_name_identifier(make_award, web_issuer, urls):
    recipient = ob3.Recipient(salt="abc", email=EMAIL, display_name="Ana Silva")
    cred = ob3.issue(make_award(recipient=recipient), web_issuer, urls)
    assert cred["credentialSubject"]["identifier"][-1] == {
        "type": "IdentityObject", "identityType": "name", "hashed": False,
        "identityHash": "Ana Silva"}


def test_digcomp_alignments_are_in_the_achievement(make_award, web_issuer, urls):
    cred = ob3.issue(make_award("agreement-signed"), web_issuer, urls)
    assert cred["credentialSubject"]["achievement"]["alignment"] == [{
        "type": ["Alignment"], "targetName": "Identifying digital competence gaps",
        "targetUrl": "https://publications.jrc.ec.europa.eu/repository/handle/JRC128415",
        "targetFramework": "DigComp 2.2: The Digital Competence Framework for Citizens",
        "targetCode": "5.4"}]
    plain = ob3.issue(make_award("pair-formed"), web_issuer, urls)
    assert "alignment" not in plain["credentialSubject"]["achievement"]


def test_texts_follow_the_learners_language(make_award, web_issuer, urls):
    cred = ob3.issue(make_award("first-session", lang="pt"), web_issuer, urls)
    assert cred["name"] == "Primeira sessão"
    assert cred["credentialSubject"]["achievement"]["inLanguage"] == "pt"


def test_the_status_entry_points_into_the_list(make_award, web_issuer, urls):
    cred = ob3.issue(make_award(index=4711), web_issuer, urls)
    assert cred["credentialStatus"] == {
        "id": f"{BASE_URL}/badges/status/1#4711", "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation", "statusListIndex": "4711",
        "statusListCredential": f"{BASE_URL}/badges/status/1"}


@pytest.fixture(scope="module")
def credential(make_award, web_issuer, urls):
    return ob3.issue(make_award(), web_issuer, urls)


@pytest.mark.parametrize(("change", "code"), [
    (lambda c: c["credentialSubject"]["achievement"].update(name="Programme completed"), "bad_proof"),
    (lambda c: c["credentialSubject"]["identifier"][0].update(salt="other"), "bad_proof"),
    (lambda c: c.update(validFrom="2024-01-01T00:00:00Z"), "bad_proof"),
    (lambda c: c["proof"].update(created="2020-01-01T00:00:00Z"), "bad_proof"),
    (lambda c: c["proof"].update(proofValue="z" + base58.encode(bytes(64))), "bad_proof"),
    (lambda c: c["proof"].update(proofValue="not-multibase"), "bad_proof"),
    (lambda c: c.pop("proof"), "bad_proof"),
    (lambda c: c["credentialSubject"].update(note="added later"), "bad_proof"),
])
def test_a_tampered_copy_fails(credential, resolve, change, code):
    tampered = copy.deepcopy(credential)
    change(tampered)
    result = ob3.verify_credential(tampered, resolve)
    assert not result.ok and result.code == code
    assert result.reasons[0].startswith("The badge cannot be trusted.")


def test_an_added_undefined_term_is_named(credential, resolve):
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["note"] = "added later"
    assert "term 'note' is not defined by any @context" in ob3.verify_credential(
        tampered, resolve).reasons[0]


def test_an_unknown_key_and_a_foreign_issuer_are_told_apart(credential, make_award, web_issuer,
                                                            urls, key):
    result = ob3.verify_credential(credential, did.resolver())
    assert result.code == "unknown_key"
    # A stranger signs with their own did:key but claims to be our issuer.
    stranger = signing_key(Ed25519PrivateKey.generate())
    impostor = ob3.Issuer(web_issuer.id, web_issuer.name, web_issuer.url,
                          did.did_key_verification_method(stranger.private_key),
                          stranger.private_key)
    forged = ob3.issue(make_award(), impostor, urls)
    result = ob3.verify_credential(forged, did.resolver())
    assert [p.code for p in result.problems] == ["wrong_issuer"]
    assert "signed with a key of did:key:" in result.reasons[0]
    # A genuine did:key badge is valid, but not from an issuer we trust.
    dev = ob3.issue(make_award(), ob3.key_issuer(stranger.private_key, name="x",
                                                 url="https://x.example"), urls)
    assert ob3.verify_credential(dev, did.resolver()).ok
    result = ob3.verify_credential(dev, did.resolver(), trusted_issuers=[web_issuer.id])
    assert result.code == "wrong_issuer" and "not an issuer we recognise" in result.reasons[0]


def test_a_key_listed_but_not_for_assertions_is_refused(credential, did_document):
    doc = {**did_document, "assertionMethod": []}
    result = ob3.verify_credential(credential, did.resolver(doc))
    assert result.code == "unknown_key" and "does not allow" in result.reasons[0]


def test_badges_signed_with_a_retired_key_still_verify(make_award, web_issuer, urls, key):
    new = signing_key(Ed25519PrivateKey.generate())
    old_badge = ob3.issue(make_award(), web_issuer, urls)
    new_issuer = ob3.web_issuer(BASE_URL, new, name=web_issuer.name)
    new_badge = ob3.issue(make_award(), new_issuer, urls)
    resolve = did.resolver(did.did_document(web_issuer.id, [key.public_jwk, new.public_jwk]))
    assert ob3.verify_credential(old_badge, resolve).ok
    assert ob3.verify_credential(new_badge, resolve).ok


def test_validity_dates(make_award, web_issuer, urls, resolve):
    expiring = ob3.issue(make_award(valid_until=AWARDED + timedelta(days=365)), web_issuer, urls)
    assert expiring["validUntil"] == "2026-03-14T09:30:00Z"
    assert ob3.verify_credential(expiring, resolve, now=AWARDED + timedelta(days=30)).ok
    late = ob3.verify_credential(expiring, resolve, now=AWARDED + timedelta(days=400))
    assert late.code == "expired" and late.reasons == ["The badge expired on 2026-03-14."]
    early = ob3.verify_credential(expiring, resolve, now=AWARDED - timedelta(days=1))
    assert early.code == "not_yet_valid"
    reissued = ob3.issue(make_award(valid_from=AWARDED + timedelta(days=10)), web_issuer, urls)
    assert reissued["awardedDate"] == "2025-03-14T09:30:00Z"
    assert reissued["validFrom"] == "2025-03-24T09:30:00Z"


def test_revocation_comes_from_the_status_lookup(credential, resolve):
    seen = []
    revoked = ob3.verify_credential(credential, resolve,
                                    status_lookup=lambda e: seen.append(e) or True)
    assert revoked.code == "revoked" and revoked.reasons == ["The issuer has revoked this badge."]
    assert seen == [credential["credentialStatus"]]
    unknown = ob3.verify_credential(credential, resolve, status_lookup=lambda e: None)
    assert unknown.ok and [w.code for w in unknown.warnings] == ["status_unknown"]


@pytest.mark.parametrize("thing", [None, "text", [], {"@context": [VC_V2]},
                                   {"@context": [VC_V2, OB_V3], "type": ["VerifiableCredential"]}])
def test_not_a_credential(thing, resolve):
    result = ob3.verify_credential(thing, resolve)
    assert result.code == "not_a_credential" and result.reasons[0].startswith("This is not")


def test_signing_refuses_an_unsafe_document(make_award, web_issuer, urls):
    doc = ob3.build_credential(make_award(), web_issuer, urls)
    doc["credentialSubject"]["achievement"]["mentorNotes"] = "never signed"
    with pytest.raises(UnsafeDocument, match="term 'mentorNotes' is not defined"):
        ob3.sign(doc, web_issuer)


def test_issue_many_gives_each_award_its_own_id(make_award, web_issuer, urls, resolve):
    awards = [make_award(slug, index=i) for i, slug in enumerate(ALL_SLUGS)]
    creds = ob3.issue_many(awards, web_issuer, urls, now=datetime(2025, 4, 1, tzinfo=UTC))
    assert len({c["id"] for c in creds}) == len(awards)
    assert {c["proof"]["created"] for c in creds} == {"2025-04-01T00:00:00Z"}
    assert all(ob3.verify_credential(c, resolve).ok for c in creds)


def test_did_key_issuer_for_development(make_award, key_issuer, urls):
    cred = ob3.issue(make_award(), key_issuer, urls)
    assert cred["issuer"]["id"].startswith("did:key:z6Mk")
    assert cred["proof"]["verificationMethod"] == f"{cred['issuer']['id']}#{cred['issuer']['id'][8:]}"
    assert ob3.verify_credential(cred, did.resolver()).ok


def test_signing_is_deterministic_for_the_same_input(make_award, web_issuer, urls):
    award = make_award(credential_id="urn:uuid:5b1f4b5e-0000-4000-8000-000000000001")
    when = datetime(2025, 4, 1, tzinfo=UTC)
    assert ob3.issue(award, web_issuer, urls, when) == ob3.issue(award, web_issuer, urls, when)


def test_a_full_issuer_profile_signs(make_award, key, urls, resolve):
    issuer = ob3.web_issuer(BASE_URL, key, name="Example School", email="badges@example.org",
                            description="Reverse mentoring programme of Example School",
                            image=f"{BASE_URL}/logo.png")
    cred = ob3.issue(make_award(), issuer, urls)
    assert cred["issuer"]["email"] == "badges@example.org"
    assert ob3.verify_credential(cred, resolve).ok
