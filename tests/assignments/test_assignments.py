"""Assigning modules inside the tool: audiences, due dates, the query the catalogue uses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lti_tool.assignments.models import Assignment
from lti_tool.assignments.queries import assigned_modules
from lti_tool.assignments.services import assign_module
from lti_tool.db import db, utcnow
from lti_tool.errors import ValidationFailed
from lti_tool.pairs.models import Pair, Profile
from tests import factories

D1, M1, F1, P1 = ("d1-search-and-check-sources", "m1-active-listening",
                  "f1-sbi-feedback", "p1-how-reverse-mentoring-works")


@pytest.fixture
def course(app):
    ctx = factories.course(app)
    people = {
        "irene": factories.person(app, ctx, role="instructor", name="Irene"),
        "maya": factories.person(app, ctx, name="Maya"),
        "luca": factories.person(app, ctx, name="Luca"),
        "giovanni": factories.person(app, ctx, name="Giovanni"),
        "margaret": factories.person(app, ctx, name="Margaret"),
    }
    with app.app_context():
        now = utcnow()
        active = Pair(context_id=ctx, mentor_id=people["maya"].user_id,
                      mentee_id=people["giovanni"].user_id, status="active", proposed_at=now,
                      mentor_accepted_at=now, mentee_accepted_at=now, formed_at=now)
        declined = Pair(context_id=ctx, mentor_id=people["luca"].user_id,
                        mentee_id=people["margaret"].user_id, status="declined",
                        proposed_at=now, declined_at=now)
        db.session.add_all([active, declined])
        db.session.flush()
        people["pair"] = active.id
        people["declined_pair"] = declined.id
        db.session.commit()
    people["ctx"] = ctx
    return people


def add(app, ctx, slug, audience, pair_id=None, due=None):
    with app.app_context():
        library = app.extensions["lti_tool.modules"]
        assign_module(context_id=ctx, module_slug=slug, audience=audience, pair_id=pair_id,
                      due_on=due, assigned_by=None, known_slugs={m.slug for m in library})
        db.session.commit()


def query(app, who, ctx, today=None):
    with app.app_context():
        return assigned_modules(who.user_id, ctx, today=today)


def test_course_mentors_mentees_and_pair_assignments(app, course):
    ctx = course["ctx"]
    today = date(2026, 12, 1)
    add(app, ctx, P1, "course")
    add(app, ctx, M1, "mentors", due=today - timedelta(days=1))
    add(app, ctx, D1, "mentees", due=today + timedelta(days=7))
    add(app, ctx, F1, "pair", pair_id=course["pair"], due=today + timedelta(days=3))
    maya = query(app, course["maya"], ctx, today)  # mentor of the active pair
    assert [a.module_slug for a in maya] == [M1, F1, P1]
    assert maya[0].overdue and maya[0].due_on == today - timedelta(days=1)
    assert not maya[1].overdue and maya[2].due_on is None
    giovanni = query(app, course["giovanni"], ctx, today)  # mentee of the active pair
    assert [a.module_slug for a in giovanni] == [F1, D1, P1]
    luca = query(app, course["luca"], ctx, today)  # only in a declined pair: course only
    assert [a.slug for a in luca] == [P1]


def test_a_profile_preference_counts_before_any_pair(app, course):
    ctx = course["ctx"]
    with app.app_context():
        db.session.add(Profile(context_id=ctx, user_id=course["luca"].user_id,
                               role_preference="mentee", response_time="day", cadence="weekly",
                               availability=bytes(21), career_stage=5))
        db.session.commit()
    add(app, ctx, D1, "mentees")
    assert [a.module_slug for a in query(app, course["luca"], ctx)] == [D1]


def test_several_assignments_of_one_module_merge_with_the_earliest_due_date(app, course):
    ctx = course["ctx"]
    soon, later = date.today() + timedelta(days=2), date.today() + timedelta(days=9)
    add(app, ctx, D1, "course", due=later)
    add(app, ctx, D1, "mentors", due=soon)
    [only] = query(app, course["maya"], ctx)
    assert only.due_on == soon and only.audiences == ("course", "mentors")


def test_assigning_again_updates_the_due_date(app, course):
    ctx = course["ctx"]
    add(app, ctx, D1, "course", due=date(2026, 12, 24))
    add(app, ctx, D1, "course", due=date(2027, 1, 10))
    with app.app_context():
        assert db.session.query(Assignment).count() == 1
    assert query(app, course["maya"], ctx)[0].due_on == date(2027, 1, 10)


def test_bad_assignments_are_refused_with_field_messages(app, course):
    ctx = course["ctx"]
    with pytest.raises(ValidationFailed) as bad:
        add(app, ctx, "no-such-module", "course")
    assert "module" in bad.value.fields
    with pytest.raises(ValidationFailed) as bad:
        add(app, ctx, D1, "pair", pair_id=course["declined_pair"])
    assert "pair" in bad.value.fields
    other = factories.course(app, context_id="course-2")
    with pytest.raises(ValidationFailed):
        add(app, other, D1, "pair", pair_id=course["pair"])  # a pair of another course


# -- the instructor's page -----------------------------------------------------------------

def test_the_instructor_assigns_and_removes_through_the_page(app, course):
    web = app.test_client()
    irene = course["irene"]
    page = web.get("/assignments/", query_string=irene.q())
    assert page.status_code == 200 and b"Assign a module" in page.data
    done = web.post("/assignments/", query_string=irene.q(),
                    data=irene.form(module=F1, audience="pair", pair_id=course["pair"],
                                    due_on="2026-12-31"))
    assert done.status_code == 303
    listed = web.get("/assignments/", query_string=irene.q())
    assert b"Maya &amp; Giovanni" in listed.data and b"2026-12-31" in listed.data
    bad = web.post("/assignments/", query_string=irene.q(),
                   data=irene.form(module=F1, audience="course", due_on="31/12/2026"))
    assert bad.status_code == 422 and b"2026-12-31" in bad.data  # says the format
    with app.app_context():
        row_id = db.session.query(Assignment.id).scalar()
    gone = web.post(f"/assignments/{row_id}/delete", query_string=irene.q(), data=irene.form())
    assert gone.status_code == 303
    assert query(app, course["maya"], course["ctx"]) == []


def test_learners_and_other_courses_cannot_assign(app, course):
    web = app.test_client()
    maya = course["maya"]
    assert web.get("/assignments/", query_string=maya.q()).status_code == 403
    assert web.post("/assignments/", query_string=maya.q(),
                    data=maya.form(module=D1, audience="course")).status_code == 403
    add(app, course["ctx"], D1, "course")
    other_ctx = factories.course(app, context_id="course-2")
    stranger = factories.person(app, other_ctx, role="instructor")
    with app.app_context():
        row_id = db.session.query(Assignment.id).scalar()
    resp = web.post(f"/assignments/{row_id}/delete", query_string=stranger.q(),
                    data=stranger.form())
    assert resp.status_code == 404
    assert len(query(app, maya, course["ctx"])) == 1


def test_a_post_without_the_csrf_token_is_refused(app, course):
    irene = course["irene"]
    resp = app.test_client().post("/assignments/", query_string=irene.q(),
                                  data={"module": D1, "audience": "course"})
    assert resp.status_code == 403
