"""The catalogue: filters by track and audience; assigned and recommended modules first."""

from __future__ import annotations

import re

from lti_tool.db import db
from tests.factories import course, person
from tests.progress.conftest import D6, add_goals, launched_from_link, make_pair, post_step, walk_d6_to_quiz

# In syllabus order: p1 (program, both), m1 (mentoring-practice, mentor), f1 (feedback, both),
# d1 (digital-skills, mentee, 1.1 1.2), d6 (digital-skills, mentee, 4.1 4.2),
# d7 (digital-skills, both, 4.3 4.4).
SYLLABUS = ["p1-how-reverse-mentoring-works", "m1-active-listening", "f1-sbi-feedback",
            "d1-search-and-check-sources", "d6-passwords-mfa-phishing", "d7-digital-wellbeing"]


def _order(client, who, **args):
    resp = client.get("/modules", query_string=who.q(**args))
    assert resp.status_code == 200
    return re.findall(r'<li class="card" id="module-([a-z0-9-]+)">', resp.get_data(as_text=True))


def test_without_hints_the_catalogue_follows_the_syllabus(app, client):
    learner = person(app, course(app))
    assert _order(client, learner) == SYLLABUS


def test_filters_by_track_and_audience(app, client):
    learner = person(app, course(app))
    assert _order(client, learner, track="digital-skills") == SYLLABUS[3:]
    # "mentor" includes modules written for both.
    assert _order(client, learner, audience="mentor") == [SYLLABUS[i] for i in (0, 1, 2, 5)]
    assert _order(client, learner, audience="both") == [SYLLABUS[i] for i in (0, 2, 5)]
    assert _order(client, learner, track="digital-skills", audience="mentee") == SYLLABUS[3:]
    # Unknown values are ignored rather than failing.
    assert _order(client, learner, track="nope", audience="<x>") == SYLLABUS
    html = client.get("/modules", query_string=learner.q(track="digital-skills")).get_data(
        as_text=True)
    assert '<option value="digital-skills" selected>' in html
    # The GET form carries the launch token as a field (a GET form drops the action's query).
    assert f'<input type="hidden" name="ltik" value="{learner.token}">' in html
    assert '<label for="filter-track">' in html and '<label for="filter-audience">' in html


def test_the_program_role_recommends_modules_written_for_it(app, client):
    ctx = course(app)
    mentee = person(app, ctx, program_role="mentee")
    assert _order(client, mentee)[:2] == ["d1-search-and-check-sources", D6]
    mentor = person(app, ctx, program_role="mentor")
    assert _order(client, mentor)[0] == "m1-active-listening"
    # The side in an active pair wins over the launch's hint.
    hinted = person(app, ctx, program_role="mentee")
    make_pair(app, ctx, hinted, person(app, ctx))
    assert _order(client, hinted)[0] == "m1-active-listening"


def test_goals_of_the_pair_come_before_the_role_and_assigned_before_all(app, client):
    ctx = course(app)
    mentee, mentor = person(app, ctx), person(app, ctx)
    pair_id = make_pair(app, ctx, mentor, mentee)
    add_goals(app, pair_id, ["4.3"])  # d7 covers 4.3
    order = _order(client, mentee)
    assert order[:3] == ["d7-digital-wellbeing", "d1-search-and-check-sources", D6]
    html = client.get("/modules", query_string=mentee.q()).get_data(as_text=True)
    assert "Matches your pair&#39;s goals: Protecting health and well-being" in html or \
        "Matches your pair's goals: Protecting health and well-being" in html
    # The link the learner launched from counts as assigned.
    from_link = launched_from_link(app, mentee, "f1-sbi-feedback")
    assert _order(client, from_link)[:2] == ["f1-sbi-feedback", "d7-digital-wellbeing"]


def test_modules_assigned_in_the_tool_come_first(app, client):
    from datetime import timedelta

    from lti_tool.assignments.models import Assignment
    from lti_tool.db import utcnow

    ctx = course(app)
    learner = person(app, ctx)
    with app.app_context():
        db.session.add(Assignment(context_id=ctx, module_slug="d7-digital-wellbeing",
                                  audience="course",
                                  due_on=(utcnow() - timedelta(days=1)).date()))
        db.session.commit()
    assert _order(client, learner)[0] == "d7-digital-wellbeing"
    html = client.get("/modules", query_string=learner.q()).get_data(as_text=True)
    assert "Assigned" in html and "Overdue" in html


def test_finished_modules_go_last_and_show_their_status(app, client):
    ctx = course(app)
    learner = person(app, ctx, program_role="mentee")
    walk_d6_to_quiz(client, learner)
    html = client.get("/modules", query_string=learner.q()).get_data(as_text=True)
    assert "In progress: 4 of 6 steps done" in html
    with app.app_context():
        from lti_tool.progress.models import ModuleCompletion

        db.session.add(ModuleCompletion(user_id=learner.user_id, context_id=ctx,
                                        module_slug="d1-search-and-check-sources",
                                        content_version=1, score=1.0, passed=True))
        db.session.commit()
    order = _order(client, learner)
    assert order[0] == D6 and order[-1] == "d1-search-and-check-sources"


def test_home_sections_for_learners_and_instructors(app, client):
    ctx = course(app)
    learner = person(app, ctx)
    teacher = person(app, ctx, role="instructor")
    html = client.get("/learn", query_string=learner.q()).get_data(as_text=True)
    assert "Continue where you left off" in html and "You have not started a module yet." in html
    post_step(client, learner, D6, "before", **{"rating-4.1": "1", "rating-4.2": "1"})
    html = client.get("/learn", query_string=learner.q()).get_data(as_text=True)
    assert "Step 2 of 6" in html and f"/modules/{D6}/steps/passwords?ltik=" in html
    html = client.get("/program", query_string=teacher.q()).get_data(as_text=True)
    assert "Modules in this course" in html
    row = re.search(r"D6 Passwords[^<]*</a></th><td>(\d+)</td><td>(\d+)</td>", html)
    assert row and row.groups() == ("1", "0")
