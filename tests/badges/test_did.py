"""did:web / did:key identifiers, Multikey encoding and the published DID document."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lti_tool.badges import base58, did
from lti_tool.badges.jsonld import find_unsafe

from .conftest import signing_key


@pytest.mark.parametrize(("base", "expected", "document_url"), [
    ("https://badges.example.org", "did:web:badges.example.org",
     "https://badges.example.org/.well-known/did.json"),
    ("https://badges.example.org/", "did:web:badges.example.org",
     "https://badges.example.org/.well-known/did.json"),
    ("http://localhost:5000", "did:web:localhost%3A5000",
     "https://localhost:5000/.well-known/did.json"),
    ("https://Example.org/tools/mentoring", "did:web:example.org:tools:mentoring",
     "https://example.org/tools/mentoring/did.json"),
])
def test_did_web_from_the_base_url(base, expected, document_url):
    assert did.did_web(base) == expected
    assert did.did_web_document_url(expected) == document_url


def test_base58_round_trip_keeps_leading_zeros():
    for data in (b"", b"\0\0\x01", bytes(range(40)), b"\xff" * 64):
        assert base58.decode(base58.encode(data)) == data
    assert base58.encode(b"hello world") == "StV1DL6CwTryKyV"  # the reference test vector


def test_multikey_is_ed25519_pub_z6mk_and_round_trips(key):
    value = did.multikey(key.private_key)
    assert value.startswith("z6Mk") and len(value) == 48
    assert did.public_bytes(did.public_key_from_multikey(value)) == did.public_bytes(
        key.private_key)
    assert did.public_bytes(did.public_key_from_jwk(key.public_jwk)) == did.public_bytes(
        key.private_key)
    with pytest.raises(ValueError):
        did.public_key_from_multikey("z" + base58.encode(b"\x12\x00" + b"\1" * 32))


def test_the_did_document_lists_every_key_for_assertions(web_issuer, key):
    retired, upcoming = (signing_key(Ed25519PrivateKey.generate()) for _ in range(2))
    keys = [retired.public_jwk, key.public_jwk, upcoming.public_jwk]
    doc = did.did_document(web_issuer.id, keys)
    assert doc["id"] == "did:web:mentoring.example.org"
    assert [m["id"] for m in doc["verificationMethod"]] == doc["assertionMethod"] == [
        f"{web_issuer.id}#{k['kid']}" for k in keys]
    assert all(m["type"] == "Multikey" and m["controller"] == web_issuer.id
               and m["publicKeyMultibase"].startswith("z6Mk") for m in doc["verificationMethod"])
    assert find_unsafe(doc) == []
    resolve = did.resolver(doc)
    found = resolve(f"{web_issuer.id}#{retired.kid}")
    assert found is not None and found.assertion and found.controller == web_issuer.id
    assert resolve(f"{web_issuer.id}#unknown") is None


def test_did_key_resolves_offline_and_a_key_only_for_authentication_is_not_for_assertions(key):
    vm = did.did_key_verification_method(key.private_key)
    found = did.resolver()(vm)
    assert found is not None and found.assertion and vm.startswith(found.controller + "#")
    doc = did.did_document("did:web:example.org", [key.public_jwk])
    doc["assertionMethod"] = []
    assert did.resolver(doc)(f"did:web:example.org#{key.kid}").assertion is False
    assert did.resolver()("did:key:zNotAKey#zNotAKey") is None
