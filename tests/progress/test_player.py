"""The step player through the test client: every step kind, resume, the progress bar, languages,
instructors' preview, lesson images and refusals of modules and steps that do not exist."""

from __future__ import annotations

import re

from lti_tool.db import db
from lti_tool.progress.models import QuizAttempt, Reflection, SelfAssessment, StepCompletion
from tests.factories import course, person
from tests.progress.conftest import (
    D6,
    D6_RIGHT,
    answer_quiz,
    copy_content,
    post_step,
    step_url,
    walk_d6_to_quiz,
)


def _text(resp):
    return resp.get_data(as_text=True)


def test_a_step_page_shows_where_the_learner_is(app, client):
    learner = person(app, course(app))
    resp = client.get(step_url(D6, "passwords"), query_string=learner.q())
    # Step 2 is locked until step 1 is done.
    assert resp.status_code == 409
    post_step(client, learner, D6, "before", **{"rating-4.1": "1", "rating-4.2": "2"})
    html = _text(client.get(step_url(D6, "passwords"), query_string=learner.q()))
    assert "Step 2 of 6" in html
    assert '<progress id="module-progress" max="6" value="1"' in html
    assert "1 of 6 steps done" in html
    assert '<h1 id="step-title" tabindex="-1">' in html
    # Every link and form keeps the launch token (no cookies inside an LMS iframe).
    actions = re.findall(r'<form method="post" action="([^"]+)"', html)
    assert actions and all("ltik=" in a for a in actions)
    hrefs = re.findall(r'href="(/modules[^"]*)"', html)
    assert hrefs and all("ltik=" in h for h in hrefs)


def test_a_lesson_continues_to_the_next_step_with_focus_on_its_heading(app, client):
    learner = person(app, course(app))
    post_step(client, learner, D6, "before", **{"rating-4.1": "1", "rating-4.2": "2"})
    resp = post_step(client, learner, D6, "passwords")
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith(step_url(D6, "mfa"))
    assert resp.headers["Location"].endswith("#step-title")
    html = _text(client.get(step_url(D6, "mfa"), query_string=learner.q()))
    assert "Step 3 of 6" in html and 'value="2"' in html


def test_resume_goes_to_the_first_step_not_done(app, client):
    learner = person(app, course(app))
    resp = client.get(f"/modules/{D6}/continue", query_string=learner.q())
    assert resp.headers["Location"].startswith(step_url(D6, "before"))
    walk_d6_to_quiz(client, learner)
    resp = client.get(f"/modules/{D6}/continue", query_string=learner.q())
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith(step_url(D6, "check"))
    overview = _text(client.get(f"/modules/{D6}", query_string=learner.q()))
    assert "Continue: step 5 of 6" in overview
    home = _text(client.get("/learn", query_string=learner.q()))
    assert "Continue where you left off" in home and "Step 5 of 6" in home


def test_self_assessment_shows_the_scale_per_competence_and_records_once(app, client, sent):
    learner = person(app, course(app))
    html = _text(client.get(step_url(D6, "before"), query_string=learner.q()))
    assert html.count("<fieldset>") == 2
    assert "4.1 Protecting devices" in html and "4.2 Protecting personal data and privacy" in html
    for label in ("I can't do this yet", "I can do it with help", "I can do it on my own",
                  "I can do it confidently", "I can guide others"):
        assert label in html
    assert 'for="rating-4.1-1"' in html and 'id="rating-4.1-1"' in html
    # One competence missing: 422, the error is linked to the field, nothing recorded.
    resp = post_step(client, learner, D6, "before", **{"rating-4.1": "3"})
    assert resp.status_code == 422
    err = _text(resp)
    assert 'aria-describedby="rating-4.2-error"' in err and 'id="rating-4.2-error"' in err
    assert "data-autofocus" in err and 'href="#rating-4.2-1"' in err
    assert 'value="3" checked' in err  # what was chosen stays chosen
    assert post_step(client, learner, D6, "before",
                     **{"rating-4.1": "9", "rating-4.2": "1"}).status_code == 422
    assert post_step(client, learner, D6, "before",
                     **{"rating-4.1": "2", "rating-4.2": "1", "rating-9.9": "1"}
                     ).status_code == 422
    assert sent["self"] == []
    assert post_step(client, learner, D6, "before",
                     **{"rating-4.1": "2", "rating-4.2": "4"}).status_code == 303
    assert post_step(client, learner, D6, "before",
                     **{"rating-4.1": "5", "rating-4.2": "5"}).status_code == 303
    with app.app_context():
        rows = db.session.scalars(db.select(SelfAssessment)).all()
        assert [r.ratings for r in rows] == [{"4.1": 2, "4.2": 4}]
        assert rows[0].source == D6
    assert len(sent["self"]) == 1
    assert sent["self"][0]["ratings"] == {"4.1": 2, "4.2": 4} and sent["self"][0]["source"] == D6
    again = _text(client.get(step_url(D6, "before"), query_string=learner.q()))
    assert "Your ratings" in again and "I can do it confidently" in again


def test_quiz_shows_feedback_and_can_be_retaken(app, client, sent):
    learner = person(app, course(app))
    walk_d6_to_quiz(client, learner)
    form = _text(client.get(step_url(D6, "check"), query_string=learner.q()))
    assert form.count("<fieldset>") == 3 and form.count("<legend>") == 3
    assert "Question 1 of 3" in form
    assert re.search(r'<label class="choice" for="q-q1-0"><input type="radio" id="q-q1-0" '
                     r'name="q-q1" value="a"', form)
    resp = answer_quiz(client, learner, D6, {"q1": "a", "q2": "a", "q3": "a"})
    assert resp.status_code == 303 and "#quiz-result" in resp.headers["Location"]
    result = _text(client.get(resp.headers["Location"].split("#")[0]))
    assert "You answered 1 of 3 questions right." in result and "Not passed yet." in result
    assert "Try again" in result
    assert [e["step_id"] for e in sent["step"]][-1] == "check"
    assert sent["step"][-1]["score"] == 1 and sent["step"][-1]["passed"] is False
    resp = answer_quiz(client, learner, D6, D6_RIGHT)
    result = _text(client.get(resp.headers["Location"].split("#")[0]))
    assert "You answered 3 of 3 questions right." in result and "Passed." in result
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(QuizAttempt)) == 2
        assert db.session.scalar(db.select(db.func.count()).select_from(StepCompletion)
                                 .where(StepCompletion.step_id == "check")) == 1
    assert [e["step_id"] for e in sent["step"]].count("check") == 1


def test_someone_elses_quiz_attempt_is_not_shown(app, client):
    ctx = course(app)
    one, other = person(app, ctx), person(app, ctx)
    walk_d6_to_quiz(client, one)
    walk_d6_to_quiz(client, other)
    location = answer_quiz(client, one, D6, D6_RIGHT).headers["Location"]
    attempt = re.search(r"attempt=(\d+)", location).group(1)
    resp = client.get(step_url(D6, "check"), query_string=other.q(attempt=attempt))
    assert resp.status_code == 404


def test_reflection_is_private_by_default_and_can_be_edited(app, client, sent):
    ctx = course(app)
    learner = person(app, ctx)
    slug = "f1-sbi-feedback"  # lesson, lesson, quiz, reflection, pair-activity
    for step in ("why", "sbi"):
        assert post_step(client, learner, slug, step).status_code == 303, step
    answer_quiz(client, learner, slug, {"q1": "b", "q2": "b", "q3": "b"})
    html = _text(client.get(step_url(slug, "prepare"), query_string=learner.q()))
    assert '<label for="reflection-text">' in html
    assert 'aria-describedby="reflection-prompt reflection-privacy"' in html
    resp = post_step(client, learner, slug, "prepare", text="   ")
    assert resp.status_code == 422
    assert 'aria-describedby="reflection-prompt reflection-privacy reflection-text-error"' in \
        _text(resp)
    assert post_step(client, learner, slug, "prepare", text="I jump to advice.").status_code == 303
    assert post_step(client, learner, slug, "prepare", text="I jump to advice too fast.",
                     share="1").status_code == 303
    with app.app_context():
        rows = db.session.scalars(db.select(Reflection)).all()
        assert [(r.text, r.shared) for r in rows] == [("I jump to advice too fast.", True)]
    assert [e["step_id"] for e in sent["step"]].count("prepare") == 1


def test_pair_activity_without_a_partner_is_pending_not_complete(app, client, sent):
    learner = person(app, course(app))
    walk_d6_to_quiz(client, learner)
    answer_quiz(client, learner, D6, D6_RIGHT)
    html = _text(client.get(step_url(D6, "together"), query_string=learner.q()))
    assert "You do not have an active partner yet" in html and "I did this on my own" in html
    resp = post_step(client, learner, D6, "together", solo="1")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("#pair-status")
    html = _text(client.get(step_url(D6, "together"), query_string=learner.q()))
    assert "waiting for a partner" in html
    assert post_step(client, learner, D6, "together", solo="1").status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StepCompletion)
                                 .where(StepCompletion.step_id == "together")) == 0
    assert sent["module"] == []
    overview = _text(client.get(f"/modules/{D6}", query_string=learner.q()))
    assert "5 of 6 steps done" in overview and "Waiting for your partner" in overview


def test_content_follows_the_learners_language_with_english_fallback(app, client):
    ctx = course(app)
    it, pt, en = (person(app, ctx, locale=lang) for lang in ("it", "pt", "en"))
    title = {"it": "A che punto sei oggi?", "pt": None, "en": "Where are you today?"}
    for who in (it, pt, en):
        html = _text(client.get(step_url(D6, "before"), query_string=who.q()))
        assert f'<html lang="{who.actor.locale}">' in html
        assert f'lang="{who.actor.locale}"' in html
        if title[who.actor.locale]:
            assert title[who.actor.locale] in html
    pt_html = _text(client.get(f"/modules/{D6}", query_string=pt.q()))
    assert "Senhas, uma segunda fechadura e mensagens-armadilha" in pt_html
    # A language the content does not have falls back to English, marked as such.
    de = person(app, ctx, locale="de")
    html = _text(client.get(f"/modules/{D6}", query_string=de.q()))
    assert 'lang="en">Passwords, a second lock, and spotting the bait</h1>' in html


def test_instructors_preview_steps_but_cannot_record(app, client):
    teacher = person(app, course(app), role="instructor")
    html = _text(client.get(step_url(D6, "check"), query_string=teacher.q()))
    assert "This is a preview for instructors" in html and "Check my answers" not in html
    resp = client.post(step_url(D6, "passwords"), data=teacher.form())
    assert resp.status_code == 403


def test_unknown_modules_and_steps_are_404(app, client):
    learner = person(app, course(app))
    assert client.get("/modules/no-such-module", query_string=learner.q()).status_code == 404
    assert client.get(step_url(D6, "no-such-step"), query_string=learner.q()).status_code == 404
    resp = client.post(step_url("no-such-module", "x"), data=learner.form())
    assert resp.status_code == 404
    assert "does not exist" in _text(resp)


def test_a_hidden_broken_module_cannot_be_opened(make_app, tmp_path):
    content = copy_content(tmp_path, (D6, "f1-sbi-feedback"))
    (content / "modules" / "f1-sbi-feedback" / "it.yaml").unlink()  # broken: hidden
    app = make_app(CONTENT_DIR=str(content))
    learner = person(app, course(app))
    client = app.test_client()
    assert client.get("/modules/f1-sbi-feedback", query_string=learner.q()).status_code == 404
    resp = client.post(step_url("f1-sbi-feedback", "why"), data=learner.form())
    assert resp.status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StepCompletion)) == 0
    assert "f1-sbi-feedback" not in _text(client.get("/modules", query_string=learner.q()))


def test_lesson_images_are_served_only_from_the_modules_images(make_app, tmp_path):
    content = copy_content(tmp_path, (D6,))
    folder = content / "modules" / D6
    (folder / "images").mkdir()
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>'
    (folder / "images" / "lock.svg").write_text(svg)
    (folder / "images" / "stray.svg").write_text(svg)  # in the folder, used by no lesson
    structure = (folder / "module.yaml").read_text()
    (folder / "module.yaml").write_text(structure.replace(
        "  - id: passwords\n    kind: lesson\n",
        "  - id: passwords\n    kind: lesson\n    image: images/lock.svg\n"))
    for lang in ("en", "it", "pt"):
        texts = (folder / f"{lang}.yaml").read_text()
        (folder / f"{lang}.yaml").write_text(texts.replace("\nsteps:\n",
                                                           "\nimage_alt: A padlock\nsteps:\n", 1))
    app = make_app(CONTENT_DIR=str(content))
    assert D6 in app.extensions["lti_tool.modules"], "the edited module still loads"
    client = app.test_client()
    learner = person(app, course(app))
    post_step(client, learner, D6, "before", **{"rating-4.1": "1", "rating-4.2": "2"})
    html = _text(client.get(step_url(D6, "passwords"), query_string=learner.q()))
    assert f'<img src="/content/{D6}/images/lock.svg" alt="A padlock">' in html
    resp = client.get(f"/content/{D6}/images/lock.svg")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    assert client.get(f"/content/{D6}/images/stray.svg").status_code == 404
    assert client.get(f"/content/{D6}/images/..%2Fmodule.yaml").status_code == 404
    assert client.get(f"/content/{D6}/images/../module.yaml").status_code == 404
    assert client.get("/content/nope/images/lock.svg").status_code == 404


def test_progress_assets_are_public_and_limited(client):
    assert client.get("/progress/assets/progress.css").status_code == 200
    assert client.get("/progress/assets/player.js").status_code == 200
    assert client.get("/progress/assets/views.py").status_code == 404
