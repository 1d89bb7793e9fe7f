"""Remembering processed JSON-LD contexts (lti_tool/badges/jsonld.py) changes nothing: the
canonical N-Quads are byte-identical to plain pyld's, for every badge template, language and
recipient kind, and for the status list and DID documents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pyld import jsonld as pyld

from lti_tool.badges import did, jsonld, ob3, statuslist
from tests.badges.conftest import ALL_SLUGS


def plain(doc):
    return pyld.normalize(dict(doc), {"algorithm": "URDNA2015", "format": "application/n-quads",
                                      "base": None, "documentLoader": jsonld.document_loader})


@pytest.mark.parametrize("slug", ALL_SLUGS)
@pytest.mark.parametrize("lang", ["en", "it", "pt"])
def test_every_template_canonicalises_as_plain_pyld_does(slug, lang, make_award, web_issuer,
                                                         urls):
    for email in ("ana@example.org", None):
        doc = ob3.issue(make_award(slug, lang=lang, email=email, index=7), web_issuer, urls)
        for _ in range(2):  # the second time from remembered contexts
            assert jsonld.canonicalize(doc) == plain(doc)
        proof = {"@context": doc["@context"], **{k: v for k, v in doc["proof"].items()
                                                 if k != "proofValue"}}
        assert jsonld.canonicalize(proof) == plain(proof)


def test_status_lists_and_did_documents_too(web_issuer, did_document, urls):
    lst = statuslist.build_status_list_credential(web_issuer, urls.status_list(1), [3, 9],
                                                  now=datetime(2025, 1, 1, tzinfo=UTC))
    for doc in (lst, did_document, did.did_key_document(did.did_key(
            web_issuer.private_key))):
        assert jsonld.canonicalize(doc) == plain(doc)


def test_the_memo_stays_small(make_award, web_issuer, urls):
    for i in range(50):
        jsonld.canonicalize(ob3.issue(make_award(ALL_SLUGS[i % 10], index=i), web_issuer, urls))
    assert len(jsonld._processed) < 200
