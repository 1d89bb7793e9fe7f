"""The badge pages: My badges, the instructor's awards and revocation, the public credential
page with its live check, downloads, sharing, status lists, the DID document and OB 2.0."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from lti_tool import events
from lti_tool.badges import baking, statuslist
from lti_tool.badges.models import BadgeAward
from lti_tool.db import db
from tests.badges.world import World, at, make_world


@pytest.fixture
def world(make_app) -> World:
    w = make_world(make_app)
    w.form_pair()
    w.sign_agreement(at(3))
    return w


@pytest.fixture
def client(world: World):
    return world.app.test_client()


def _award(world: World, who=None, slug: str = "pair-formed") -> BadgeAward:
    return next(a for a in world.awards(who or world.mentee) if a.badge_slug == slug)


def _uuid(award: BadgeAward) -> str:
    return award.credential_id.rsplit(":", 1)[-1]


def _html(resp) -> str:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def _meta(html: str, prop: str) -> str:
    match = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)"', html)
    assert match, prop
    return unescape(match.group(1))


# -- the learner ----------------------------------------------------------------------------

def test_my_badges_lists_earned_badges_and_whats_next(world: World, client):
    html = _html(client.get("/badges/mine", query_string=world.mentee.q()))
    assert "Badges you have earned" in html
    assert "Pair formed" in html and "Agreement signed" in html
    assert "What you can earn next" in html
    assert "First session" in html and "0 of 1 done" in html
    assert "Reciprocal learner" not in html  # a mentor's badge; this learner is the mentee
    assert f'href="{world.app.config["TOOL_BASE_URL"]}/badges/credentials/' in html


def test_the_home_pages_show_the_badge_cards(world: World, client):
    html = _html(client.get("/learn", query_string=world.mentee.q()))
    assert "My badges" in html and "You have earned 2 of 10 milestone badges." in html
    html = _html(client.get("/program", query_string=world.teacher.q()))
    assert "Awarded in this course: 4 · revoked: 0" in html
    assert "/badges/course" in html


def test_instructors_cannot_open_my_badges_and_learners_not_the_awards(world: World, client):
    assert client.get("/badges/mine", query_string=world.teacher.q()).status_code == 403
    assert client.get("/badges/course", query_string=world.mentee.q()).status_code == 403
    assert client.get("/badges/mine").status_code == 401


def test_the_name_is_shown_on_the_public_page_only_when_the_learner_chose_it(world, client):
    award = _award(world)
    page = f"/badges/credentials/{_uuid(award)}"
    assert "Sergio Senior" not in _html(client.get(page))
    resp = client.post(f"/badges/mine/{award.id}/visibility",
                       data=world.mentee.form(show_name="1"))
    assert resp.status_code == 303
    assert "Sergio Senior" in _html(client.get(page))
    # Another badge stays anonymous: the choice is per badge.
    other = _award(world, slug="agreement-signed")
    assert "Sergio Senior" not in _html(client.get(f"/badges/credentials/{_uuid(other)}"))
    client.post(f"/badges/mine/{award.id}/visibility", data=world.mentee.form())
    assert "Sergio Senior" not in _html(client.get(page))


def test_visibility_needs_csrf_and_the_owner(world: World, client):
    award = _award(world)
    assert client.post(f"/badges/mine/{award.id}/visibility",
                       data={"ltik": world.mentee.token, "show_name": "1"}).status_code == 403
    assert client.post(f"/badges/mine/{award.id}/visibility",
                       data=world.mentor.form(show_name="1")).status_code == 404
    with world.app.app_context():
        assert db.session.get(BadgeAward, award.id).show_name is False


# -- the public credential page -------------------------------------------------------------

def test_the_public_page_shows_a_live_verified_badge(world: World, client):
    award = _award(world)
    resp = client.get(f"/badges/credentials/{_uuid(award)}")
    html = _html(resp)
    assert resp.headers["Cache-Control"] == "no-cache"
    assert "Verified: this badge is genuine" in html
    assert "The signature is valid" in html and "It has not been revoked." in html
    assert "Pair formed" in html and "Awarded on" in html
    assert "Reverse Mentoring" in html  # issuer
    assert 'id="criteria"' in html
    assert "Pair formed on: 2025-01-06" in html  # evidence: a date, nothing private
    assert "did:web:127.0.0.1%3A5000" in html


def test_open_graph_tags_for_link_previews(world: World, client):
    award = _award(world)
    html = _html(client.get(f"/badges/credentials/{_uuid(award)}"))
    base = world.app.config["TOOL_BASE_URL"]
    assert _meta(html, "og:title") == "Pair formed"
    assert _meta(html, "og:description")
    assert _meta(html, "og:image") == f"{base}/badges/pair-formed/image.png"
    assert _meta(html, "og:url") == f"{base}/badges/credentials/{_uuid(award)}"


def test_linkedin_add_to_profile_link_and_copy_fields(world: World, client):
    award = _award(world)
    html = _html(client.get(f"/badges/credentials/{_uuid(award)}"))
    link = unescape(re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"',
                              html).group(1))
    query = parse_qs(urlsplit(link).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["name"] == ["Pair formed"]
    assert query["organizationName"] == ["Reverse Mentoring"]
    assert query["issueYear"] == [str(award.awarded_at.year)]
    assert query["issueMonth"] == [str(award.awarded_at.month)]
    assert query["certUrl"] == [f"http://127.0.0.1:5000/badges/credentials/{_uuid(award)}"]
    assert query["certId"] == [award.credential_id]
    assert f'data-copy="{award.credential_id}"' in html  # fallback: copyable fields


def test_unknown_or_malformed_credential_ids_are_404(client):
    assert client.get("/badges/credentials/00000000-0000-4000-8000-000000000000").status_code \
        == 404
    assert client.get("/badges/credentials/not-a-uuid").status_code == 404


def test_downloads_json_png_and_svg(world: World, client):
    award = _award(world)
    base = f"/badges/credentials/{_uuid(award)}"
    resp = client.get(f"{base}/credential.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/vc+ld+json"
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=")
    assert json.loads(resp.data) == award.credential_json

    png = client.get(f"{base}/badge.png")
    assert png.mimetype == "image/png" and "attachment" in png.headers["Content-Disposition"]
    baked = baking.unbake_png(png.data)
    assert baked.version == "ob3" and baked.json() == award.credential_json

    svg = client.get(f"{base}/badge.svg")
    assert svg.mimetype == "image/svg+xml"
    assert baking.unbake_svg(svg.data).json() == award.credential_json

    negotiated = client.get(base, headers={"Accept": "application/vc+ld+json"})
    assert negotiated.mimetype == "application/vc+ld+json"


def test_the_badge_page_and_images(world: World, client):
    html = _html(client.get("/badges/steady-rhythm"))
    assert 'id="criteria"' in html and "21 days" in html
    assert client.get("/badges/steady-rhythm/image.png").mimetype == "image/png"
    assert client.get("/badges/steady-rhythm/image.svg").mimetype == "image/svg+xml"
    assert client.get("/badges/no-such-badge").status_code == 404
    doc = client.get("/badges/steady-rhythm", headers={"Accept": "application/ld+json"})
    assert doc.get_json()["type"] == ["Achievement"]


def test_the_did_document_lists_current_next_and_retired_keys(world: World, client):
    with world.app.app_context():
        store = world.app.extensions["lti_tool.keys"]
        store.rotate("badges", overlap=None)
        db.session.commit()
        kids = [r.kid for r in store.all_rows("badges")]
        states = sorted(r.state for r in store.all_rows("badges"))
    world.app.extensions["lti_tool.badges"].forget_caches()
    resp = client.get("/.well-known/did.json")
    doc = resp.get_json(force=True)
    assert states == ["current", "next", "retired"]
    assert doc["id"] == "did:web:127.0.0.1%3A5000"
    assert [m["id"].split("#")[1] for m in doc["verificationMethod"]] == kids
    assert doc["assertionMethod"] == [m["id"] for m in doc["verificationMethod"]]
    # A badge signed before the rotation still verifies.
    assert "Verified: this badge is genuine" in _html(
        client.get(f"/badges/credentials/{_uuid(_award(world))}"))


# -- status lists and revocation ------------------------------------------------------------

def _status_bit(client, award: BadgeAward) -> bool:
    number, index = statuslist.list_location(award.status_index)
    resp = client.get(f"/badges/status/{number}")
    assert resp.status_code == 200
    assert resp.mimetype == "application/vc+ld+json"
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    bits = statuslist.decode_list(resp.get_json(force=True)["credentialSubject"]["encodedList"])
    return statuslist.bit_is_set(bits, index)


def test_the_status_list_is_signed_cached_and_404_beyond_the_last(world: World, client):
    award = _award(world)
    assert _status_bit(client, award) is False
    first = client.get("/badges/status/1")
    again = client.get("/badges/status/1", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    doc = first.get_json(force=True)
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert doc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert client.get("/badges/status/2").status_code == 404
    assert client.get("/badges/status/0").status_code == 404


def test_an_instructor_revokes_with_a_reason_and_everything_reports_it(world: World, client):
    award = _award(world)
    page = f"/badges/credentials/{_uuid(award)}"
    _html(client.get(page))  # warm every cache first: revocation must still show at once
    sent = []

    def receive(sender, **kw):
        sent.append(kw)

    events.badge_revoked.connect(receive)
    resp = client.post(f"/badges/course/{award.id}/revoke",
                       data=world.teacher.form(reason="Awarded to the wrong person"))
    assert resp.status_code == 303 and "done=revoked" in resp.headers["Location"]

    html = _html(client.get(page))
    assert "Revoked" in html and "Awarded to the wrong person" in html
    assert "This badge has been revoked" in html
    assert "The issuer has revoked this badge." in html
    assert "Add to my LinkedIn profile" not in html
    assert _status_bit(client, award) is True

    ob2 = client.get(f"/ob2/assertions/{_uuid(award)}")
    assert ob2.status_code == 410
    assert ob2.get_json(force=True) == {
        "@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
        "id": f"http://127.0.0.1:5000/ob2/assertions/{_uuid(award)}", "revoked": True,
        "revocationReason": "Awarded to the wrong person"}

    # Revoking twice is harmless: same reason, same time, one event.
    again = client.post(f"/badges/course/{award.id}/revoke",
                        data=world.teacher.form(reason="Something else"))
    assert "done=already" in again.headers["Location"]
    with world.app.app_context():
        row = db.session.get(BadgeAward, award.id)
        assert row.revoke_reason == "Awarded to the wrong person"
    html = _html(client.get("/badges/course", query_string=world.teacher.q()))
    assert "revoked on" in html
    events.badge_revoked.disconnect(receive)
    assert [(e["award_id"], e["reason"]) for e in sent] == [
        (award.id, "Awarded to the wrong person")]


def test_revocation_form_validates_and_needs_csrf_and_the_course(world: World, client):
    award = _award(world)
    resp = client.post(f"/badges/course/{award.id}/revoke", data=world.teacher.form(reason=" "))
    assert resp.status_code == 422
    assert "Say why the badge is revoked" in resp.get_data(as_text=True) or \
        "3 to 500" in resp.get_data(as_text=True)
    assert client.post(f"/badges/course/{award.id}/revoke",
                       data={"ltik": world.teacher.token, "reason": "Mistake"}).status_code == 403
    assert client.post(f"/badges/course/{award.id}/revoke",
                       data=world.mentee.form(reason="Mistake")).status_code == 403
    assert client.post("/badges/course/999999/revoke",
                       data=world.teacher.form(reason="Mistake")).status_code == 404
    with world.app.app_context():
        assert db.session.get(BadgeAward, award.id).revoked_at is None


def test_cli_revoke_and_list(world: World):
    award = _award(world)
    runner = world.app.test_cli_runner()
    result = runner.invoke(args=["badges", "revoke", _uuid(award), "--reason", "Duplicate"])
    assert result.exit_code == 0 and "revoked." in result.output
    result = runner.invoke(args=["badges", "revoke", award.credential_id, "--reason", "Again"])
    assert result.exit_code == 0 and "already revoked (Duplicate)" in result.output
    assert runner.invoke(args=["badges", "revoke", "nope", "--reason", "x y z"]).exit_code != 0
    listing = runner.invoke(args=["badges", "list"])
    assert listing.exit_code == 0
    assert f"{award.credential_id}\tpair-formed" in listing.output
    assert "revoked: Duplicate" in listing.output
    only = runner.invoke(args=["badges", "list", "--revoked"])
    assert only.output.count("urn:uuid:") == 1


# -- OB 2.0 ---------------------------------------------------------------------------------

def test_ob2_issuer_badge_class_assertion_and_baked_png(world: World, client):
    award = _award(world)
    issuer = client.get("/ob2/issuer")
    assert issuer.mimetype == "application/ld+json"
    assert issuer.get_json(force=True)["type"] == "Issuer"
    badge_class = client.get("/ob2/badges/pair-formed").get_json(force=True)
    assert badge_class["issuer"] == "http://127.0.0.1:5000/ob2/issuer"
    assertion = client.get(f"/ob2/assertions/{_uuid(award)}").get_json(force=True)
    assert assertion["recipient"] == {"type": "email", "hashed": True,
                                      "salt": award.recipient_salt,
                                      "identity": award.identity_hash}
    assert assertion["badge"] == "http://127.0.0.1:5000/ob2/badges/pair-formed"
    png = client.get(f"/ob2/assertions/{_uuid(award)}/image.png")
    assert png.mimetype == "image/png"
    assert baking.unbake_png(png.data).version == "ob2"
    assert baking.unbake_png(png.data).json() == assertion


def test_ob2_needs_an_email_recipient(make_app):
    from tests.factories import person

    w = make_world(make_app)
    w.mentee = person(w.app, w.ctx, name="No Mail", email=None)
    w.form_pair()
    award = w.awards(w.mentee)[0]
    assert w.app.test_client().get(f"/ob2/assertions/{_uuid(award)}").status_code == 404
