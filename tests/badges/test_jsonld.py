"""Offline contexts and the safe-mode check that guards every signature."""

from __future__ import annotations

import copy

import pytest

from lti_tool.badges import jsonld
from lti_tool.badges.jsonld import ContextNotBundled, UnsafeDocument


def _credential() -> dict:
    return {
        "@context": [jsonld.VC_V2, jsonld.OB_V3, jsonld.OB_EXTENSIONS],
        "id": "urn:uuid:0b6b4a3c-2f5e-4d1e-9a4b-2f0c7e1d9a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:web:mentoring.example.org", "type": ["Profile"], "name": "Tool"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
            "id": "https://mentoring.example.org/badges/pair-formed", "type": ["Achievement"],
            "name": "Pair formed", "criteria": {"narrative": "Both said yes."}}},
        "credentialSchema": [{"id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                              "ob_v3p0_achievementcredential_schema.json",
                              "type": "1EdTechJsonSchemaValidator2019"}],
    }


def test_every_context_the_tool_uses_is_bundled():
    bundled = jsonld.bundled_contexts()
    for url in (jsonld.VC_V2, jsonld.OB_V3, jsonld.OB_EXTENSIONS, jsonld.DID_V1,
                jsonld.MULTIKEY_V1, jsonld.DATA_INTEGRITY_V2, jsonld.OB_V2):
        assert "@context" in bundled[url]
    assert jsonld.document_loader(jsonld.VC_V2)["document"] == bundled[jsonld.VC_V2]


def test_the_loader_refuses_any_other_url_with_a_clear_error():
    with pytest.raises(ContextNotBundled, match="https://evil.example/ctx.*never fetched"):
        jsonld.document_loader("https://evil.example/ctx")
    doc = {"@context": "https://evil.example/ctx", "name": "x"}
    with pytest.raises(ContextNotBundled, match="evil.example"):
        jsonld.canonicalize(doc)
    with pytest.raises(ContextNotBundled):
        jsonld.find_unsafe(doc)


def test_a_well_formed_credential_is_safe():
    assert jsonld.find_unsafe(_credential()) == []


def test_an_undefined_term_is_refused_by_name():
    doc = _credential()
    doc["credentialSubject"]["achievement"]["favouriteColour"] = "green"
    with pytest.raises(UnsafeDocument) as info:
        jsonld.check_safe(doc)
    assert info.value.problems == ["term 'favouriteColour' is not defined by any @context"]


def test_an_undefined_type_and_the_missing_extensions_context_are_refused():
    doc = _credential()
    doc["type"].append("MentoringCredential")
    doc["@context"] = doc["@context"][:2]
    problems = jsonld.find_unsafe(doc)
    assert "type 'MentoringCredential' is not defined by any @context" in problems
    assert "type '1EdTechJsonSchemaValidator2019' is not defined by any @context" in problems


def test_relative_iris_and_nulls_are_refused():
    doc = _credential()
    doc["credentialSubject"]["achievement"]["id"] = "badges/pair-formed"
    doc["credentialSubject"]["achievement"]["description"] = None
    problems = jsonld.find_unsafe(doc)
    assert ("IRI 'badges/pair-formed' is relative (use an absolute https:, urn: or did: IRI)"
            in problems)
    assert any("achievement.description is null" in p for p in problems)


def test_canonical_form_is_stable_and_ignores_key_order():
    doc = _credential()
    shuffled = dict(reversed(list(copy.deepcopy(doc).items())))
    assert jsonld.canonicalize(doc) == jsonld.canonicalize(shuffled)
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential>" in \
        jsonld.canonicalize(doc)


def test_the_check_runs_once_per_document_shape(monkeypatch):
    calls = []
    real = jsonld.find_unsafe
    monkeypatch.setattr(jsonld, "find_unsafe", lambda doc: calls.append(1) or real(doc))
    monkeypatch.setattr(jsonld, "_checked", set())
    first, second = _credential(), _credential()
    second["id"] = "urn:uuid:11111111-2222-4333-8444-555555555555"
    second["issuer"]["name"] = "Another name"
    jsonld.check_safe_once(first)
    jsonld.check_safe_once(second)
    assert len(calls) == 1
    third = _credential()
    third["credentialSubject"]["achievement"]["id"] = "relative"  # a new shape: checked again
    with pytest.raises(UnsafeDocument):
        jsonld.check_safe_once(third)
    assert len(calls) == 2
