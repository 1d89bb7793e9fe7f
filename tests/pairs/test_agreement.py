"""The agreement: versions, two signatures, and optimistic concurrency that loses nothing."""

from __future__ import annotations

from lti_tool.db import db
from lti_tool.pairs.models import Agreement, AgreementVersion, Goal
from tests.pairs.conftest import agreement_form


def _agreement(app):
    with app.app_context():
        a = db.session.scalar(db.select(Agreement))
        versions = [(v.number, v.mentor_signed_at is not None, v.mentee_signed_at is not None,
                     [g.text for g in v.goals]) for v in a.versions]
        return a.revision, versions


def test_two_partners_editing_at_once_get_a_409_that_keeps_both_texts(world):
    w = world
    base = f"/pairs/{w.form_pair()}/agreement"
    # Both open the form at revision 0.
    for who in (w.mentor, w.mentee):
        assert 'name="base_revision" value="0"' in w.html(who, base + "/edit")
    assert w.post(w.mentor, base, **agreement_form(
        0, mentee_goal_1_text="Mentor's wording of the goal")).status_code == 303
    resp = w.post(w.mentee, base, **agreement_form(
        0, mentee_goal_1_text="Mentee's own unsaved wording", ground_rules="My rules"))
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "Your partner saved a newer version" in html
    assert "Mentor&#39;s wording of the goal" in html  # the newer version, read-only
    assert "Mentee&#39;s own unsaved wording" in html and "My rules" in html  # nothing lost
    assert 'name="base_revision" value="1"' in html  # saving again now works
    assert _agreement(w.app) == (1, [(1, False, False, ["Mentor's wording of the goal",
                                                          "Prepare a difficult client meeting"])])
    # Saving again from the 409 page replaces the unsigned draft in place.
    assert w.post(w.mentee, base, **agreement_form(
        1, mentee_goal_1_text="Mentee's own unsaved wording")).status_code == 303
    revision, versions = _agreement(w.app)
    assert revision == 2 and len(versions) == 1
    assert versions[0][3][0] == "Mentee's own unsaved wording"
    with w.app.app_context():  # the replaced goals are gone, not orphaned
        assert db.session.scalar(db.select(db.func.count()).select_from(Goal)) == 2


def test_a_change_after_signing_makes_a_new_version_to_sign_again(world, sent):
    w = world
    base = f"/pairs/{w.form_pair()}/agreement"
    w.post(w.mentor, base, **agreement_form(0))
    w.post(w.mentor, base + "/sign", base_revision="1")
    w.post(w.mentee, base + "/sign", base_revision="2")
    assert [e["version"] for e in sent["agreement_signed"]] == [1]
    assert w.post(w.mentee, base, **agreement_form(
        3, cadence="fortnightly", mentor_goal_2_text="Learn about pricing")).status_code == 303
    revision, versions = _agreement(w.app)
    assert [v[:3] for v in versions] == [(1, True, True), (2, False, False)]
    html = w.html(w.mentor, base)
    assert "Version 2" in html and "Earlier versions" in html and "Every two weeks" in html
    assert "I agree and sign version 2" in html
    # The pair still counts as having signed (version 1) while version 2 waits.
    assert "Signed by both of you." in w.html(w.mentor, base.rsplit("/", 1)[0])
    w.post(w.mentor, base + "/sign", base_revision=str(revision))
    w.post(w.mentee, base + "/sign", base_revision=str(revision + 1))
    assert [e["version"] for e in sent["agreement_signed"]] == [1, 2]


def test_signing_a_version_that_changed_meanwhile_is_refused(world, sent):
    w = world
    base = f"/pairs/{w.form_pair()}/agreement"
    w.post(w.mentor, base, **agreement_form(0))
    # The mentee reads revision 1; the mentor changes the text before the mentee signs.
    assert 'name="base_revision" value="1"' in w.html(w.mentee, base)
    w.post(w.mentor, base, **agreement_form(1, mentee_goal_1_text="Changed goal"))
    resp = w.post(w.mentee, base + "/sign", base_revision="1")
    assert resp.status_code == 409
    assert "The agreement changed before you signed" in resp.get_data(as_text=True)
    assert "Changed goal" in resp.get_data(as_text=True)
    assert _agreement(w.app)[1][0][2] is False  # no mentee signature
    # A double click on "sign" is harmless.
    w.post(w.mentee, base + "/sign", base_revision="2")
    w.post(w.mentee, base + "/sign", base_revision="3")
    assert _agreement(w.app)[0] == 3
    assert sent["agreement_signed"] == []


def test_an_incomplete_agreement_is_shown_again_with_messages_and_nothing_saved(world):
    w = world
    base = f"/pairs/{w.form_pair()}/agreement"
    resp = w.post(w.mentee, base, base_revision="0", mentee_goal_1_text="Use my phone bank app",
                  mentee_goal_2_competence="4.2", ground_rules="Kept text")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    for message in ("Choose the digital skill this goal is about.", "Choose the level to reach.",
                    "Please describe this goal in a few words.",
                    "Write at least one goal for what the mentor wants to learn.",
                    "Please choose one of the options.",
                    "Choose at least one way to keep in touch.",
                    "Please tick this box: you both keep what you share private."):
        assert message in html, message
    assert 'aria-describedby="e-mentee_goal_1_competence"' in html
    assert 'id="e-mentee_goal_1_competence"' in html
    assert "Use my phone bank app" in html and "Kept text" in html
    with w.app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AgreementVersion)) == 0
        assert db.session.scalar(db.select(Agreement.revision)) == 0
