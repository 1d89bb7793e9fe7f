from datetime import timedelta

from lti_tool.db import db, utcnow
from lti_tool.keys.models import ToolKey


def _kids(client):
    return [k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]]


def test_keys_are_generated_on_first_use_with_a_next_key(app, client):
    kids = _kids(client)
    assert len(kids) == 2  # current and next, so platforms can cache the next one early
    with app.app_context():
        states = sorted(r.state for r in db.session.query(ToolKey).all())
    assert states == ["current", "next"]


def test_private_keys_are_encrypted_at_rest(app, client):
    client.get("/lti/jwks")
    with app.app_context():
        blob = db.session.query(ToolKey).first().private_key
    assert b"PRIVATE KEY" not in blob and not blob.startswith(b"0\x82")


def test_rotation_keeps_the_retired_key_published_for_the_overlap(app, client, runner):
    before = _kids(client)
    with app.app_context():
        current = app.extensions["lti_tool.keys"].current("lti").kid
    result = runner.invoke(args=["keys", "rotate", "--overlap-days", "7"])
    assert result.exit_code == 0, result.output
    app.extensions["lti_tool.lti"]["jwks_memo"].clear()
    after = _kids(client)
    assert current in after and set(before) <= set(after) and len(after) == 3
    with app.app_context():
        store = app.extensions["lti_tool.keys"]
        store.forget_memo()
        assert store.current("lti").kid == before[1]  # the old "next" now signs
        retired = db.session.query(ToolKey).filter_by(kid=current).one()
        retired.publish_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    app.extensions["lti_tool.lti"]["jwks_memo"].clear()
    assert current not in _kids(client)


def test_badge_keys_stay_published_for_ever(app, runner):
    with app.app_context():
        store = app.extensions["lti_tool.keys"]
        first = store.current("badges").kid
    assert runner.invoke(args=["keys", "rotate", "--purpose", "badges"]).exit_code == 0
    with app.app_context():
        published = [k["kid"] for k in app.extensions["lti_tool.keys"].published("badges")]
    assert first in published
