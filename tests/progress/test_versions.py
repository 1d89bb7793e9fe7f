"""Editing a module later never loses or corrupts past progress: rows keep their content
version; progress is measured against the current version's steps."""

from __future__ import annotations

from lti_tool.db import db
from lti_tool.progress.models import ModuleCompletion, StepCompletion
from tests.factories import course, person
from tests.progress.conftest import D6, copy_content, post_step, step_url


def _v2(content):
    """Version 2 of d6: the "mfa" lesson is gone and a new "recap" lesson comes before the quiz."""
    folder = content / "modules" / D6
    structure = (folder / "module.yaml").read_text()
    structure = structure.replace("version: 1", "version: 2").replace(
        "  - id: mfa\n    kind: lesson\n", "").replace(
        "  - id: check\n", "  - id: recap\n    kind: lesson\n  - id: check\n")
    (folder / "module.yaml").write_text(structure)
    for lang in ("en", "it", "pt"):
        texts = (folder / f"{lang}.yaml").read_text()
        start = texts.index("\n  mfa:\n")
        end = texts.index("\n  phishing:\n")
        texts = texts[:start] + texts[end:]
        texts = texts.replace("\n  check:\n", "\n  recap:\n    title: Recap NEW\n    body: |\n"
                              "      Three habits, one at a time.\n  check:\n", 1)
        (folder / f"{lang}.yaml").write_text(texts)


def test_a_new_content_version_keeps_past_progress(make_app, tmp_path):
    v1 = copy_content(tmp_path / "v1", (D6,))
    old = make_app(CONTENT_DIR=str(v1))
    ctx = course(old)
    learner = person(old, ctx)
    client = old.test_client()
    post_step(client, learner, D6, "before", **{"rating-4.1": "1", "rating-4.2": "1"})
    post_step(client, learner, D6, "passwords")
    post_step(client, learner, D6, "mfa")
    post_step(client, learner, D6, "phishing")

    v2 = copy_content(tmp_path / "v2", (D6,))
    _v2(v2)
    new = make_app(CONTENT_DIR=str(v2))
    assert new.extensions["lti_tool.modules"].version(D6) == 2
    client = new.test_client()
    with new.app_context():
        rows = db.session.scalars(db.select(StepCompletion).order_by(StepCompletion.id)).all()
        # The completion of the removed step is still there, with the version it was made in.
        assert [(r.step_id, r.content_version) for r in rows] == [
            ("before", 1), ("passwords", 1), ("mfa", 1), ("phishing", 1)]
    overview = client.get(f"/modules/{D6}", query_string=learner.q()).get_data(as_text=True)
    # Counted against v2's six steps: before, passwords, phishing are done; mfa no longer counts.
    assert "3 of 6 steps done" in overview
    resume = client.get(f"/modules/{D6}/continue", query_string=learner.q())
    assert resume.headers["Location"].startswith(step_url(D6, "recap"))
    html = client.get(step_url(D6, "recap"), query_string=learner.q()).get_data(as_text=True)
    assert "Step 4 of 6" in html and "Recap NEW" in html
    # A removed step is a clear 404, not an error.
    assert client.get(step_url(D6, "mfa"), query_string=learner.q()).status_code == 404
    assert post_step(client, learner, D6, "recap").status_code == 303
    with new.app_context():
        recap = db.session.scalar(db.select(StepCompletion)
                                  .where(StepCompletion.step_id == "recap"))
        assert recap.content_version == 2


def test_a_completed_module_stays_completed_after_an_update(make_app, tmp_path):
    v2 = copy_content(tmp_path / "v2", (D6,))
    _v2(v2)
    app = make_app(CONTENT_DIR=str(v2))
    ctx = course(app)
    learner = person(app, ctx)
    with app.app_context():
        db.session.add(ModuleCompletion(user_id=learner.user_id, context_id=ctx, module_slug=D6,
                                        content_version=1, score=2 / 3, passed=True))
        for step in ("before", "passwords", "mfa", "phishing", "check", "together"):
            db.session.add(StepCompletion(user_id=learner.user_id, context_id=ctx,
                                          module_slug=D6, step_id=step, kind="lesson",
                                          content_version=1))
        db.session.commit()
    html = app.test_client().get(f"/modules/{D6}", query_string=learner.q()).get_data(
        as_text=True)
    assert "You completed this module" in html and "5 of 6 steps done" in html
    assert "the new steps are open for you" in html
