"""Independent conformance: our OB 3.0 credentials checked by public JavaScript verifiers.

`tests/conformance/ob3/verify.mjs` runs Digital Bazaar's vc + data-integrity +
eddsa-rdfc-2022 + bitstring-status-list libraries, and for did:key issuers also the DCC
verifier-core (VerifierPlus / Learner Credential Wallet). Offline: the DID document and the
status list credentials are passed as files. Needs `npm ci` in tests/conformance/ob3.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lti_tool.badges import baking, did, ob3, statuslist
from lti_tool.badges.definitions import SLUGS, badge_definitions
from lti_tool.keys.services import SigningKey, _b64u, _thumbprint

PROJECT = Path(__file__).with_name("ob3")
NODE = shutil.which("node")
BASE_URL = "https://mentoring.example.org:8443"  # a port, so did:web needs its %3A encoding

pytestmark = pytest.mark.skipif(
    NODE is None or not (PROJECT / "node_modules").is_dir(),
    reason="needs node and `npm ci` in tests/conformance/ob3 (CI runs it)")


def _signing_key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64u(raw)}
    jwk["kid"] = _thumbprint(jwk)
    return SigningKey(jwk["kid"], "badges", private, jwk)


def _verify(*args: str | Path) -> tuple[int, list[dict[str, Any]]]:
    run = subprocess.run([str(NODE), "verify.mjs", *map(str, args)], cwd=PROJECT,
                         capture_output=True, text=True, timeout=120, check=False)
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert run.returncode in (0, 1, 2), run.stderr
    return run.returncode, lines


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every badge issued by a did:web issuer (with a retired key in its DID document) and by a
    did:key issuer, plus status lists where position 0 is revoked."""
    folder = tmp_path_factory.mktemp("ob3")
    retired, current = _signing_key(), _signing_key()
    urls = ob3.BadgeUrls(BASE_URL)
    web = ob3.web_issuer(BASE_URL, current, name="Reverse Mentoring at Example",
                         image=f"{BASE_URL}/static/logo.png")
    dev = ob3.key_issuer(current.private_key, name="Reverse Mentoring (dev)",
                         url="http://localhost:5000")
    files: dict[str, Any] = {"web": [], "key": []}
    for i, slug in enumerate(SLUGS):
        badge = badge_definitions()[slug]
        email = None if slug == "reciprocal-learner" else f"learner{i}@example.org"
        recipient = ob3.Recipient(salt=ob3.new_salt(), email=email,
                                  lti_user_id=None if email else "sub-77",
                                  platform_id=None if email else "https://canvas.example.edu")
        award = ob3.Award(badge, recipient, datetime(2025, 3, 14, 9, 30, tzinfo=UTC),
                          urls.status_list(1), i + 1, lang=("en", "it", "pt")[i % 3],
                          evidence=(ob3.Evidence.summary("Milestone summary", {
                              "Sessions confirmed by both": i + 1,
                              "Reached on": date(2025, 3, 14)}),))
        for name, issuer in (("web", web), ("key", dev)):
            files[name].append(_write(folder / f"{name}-{slug}.json",
                                      ob3.issue(award, issuer, urls)))
    old = ob3.issue(ob3.Award(badge_definitions()["pair-formed"],
                              ob3.Recipient(ob3.new_salt(), email="early@example.org"),
                              datetime(2024, 9, 1, tzinfo=UTC), urls.status_list(1), 0),
                    ob3.web_issuer(BASE_URL, retired, name="Reverse Mentoring at Example"), urls)
    files["revoked_web"] = _write(folder / "revoked-web.json", old)
    files["revoked_key"] = _write(folder / "revoked-key.json", ob3.issue(ob3.Award(
        badge_definitions()["pair-formed"], ob3.Recipient(ob3.new_salt(), email="x@example.org"),
        datetime(2024, 9, 1, tzinfo=UTC), urls.status_list(1), 0), dev, urls))
    files["did"] = _write(folder / "did.json", did.did_document(
        web.id, [retired.public_jwk, current.public_jwk]))
    files["web_list"] = _write(folder / "status-web.json", statuslist.build_status_list_credential(
        web, urls.status_list(1), [0]))
    files["key_list"] = _write(folder / "status-key.json", statuslist.build_status_list_credential(
        dev, urls.status_list(1), [0]))
    files["folder"] = folder
    return files


def test_every_badge_verifies_with_did_web_and_its_did_document(issued):
    code, results = _verify("--did-doc", issued["did"], "--status-list", issued["web_list"],
                            *issued["web"])
    assert code == 0, results
    assert len(results) == len(SLUGS)
    assert all(r["proof"] and r["db"]["verified"] and r["db"]["revoked"] is False
               for r in results)
    assert results[0]["issuer"] == "did:web:mentoring.example.org%3A8443"


def test_every_badge_verifies_with_did_key_in_both_engines(issued):
    code, results = _verify("--status-list", issued["key_list"], *issued["key"])
    assert code == 0, results
    assert all(r["db"]["proof"] and r["dcc"]["proof"] for r in results)
    assert all(r["dcc"]["revoked"] is False for r in results)


def test_a_tampered_copy_fails(issued):
    folder: Path = issued["folder"]
    for name in ("web", "key"):
        cred = json.loads(issued[name][3].read_text())
        cred["credentialSubject"]["achievement"]["name"] = "Programme completed"
        tampered = _write(folder / f"tampered-{name}.json", cred)
        code, [result] = _verify("--did-doc", issued["did"], tampered)
        assert code == 1 and result["proof"] is False


def test_an_undefined_term_added_after_signing_fails(issued):
    cred = json.loads(issued["key"][0].read_text())
    cred["credentialSubject"]["mentorNotes"] = "added later"
    code, [result] = _verify(_write(issued["folder"] / "extra-term.json", cred))
    assert code == 1 and result["proof"] is False


def test_a_revoked_badge_is_reported_revoked(issued):
    code, [web] = _verify("--did-doc", issued["did"], "--status-list", issued["web_list"],
                          issued["revoked_web"])
    assert code == 2 and web["proof"] and web["db"]["revoked"] is True  # signed by a retired key
    code, [key] = _verify("--status-list", issued["key_list"], issued["revoked_key"])
    assert code == 2 and key["db"]["revoked"] is True and key["dcc"]["revoked"] is True


def test_a_baked_credential_verifies_after_unbaking(issued):
    cred = json.loads(issued["web"][-1].read_text())
    badge = badge_definitions()[SLUGS[-1]]
    png = baking.bake_png(baking.badge_png(badge, 128), cred)
    svg = baking.bake_svg(badge.image_svg, cred)
    folder: Path = issued["folder"]
    unbaked = [_write(folder / "from-png.json", baking.unbake_png(png).json()),
               _write(folder / "from-svg.json", baking.unbake_svg(svg).json())]
    code, results = _verify("--did-doc", issued["did"], *unbaked)
    assert code == 0 and all(r["proof"] for r in results)


def test_a_forged_status_list_is_not_trusted(issued):
    forged = json.loads(Path(issued["web_list"]).read_text())
    forged = copy.deepcopy(forged)
    forged["credentialSubject"]["encodedList"] = statuslist.encode_list([])
    path = _write(issued["folder"] / "forged-list.json", forged)
    code, [result] = _verify("--did-doc", issued["did"], "--status-list", path,
                             issued["revoked_web"])
    assert code == 2 and result["db"]["verified"] is False and result["db"]["revoked"] is None
