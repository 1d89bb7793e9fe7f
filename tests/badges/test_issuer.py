"""Who issues: did:web on the tool's base URL with the current badge key; did:key only outside
production; a key rotation keeps every earlier badge verifiable."""

from __future__ import annotations

import pytest

from lti_tool.config import ConfigError
from lti_tool.db import db
from tests.badges.world import make_world


def test_badges_are_issued_by_did_web_with_the_current_key(make_app):
    w = make_world(make_app, "https://mentoring.example.org:8443")
    w.form_pair()
    credential = w.awards(w.mentor)[0].credential_json
    with w.app.app_context():
        current = next(r for r in w.app.extensions["lti_tool.keys"].all_rows("badges")
                       if r.state == "current")
    assert credential["issuer"]["id"] == "did:web:mentoring.example.org%3A8443"
    assert credential["issuer"]["url"] == "https://mentoring.example.org:8443"
    assert credential["proof"]["verificationMethod"] == (
        f"did:web:mentoring.example.org%3A8443#{current.kid}")
    assert credential["credentialStatus"]["statusListCredential"] == (
        "https://mentoring.example.org:8443/badges/status/1")


def test_after_a_rotation_new_badges_use_the_new_key_and_old_ones_still_verify(make_app):
    w = make_world(make_app)
    w.form_pair()
    old = w.awards(w.mentor)[0]
    with w.app.app_context():
        w.app.extensions["lti_tool.keys"].rotate("badges", overlap=None)
        db.session.commit()
    w.sessions(first_day=2, count=1)
    new = next(a for a in w.awards(w.mentor) if a.badge_slug == "first-session")
    assert old.credential_json["proof"]["verificationMethod"] != \
        new.credential_json["proof"]["verificationMethod"]
    client = w.app.test_client()
    for award in (old, new):
        html = client.get(f"/badges/credentials/{award.credential_id.rsplit(':', 1)[-1]}")
        assert "Verified: this badge is genuine" in html.get_data(as_text=True)


def test_did_key_only_outside_production(make_app):
    w = make_world(make_app, BADGES_DID_METHOD="key")
    w.form_pair()
    award = w.awards(w.mentee)[0]
    assert award.credential_json["issuer"]["id"].startswith("did:key:z6Mk")
    html = w.app.test_client().get(
        f"/badges/credentials/{award.credential_id.rsplit(':', 1)[-1]}").get_data(as_text=True)
    assert "Verified: this badge is genuine" in html
    with pytest.raises(ConfigError):
        make_app(BADGES_DID_METHOD="key", TOOL_ENV="production")
