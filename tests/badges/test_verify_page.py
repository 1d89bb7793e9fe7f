"""The public verify page: any upload gets a plain-language answer, never a 500."""

from __future__ import annotations

import copy
import io
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lti_tool.badges import baking, ob3, services
from lti_tool.badges.models import BadgeAward
from lti_tool.db import db
from tests.badges.world import World, make_world


@pytest.fixture
def world(make_app) -> World:
    w = make_world(make_app)
    w.form_pair()
    return w


@pytest.fixture
def client(world: World):
    return world.app.test_client()


@pytest.fixture
def credential(world: World) -> dict:
    return world.awards(world.mentee)[0].credential_json


def upload(client, data: bytes, name: str = "badge.json") -> str:
    resp = client.post("/badges/verify", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def paste(client, text: str) -> str:
    resp = client.post("/badges/verify", data={"json": text})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _issue(world: World, **award_changes) -> dict:
    """A credential signed by the tool's own key, with changes (e.g. an expiry date)."""
    with world.app.app_context():
        rt = world.app.extensions["lti_tool.badges"]
        row = db.session.scalars(db.select(BadgeAward)).first()
        award = ob3.Award(rt.definitions["pair-formed"],
                          ob3.Recipient(ob3.new_salt(), email="x@example.org"),
                          datetime(2024, 1, 1, tzinfo=UTC), rt.urls.status_list(1),
                          row.status_index, **award_changes)
        return ob3.issue(award, services.issuer_now(rt), rt.urls)


def test_the_form_is_public(client):
    html = client.get("/badges/verify").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="json"' in html


def test_a_genuine_credential_as_file_paste_png_and_svg(world: World, client, credential):
    assert "This badge is genuine" in upload(client, json.dumps(credential).encode())
    assert "This badge is genuine" in paste(client, json.dumps(credential, indent=2))
    badge = world.app.extensions["lti_tool.badges"].definitions["pair-formed"]
    png = baking.bake_png(baking.badge_png(badge, 64), credential)
    html = upload(client, png, "badge.png")
    assert "This badge is genuine" in html and "Open this badge" in html
    svg = baking.bake_svg(badge.image_svg, credential).encode()
    assert "This badge is genuine" in upload(client, svg, "badge.svg")


def test_not_json(client):
    html = paste(client, "{this is not json")
    assert "This is not valid JSON (line 1, column 2)" in html


def test_random_bytes(client):
    html = upload(client, bytes(random.Random(7).randrange(256) for _ in range(3000)), "x.bin")
    assert "neither JSON text nor a PNG or SVG badge image" in html


def test_a_png_with_no_credential(world: World, client):
    badge = world.app.extensions["lti_tool.badges"].definitions["pair-formed"]
    html = upload(client, baking.badge_png(badge, 64), "plain.png")
    assert "This image has no badge inside it" in html


def test_a_truncated_png(world: World, client, credential):
    badge = world.app.extensions["lti_tool.badges"].definitions["pair-formed"]
    png = baking.bake_png(baking.badge_png(badge, 64), credential)
    assert "cannot be read" in upload(client, png[: len(png) // 2], "cut.png")


def test_a_credential_from_another_issuer(world: World, client, credential):
    other = ob3.key_issuer(Ed25519PrivateKey.generate(), name="Elsewhere", url="https://x.org")
    rt = world.app.extensions["lti_tool.badges"]
    award = ob3.Award(rt.definitions["pair-formed"], ob3.Recipient("ab", email="a@b.org"),
                      datetime(2024, 1, 1, tzinfo=UTC), "https://x.org/status/1", 3)
    html = upload(client, json.dumps(ob3.issue(award, other, ob3.BadgeUrls("https://x.org")))
                  .encode())
    assert "not by this tool" in html and "never downloads other issuers" in html


def test_a_tampered_credential(client, credential):
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["name"] = "Programme completed"
    html = upload(client, json.dumps(tampered).encode())
    assert "changed since it was issued" in html
    assert "Not verified" in html


def test_a_revoked_credential(world: World, client, credential):
    with world.app.app_context():
        award = db.session.scalar(db.select(BadgeAward).where(
            BadgeAward.credential_id == credential["id"]))
        services.revoke(award, "Mistake", datetime.now(UTC))
        db.session.commit()
    html = upload(client, json.dumps(credential).encode())
    assert "the issuer has revoked it" in html and "Mistake" in html


def test_expired_and_not_yet_valid(world: World, client):
    expired = _issue(world, valid_until=datetime.now(UTC) - timedelta(days=1))
    html = upload(client, json.dumps(expired).encode())
    assert "it has expired" in html
    assert f"It expired on {(datetime.now(UTC) - timedelta(days=1)).date()}." in html
    future = _issue(world, valid_from=datetime.now(UTC) + timedelta(days=30))
    html = upload(client, json.dumps(future).encode())
    assert "not valid yet" in html
    assert f"It is only valid from {(datetime.now(UTC) + timedelta(days=30)).date()}." in html


def test_an_open_badges_2_assertion_of_ours(world: World, client):
    award = world.awards(world.mentee)[0]
    uuid = award.credential_id.rsplit(":", 1)[-1]
    png = client.get(f"/ob2/assertions/{uuid}/image.png").data
    assert "Open Badges 2.0 copy of a badge issued by this tool" in upload(client, png, "a.png")


def test_too_large_and_empty(world: World, client):
    world.app.config["BADGES_UPLOAD_LIMIT"] = 1000
    assert "larger than 1 KB" in upload(client, b"{" + b" " * 2000 + b"}")
    assert "Nothing to check" in paste(client, "   ")
    resp = client.post("/badges/verify", data={"json": "x" * (3 * 1024 * 1024)})
    assert resp.status_code == 413


FUZZ = [b"", b"null", b"[]", b"42", b'"text"', b"{}", b'{"@context": 5}',
        b'{"issuer": {"id": 7}}', b"\x89PNG\r\n\x1a\n", b"\x89PNG\r\n\x1a\n" + b"\0" * 40,
        b"<svg", b"<svg xmlns='http://www.w3.org/2000/svg'><openbadges:credential>",
        b"<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY x 'y'>]><svg>&x;</svg>",
        b"[" * 100_000, b"\xff\xfe{\0}\0", b"eyJhbGciOiJFZERTQSJ9.eyJ9.c2ln",
        json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "x"}).encode(),
        json.dumps({"type": "Assertion", "id": "https://elsewhere.org/a/1"}).encode()]


@pytest.mark.parametrize("data", FUZZ, ids=range(len(FUZZ)))
def test_fuzzed_uploads_get_an_answer_never_a_500(client, data: bytes):
    for name in ("x.json", "x.png", "x.svg"):
        html = upload(client, data, name)
        assert "Not verified" in html or "Nothing to check" in html


def test_structurally_odd_credentials_of_ours(world: World, client, credential):
    for mutate in (lambda c: c.pop("proof"), lambda c: c.update(proof={"type": 1}),
                   lambda c: c.update(validFrom="yesterday"),
                   lambda c: c.update(credentialStatus=[1, {"statusListCredential": "x"}]),
                   lambda c: c["proof"].update(proofValue="z!!!"),
                   lambda c: c.update({"@context": ["https://example.org/unbundled"]}),
                   lambda c: c.update(extra={"@id": "relative"})):
        broken = copy.deepcopy(credential)
        mutate(broken)
        html = upload(client, json.dumps(broken).encode())
        assert "Not verified" in html
