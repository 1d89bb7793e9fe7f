"""The whole journey through the pages: join, match, accept, agree, meet, feed back, check in."""

from __future__ import annotations

from datetime import date

from lti_tool.db import db
from lti_tool.pairs.models import (
    Agreement,
    CheckIn,
    Feedback,
    LearningEntry,
    MentoringSession,
    Pair,
    Profile,
    Proposal,
)
from tests.pairs.conftest import agreement_form, mentee_profile, mentor_profile


def _count(app, model):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_two_learners_become_an_active_pair_with_both_consents(world, sent):
    w = world
    html = w.html(w.mentor, "/pairs/")
    assert "Join the mentoring program" in html
    w.join(w.mentor, mentor_profile())
    w.join(w.mentee, mentee_profile())
    assert _count(w.app, Profile) == 2

    assert w.post(w.teacher, "/pairs/matching/run", mode="quality", floor="40").status_code == 303
    html = w.html(w.teacher, "/pairs/matching")
    assert "Mia Mentor mentors Sam Senior" in html
    # Reasons are sentences built from the engine's structured explanation.
    assert "Covers 2 of 2 skills the mentee wants" in html
    assert "2.1 Video calls, chat and messages" in html
    assert "Main gap:" in html
    # Nothing reaches the learners before the instructor sends.
    assert "proposal" not in w.html(w.mentee, "/pairs/").lower()

    resp = w.post(w.teacher, "/pairs/proposals/send")
    assert resp.status_code == 303 and "/pairs/program" in resp.headers["Location"]
    pair = w.pair()
    assert pair.status == "proposed"
    html = w.html(w.mentee, f"/pairs/{pair.id}")
    assert "We suggest Mia Mentor as your mentor." in html
    assert "Why we suggest this pair" in html

    assert w.post(w.mentee, f"/pairs/{pair.id}/respond", answer="accept").status_code == 303
    assert w.pair().status == "proposed" and sent["pair_formed"] == []
    assert "waiting for your partner" in w.html(w.mentee, f"/pairs/{pair.id}")
    assert w.post(w.mentor, f"/pairs/{pair.id}/respond", answer="accept").status_code == 303
    pair = w.pair()
    assert pair.status == "active" and pair.mentor_accepted_at and pair.mentee_accepted_at
    assert sent["pair_formed"] == [{"pair_id": pair.id, "context_id": w.ctx,
                                    "mentor_id": w.mentor.user_id, "mentee_id": w.mentee.user_id,
                                    "formed_at": pair.formed_at}]
    # Accepting again changes nothing and sends nothing.
    assert w.post(w.mentor, f"/pairs/{pair.id}/respond", answer="accept").status_code == 403
    assert len(sent["pair_formed"]) == 1
    html = w.html(w.mentor, f"/pairs/{pair.id}")
    assert "How we communicate" in html
    assert "Chat or WhatsApp, Video call" in html  # shared channels in the charter


def test_agreement_session_feedback_checkin_learning_and_attestation(world, sent):
    w = world
    pair_id = w.form_pair()
    base = f"/pairs/{pair_id}"

    # Agreement: written by one, signed by both.
    assert "Write our agreement" in w.html(w.mentee, base + "/agreement")
    assert w.post(w.mentee, base + "/agreement", **agreement_form(0)).status_code == 303
    html = w.html(w.mentor, base + "/agreement")
    assert "Join a video call on my own" in html and "I agree and sign version 1" in html
    assert w.post(w.mentor, base + "/agreement/sign", base_revision="1").status_code == 303
    assert sent["agreement_signed"] == []
    assert w.post(w.mentee, base + "/agreement/sign", base_revision="2").status_code == 303
    with w.app.app_context():
        agreement = db.session.scalar(db.select(Agreement))
        signed_at = agreement.current.signed_at
        assert signed_at is not None
        agreement_id = agreement.id
    assert sent["agreement_signed"] == [{"pair_id": pair_id, "agreement_id": agreement_id,
                                         "version": 1, "signed_at": signed_at}]

    # A session: planned with a link and an .ics, then logged by one and confirmed by the other.
    future = date.today().replace(year=date.today().year + 1).isoformat()
    assert w.post(w.mentor, base + "/sessions/plan", on=future, at="10:30", minutes="45",
                  meeting_url="https://meet.example.org/abc").status_code == 303
    with w.app.app_context():
        planned = db.session.scalar(db.select(MentoringSession))
        planned_id = planned.id
    ics = w.get(w.mentee, f"{base}/sessions/{planned_id}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    body = ics.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and "https://meet.example.org/abc" in body
    assert "attachment" in ics.headers["Content-Disposition"]

    today = date.today().isoformat()
    assert w.post(w.mentee, base + "/sessions/log", held_on=today, minutes="50",
                  topics="Video calls", session_id=str(planned_id)).status_code == 303
    assert sent["session_confirmed"] == []
    html = w.html(w.mentor, base + "/sessions")
    assert "Yes, this session took place" in html
    assert w.post(w.mentor, f"{base}/sessions/{planned_id}/confirm").status_code == 303
    with w.app.app_context():
        s = db.session.get(MentoringSession, planned_id)
        assert s.confirmed_at is not None and s.minutes == 50
        confirmed_at = s.confirmed_at
    assert sent["session_confirmed"] == [{"pair_id": pair_id, "session_id": planned_id,
                                          "held_on": date.today(), "minutes": 50,
                                          "confirmed_at": confirmed_at}]
    # Confirming twice sends nothing more.
    w.post(w.mentor, f"{base}/sessions/{planned_id}/confirm")
    assert len(sent["session_confirmed"]) == 1

    # Feedback both ways, each acknowledged by its receiver with an action.
    assert w.post(w.mentor, base + "/feedback", kind="sbi", situation="In our call",
                  behaviour="You asked clear questions", impact="We finished early").status_code \
        == 303
    assert w.post(w.mentee, base + "/feedback", kind="feedforward",
                  suggestion_1="Show one step at a time",
                  suggestion_2="Let me keep the mouse").status_code == 303
    with w.app.app_context():
        to_mentee, to_mentor = (db.session.scalars(db.select(Feedback).order_by(Feedback.id))
                                .all())
        ids = to_mentee.id, to_mentor.id
    assert "You asked clear questions" in w.html(w.mentee, base + "/feedback")
    assert w.post(w.mentee, f"{base}/feedback/{ids[0]}/acknowledge",
                  action="try").status_code == 303
    assert w.post(w.mentor, f"{base}/feedback/{ids[1]}/acknowledge", action="discuss",
                  action_note="Good idea").status_code == 303
    assert [e["direction"] for e in sent["feedback_exchanged"]] == ["mentor_to_mentee",
                                                                   "mentee_to_mentor"]
    first = sent["feedback_exchanged"][0]
    assert set(first) == {"pair_id", "feedback_id", "giver_id", "receiver_id", "direction",
                          "acknowledged_at"}
    assert (first["giver_id"], first["receiver_id"]) == (w.mentor.user_id, w.mentee.user_id)
    # Acknowledging twice is refused and sends nothing.
    assert w.post(w.mentee, f"{base}/feedback/{ids[0]}/acknowledge",
                  action="noted").status_code == 409
    assert len(sent["feedback_exchanged"]) == 2

    # Pulse check-ins from both sides.
    assert w.post(w.mentee, base + "/checkins", happy="5", learning="yes").status_code == 303
    assert w.post(w.mentor, base + "/checkins", happy="4", learning="no",
                  note="Slow start").status_code == 303
    assert [(e["user_id"], e["happy"], e["learning"], e["kind"])
            for e in sent["checkin_recorded"]] == [(w.mentee.user_id, 5, True, "pulse"),
                                                   (w.mentor.user_id, 4, False, "pulse")]
    assert _count(w.app, CheckIn) == 2

    # What the mentor learned, confirmed by the mentee; an attested task.
    assert w.post(w.mentor, base + "/learning",
                  text="How to prepare a negotiation").status_code == 303
    with w.app.app_context():
        entry_id = db.session.scalar(db.select(LearningEntry.id))
    assert w.post(w.mentor, f"{base}/learning/{entry_id}/confirm").status_code == 403
    assert w.post(w.mentee, f"{base}/learning/{entry_id}/confirm").status_code == 303
    assert [(e["entry_id"], e["mentor_id"]) for e in sent["learning_entry_confirmed"]] == [
        (entry_id, w.mentor.user_id)]
    assert w.post(w.mentee, base + "/attestations", competence_id="2.1", task="Shared a screen",
                  observed_on=today).status_code == 403
    assert w.post(w.mentor, base + "/attestations", competence_id="2.1", level="3",
                  task="Shared a screen alone", observed_on=today).status_code == 303
    assert [(e["pair_id"], e["mentee_id"], e["competence_id"])
            for e in sent["level_up_attested"]] == [(pair_id, w.mentee.user_id, "2.1")]

    # The five steps are done; both mark the program complete.
    assert "You have done all five steps" in w.html(w.mentee, "/learn")
    assert w.post(w.mentee, base + "/complete").status_code == 303
    assert sent["pair_completed"] == []
    assert w.post(w.mentor, base + "/complete").status_code == 303
    pair = w.pair()
    assert pair.status == "completed"
    assert sent["pair_completed"] == [{"pair_id": pair_id, "completed_at": pair.completed_at}]
    # Every documented event was sent exactly as often as it happened.
    assert {k: len(v) for k, v in sent.items()} == {
        "pair_formed": 1, "agreement_signed": 1, "session_confirmed": 1,
        "feedback_exchanged": 2, "checkin_recorded": 2, "self_assessment_recorded": 2,
        "learning_entry_confirmed": 1, "level_up_attested": 1, "pair_completed": 1}


def test_profile_save_records_a_self_assessment_once(world, sent):
    w = world
    w.join(w.mentee, mentee_profile())
    assert sent["self_assessment_recorded"] == [{
        "user_id": w.mentee.user_id, "context_id": w.ctx, "ratings": {"2.1": 1},
        "source": "profile", "recorded_at": sent["self_assessment_recorded"][0]["recorded_at"]}]
    # Saving again with the same ratings is not a new self-assessment.
    w.join(w.mentee, mentee_profile(department="Finance"))
    assert len(sent["self_assessment_recorded"]) == 1
    w.join(w.mentee, mentee_profile(want_1_now="2"))
    assert sent["self_assessment_recorded"][-1]["ratings"] == {"2.1": 2}
    html = w.html(w.mentee, "/pairs/profile")
    assert 'value="Finance"' not in html  # the last save replaced the department
    assert 'name="want_1_now"' in html and '<option value="2" selected>' in html


def test_the_home_pages_show_the_step_and_the_program_card(world):
    w = world
    assert "Step 1 of 5" in w.html(w.mentee, "/learn")
    w.form_pair()
    html = w.html(w.mentee, "/learn")
    assert "Step 3 of 5" in html and "Agree on your goals" in html
    html = w.html(w.teacher, "/program")
    assert "Mentoring pairs" in html and "Active pairs: 1" in html
    assert "/pairs/program?ltik=" in html


def test_a_declined_proposal_is_a_lasting_veto(world, sent):
    w = world
    w.join(w.mentor, mentor_profile())
    w.join(w.mentee, mentee_profile())
    w.post(w.teacher, "/pairs/matching/run", mode="quality", floor="40")
    w.post(w.teacher, "/pairs/proposals/send")
    pair_id = w.pair().id
    assert w.post(w.mentor, f"/pairs/{pair_id}/respond", answer="accept").status_code == 303
    resp = w.post(w.mentee, f"/pairs/{pair_id}/respond", answer="decline")
    assert resp.status_code == 303
    assert w.pair().status == "declined" and sent["pair_formed"] == []
    # Re-running never proposes the two again, and a manual pairing is refused too.
    assert w.post(w.teacher, "/pairs/matching/run", mode="participation",
                  floor="0").status_code == 303
    with w.app.app_context():
        drafts = db.session.scalars(db.select(Proposal).where(Proposal.status == "draft")).all()
        assert drafts == []
    html = w.html(w.teacher, "/pairs/matching")
    assert "Mentees without a suggestion" in html
    resp = w.post(w.teacher, "/pairs/proposals/manual", mentor_id=str(w.mentor.user_id),
                  mentee_id=str(w.mentee.user_id), reason="They asked me to")
    assert resp.status_code == 409
    assert "declined this pairing before" in resp.get_data(as_text=True)
    assert "They asked me to" in resp.get_data(as_text=True)  # the reason is kept on screen
    assert _count(w.app, Pair) == 1


def test_asking_for_more_information_keeps_the_proposal_open(world):
    w = world
    w.join(w.mentor, mentor_profile())
    w.join(w.mentee, mentee_profile())
    w.post(w.teacher, "/pairs/matching/run", mode="quality", floor="40")
    w.post(w.teacher, "/pairs/proposals/send")
    pair_id = w.pair().id
    resp = w.post(w.mentee, f"/pairs/{pair_id}/respond", answer="info")
    assert resp.status_code == 422
    assert "Please write what you would like to know." in resp.get_data(as_text=True)
    assert w.post(w.mentee, f"/pairs/{pair_id}/respond", answer="info",
                  question="Does the mentor speak Italian?").status_code == 303
    assert w.pair().status == "proposed"
    html = w.html(w.teacher, "/pairs/program")
    assert "A partner asked for more information" in html
    # The question is addressed to the program team, so the instructor reads it.
    assert "Sam Senior asks you:" in html and "Does the mentor speak Italian?" in html


def test_a_link_for_mentors_suggests_the_mentor_role(app, client):
    from tests.factories import course, person

    ctx = course(app)
    who = person(app, ctx, program_role="mentor")
    html = client.get("/pairs/profile", query_string=who.q()).get_data(as_text=True)
    assert 'name="role_preference" value="mentor" checked' in html
