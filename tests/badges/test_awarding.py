"""Milestone rules through the real events: each badge is awarded exactly when its criterion
(program.md §4.3) holds, once, together with the event that earned it, with private-free
evidence."""

from __future__ import annotations

import json

import pytest

from lti_tool import events
from lti_tool.badges import services
from lti_tool.badges.models import BadgeAward
from lti_tool.db import db
from lti_tool.pairs import services as pairs
from lti_tool.pairs.models import Pair
from tests.badges.world import FORMED, World, at, make_world


@pytest.fixture
def world(make_app) -> World:
    return make_world(make_app)


D_MODULES = ["d1-search-and-check-sources", "d2-cloud-files", "d3-video-calls-and-chat",
             "d4-co-editing", "d5-digital-identity-e-services", "d6-passwords-mfa-phishing"]


def captured(signal):
    log = []

    def receive(sender, **kw):
        log.append(kw)

    signal.connect(receive, weak=False)
    return log, lambda: signal.disconnect(receive)


# -- B1 -------------------------------------------------------------------------------------

def test_b1_both_partners_get_pair_formed_when_both_accept(world: World):
    log, stop = captured(events.badge_awarded)
    try:
        world.form_pair()
    finally:
        stop()
    assert world.slugs(world.mentor) == {"pair-formed"}
    assert world.slugs(world.mentee) == {"pair-formed"}
    assert {e["user_id"] for e in log} == {world.mentor.user_id, world.mentee.user_id}
    award = world.awards(world.mentor)[0]
    assert award.evidence["facts"] == {"formed_on": FORMED.date().isoformat()}
    assert award.pair_id == world.pair_id


def test_b1_not_awarded_on_one_sided_consent(world: World):
    def work():
        pair = Pair(context_id=world.ctx, mentor_id=world.mentor.user_id,
                    mentee_id=world.mentee.user_id, status="proposed", proposed_at=FORMED)
        db.session.add(pair)
        db.session.flush()
        pairs.respond_to_proposal(pair, world.mentor.user_id, "accept", "", FORMED)
        return pair.id
    pair_id = world.run(work)
    # Even an (erroneous) event for a pair that is not active awards nothing.
    world.run(lambda: events.pair_formed.send("tests", pair_id=pair_id, context_id=world.ctx,
                                              mentor_id=world.mentor.user_id,
                                              mentee_id=world.mentee.user_id, formed_at=FORMED))
    assert world.awards() == []


# -- idempotency and transactions -----------------------------------------------------------

def test_the_same_event_twice_awards_once(world: World):
    world.form_pair()
    for _ in range(2):
        world.run(lambda: events.pair_formed.send(
            "tests", pair_id=world.pair_id, context_id=world.ctx, mentor_id=world.mentor.user_id,
            mentee_id=world.mentee.user_id, formed_at=FORMED))
    assert len(world.awards(world.mentor)) == 1 and len(world.awards(world.mentee)) == 1


def test_a_concurrent_award_is_skipped_by_the_unique_constraint(world: World):
    """Another transaction awarded it between our check and our insert: the SAVEPOINT keeps
    ours out and the rest of the transaction goes on."""
    from lti_tool.badges import rules

    world.form_pair()
    with world.app.app_context():
        rt = world.app.extensions["lti_tool.badges"]
        candidate = services.Candidate(world.mentor.user_id, world.ctx, world.pair_id,
                                       rt.definitions["pair-formed"],
                                       rules.Decision(True, {"formed_on": FORMED.date()}))
        for bulk in (False, True):
            assert services.issue_awards(rt, [candidate], FORMED, bulk=bulk) == []
        db.session.commit()
    assert len(world.awards(world.mentor)) == 1


def test_an_award_commits_with_its_event_and_rolls_back_with_it(world: World):
    def work():
        pair = Pair(context_id=world.ctx, mentor_id=world.mentor.user_id,
                    mentee_id=world.mentee.user_id, status="proposed", proposed_at=FORMED)
        db.session.add(pair)
        db.session.commit()
        pairs.respond_to_proposal(pair, world.mentor.user_id, "accept", "", FORMED)
        pairs.respond_to_proposal(pair, world.mentee.user_id, "accept", "", FORMED)
        assert db.session.scalar(db.select(db.func.count()).select_from(BadgeAward)) == 2
        raise RuntimeError("the request fails after the handler ran")

    with world.app.app_context(), pytest.raises(RuntimeError):
        work()
    with world.app.app_context():
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count()).select_from(BadgeAward)) == 0
        assert db.session.scalar(db.select(Pair.status)) == "proposed"


def test_a_fault_in_the_rules_never_undoes_the_learners_action(make_app, monkeypatch):
    w = make_world(make_app)
    w.app.config["BADGES_RAISE_ERRORS"] = False
    monkeypatch.setattr(services, "decide", lambda *a, **k: 1 / 0)
    w.form_pair()
    with w.app.app_context():
        assert db.session.get(Pair, w.pair_id).status == "active"
    assert w.awards() == []


# -- B2 ... B10 -----------------------------------------------------------------------------

def test_b2_agreement_signed_within_21_days(world: World):
    world.form_pair()
    world.sign_agreement(at(10))
    assert "agreement-signed" in world.slugs(world.mentor)
    assert "agreement-signed" in world.slugs(world.mentee)
    facts = world.awards(world.mentee)[-1].evidence["facts"]
    assert facts == {"signed_on": at(10).date().isoformat(), "mentee_goals": 1,
                     "mentor_goals": 1}


@pytest.mark.parametrize("change", ["late", "no_confidentiality", "no_mentor_goal"])
def test_b2_not_awarded_when_a_condition_fails(world: World, change: str):
    world.form_pair()
    world.sign_agreement(at(30) if change == "late" else at(5),
                         confidentiality=change != "no_confidentiality",
                         mentor_goal=change != "no_mentor_goal")
    assert "agreement-signed" not in world.slugs(world.mentor)


def test_b3_first_session_confirmed_by_both(world: World):
    world.form_pair()
    world.session(at(3).date(), minutes=15)  # too short
    assert "first-session" not in world.slugs(world.mentee)
    world.session(at(30).date(), minutes=40)  # late: still awarded, flagged for the dashboard
    award = next(a for a in world.awards(world.mentee) if a.badge_slug == "first-session")
    assert award.evidence["facts"]["minutes"] == 40
    assert award.evidence["flags"] == {"late": True}
    assert "late" not in json.dumps(award.credential_json["evidence"])


def test_b3_an_unconfirmed_session_does_not_count(world: World):
    world.form_pair()

    def work():
        pair = db.session.get(Pair, world.pair_id)
        pairs.log_session(pair, world.mentor.user_id, at(2).date(), 60, "x", at(2))
    world.run(work)
    assert "first-session" not in world.slugs(world.mentor)


def test_b4_needs_acknowledged_feedback_both_ways(world: World):
    world.form_pair()
    world.feedback(world.mentor, at(5))
    world.feedback(world.mentee, at(6), acknowledge=False)
    assert "two-way-feedback" not in world.slugs(world.mentor)
    world.feedback(world.mentee, at(7), kind="feedforward")
    assert "two-way-feedback" in world.slugs(world.mentor)
    assert "two-way-feedback" in world.slugs(world.mentee)


def test_b5_steady_rhythm_needs_four_sessions_without_a_long_gap(world: World):
    world.form_pair()
    world.sessions(first_day=2, count=3, every_days=10)
    world.session(at(2 + 20 + 25).date())  # a 25-day gap breaks the run
    assert "steady-rhythm" not in world.slugs(world.mentor)
    world.sessions(first_day=2 + 20 + 25 + 14, count=3, every_days=14)
    award = next(a for a in world.awards(world.mentor) if a.badge_slug == "steady-rhythm")
    assert award.evidence["facts"]["sessions"] == 4
    assert award.evidence["facts"]["longest_gap_days"] == 14


def test_b6_midpoint_review_after_half_the_programme(world: World):
    world.form_pair()
    world.checkin(world.mentor, at(40), "midpoint")  # too early: does not count
    world.checkin(world.mentee, at(95), "midpoint")
    assert "midpoint-review" not in world.slugs(world.mentor)
    world.checkin(world.mentor, at(97), "midpoint")
    assert "midpoint-review" in world.slugs(world.mentor)
    assert "midpoint-review" in world.slugs(world.mentee)


def test_b7_learning_path_for_mentee_and_mentor(world: World):
    world.form_pair()
    for i, slug in enumerate(D_MODULES[:5]):
        world.pass_module(world.mentee, slug, at(10 + i))
    world.pass_module(world.mentee, "f2-feedforward", at(20))
    world.pass_module(world.mentee, "d7-digital-wellbeing", at(21), passed=False)
    assert "learning-path" not in world.slugs(world.mentee)
    world.pass_module(world.mentee, D_MODULES[5], at(22))
    assert "learning-path" in world.slugs(world.mentee)
    assert "learning-path" not in world.slugs(world.mentor)
    for slug in ("m1-active-listening", "m2-teach-dont-take-over", "m3-communication-styles",
                 "f1-sbi-feedback", "f3-receiving-feedback"):
        world.pass_module(world.mentor, slug, at(30))
    assert "learning-path" in world.slugs(world.mentor)


def test_b8_level_up_needs_a_gain_in_an_agreed_competence_and_an_attestation(world: World):
    world.form_pair()
    world.sign_agreement(at(2), competence="4.2")
    world.rate(world.mentee, {"4.2": 2, "2.1": 1}, at(3), "before")
    world.rate(world.mentee, {"2.1": 4}, at(50), "again")  # gain, but not in the agreement
    world.attest("2.1", at(51))
    assert "digital-level-up" not in world.slugs(world.mentee)
    world.rate(world.mentee, {"4.2": 3}, at(60), "later")
    assert "digital-level-up" not in world.slugs(world.mentee)  # no attestation yet
    world.attest("4.2", at(61))
    award = next(a for a in world.awards(world.mentee) if a.badge_slug == "digital-level-up")
    assert award.evidence["facts"] == {"competence": "4.2", "steps_gained": 1,
                                       "attested_on": at(61).date().isoformat()}
    assert "digital-level-up" not in world.slugs(world.mentor)  # mentee only
    narrative = award.credential_json["evidence"][0]["narrative"]
    assert "4.2 Protecting personal data and privacy" in narrative


def test_b9_reciprocal_learner_is_for_the_mentor_after_two_confirmed_entries(world: World):
    world.form_pair()
    world.learning_entry(at(10))
    world.learning_entry(at(11), confirm=False)
    assert "reciprocal-learner" not in world.slugs(world.mentor)
    world.learning_entry(at(12))
    assert "reciprocal-learner" in world.slugs(world.mentor)
    assert "reciprocal-learner" not in world.slugs(world.mentee)


def test_b10_and_everything_else_over_a_whole_programme(world: World):
    world.full_programme()
    both = {"pair-formed", "agreement-signed", "first-session", "two-way-feedback",
            "steady-rhythm", "midpoint-review", "program-completed"}
    assert world.slugs(world.mentor) == both | {"reciprocal-learner"}
    assert world.slugs(world.mentee) == both | {"digital-level-up"}
    done = next(a for a in world.awards(world.mentor) if a.badge_slug == "program-completed")
    assert done.evidence["facts"]["sessions"] == 8


def test_b10_waits_for_the_end_and_the_closing_surveys(world: World):
    world.form_pair()
    world.sign_agreement(at(3))
    world.sessions(first_day=5, count=6, every_days=14)
    world.feedback(world.mentor, at(20))
    world.feedback(world.mentee, at(21))
    world.checkin(world.mentor, at(95), "midpoint")
    world.checkin(world.mentee, at(96), "midpoint")
    world.checkin(world.mentor, at(120), "closing")
    world.checkin(world.mentee, at(121), "closing")
    assert "program-completed" not in world.slugs(world.mentor)  # day 121 of 180
    world.complete(at(122))
    assert "program-completed" in world.slugs(world.mentor)


def test_a_revoked_prerequisite_holds_back_b10_and_is_never_reissued(world: World):
    world.form_pair()
    with world.app.app_context():
        award = db.session.scalar(db.select(BadgeAward).where(
            BadgeAward.user_id == world.mentor.user_id))
        services.revoke(award, "Awarded by mistake", at(1))
        db.session.commit()
    world.run(lambda: events.pair_formed.send(
        "tests", pair_id=world.pair_id, context_id=world.ctx, mentor_id=world.mentor.user_id,
        mentee_id=world.mentee.user_id, formed_at=FORMED))
    assert len(world.awards(world.mentor)) == 1


# -- privacy --------------------------------------------------------------------------------

def test_no_private_pair_text_reaches_any_badge(world: World):
    world.full_programme()
    assert len(world.awards()) == 16
    assert world.secrets_anywhere() == []


def test_credentials_name_nobody_and_hash_the_email(world: World):
    world.form_pair()
    award = world.awards(world.mentor)[0]
    text = json.dumps(award.credential_json)
    assert "Marta" not in text and "marta@example.org" not in text
    identifier = award.credential_json["credentialSubject"]["identifier"]
    assert identifier == [{"type": "IdentityObject", "identityType": "emailAddress",
                           "hashed": True, "identityHash": award.identity_hash,
                           "salt": award.recipient_salt}]


def test_a_learner_without_email_is_named_by_platform_scoped_id(make_app):
    from tests.factories import person

    w = make_world(make_app)
    w.mentee = person(w.app, w.ctx, name="No Mail", email=None)
    w.form_pair()
    award = w.awards(w.mentee)[0]
    kinds = [i["identityType"] for i in award.credential_json["credentialSubject"]["identifier"]]
    assert kinds == ["ltiUserId", "ltiPlatformId"]


# -- back-fill ------------------------------------------------------------------------------

def test_backfill_awards_what_events_missed_and_is_idempotent(world: World):
    world.app.config["BADGES_RAISE_ERRORS"] = False
    with world.app.app_context():
        for name in ("session_confirmed", "checkin_recorded"):
            getattr(events, name).disconnect(services_handler())
    try:
        world.form_pair()
        world.sessions(first_day=2, count=4, every_days=7)
    finally:
        reconnect()
    assert "steady-rhythm" not in world.slugs(world.mentor)
    runner = world.app.test_cli_runner()
    result = runner.invoke(args=["badges", "backfill", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "1 pair checked; 4 badges awarded." in result.output
    assert {"first-session", "steady-rhythm"} <= world.slugs(world.mentor)
    again = runner.invoke(args=["badges", "backfill", "--quiet"])
    assert "0 badges awarded" in again.output


def services_handler():
    from lti_tool.badges.handlers import on_pair_event

    return on_pair_event


def reconnect():
    for name in ("session_confirmed", "checkin_recorded"):
        getattr(events, name).connect(services_handler())
