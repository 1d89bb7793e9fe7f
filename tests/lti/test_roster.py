"""Roster sync (NRPS) against the demo LMS: paging, withheld names, rate limit, no NRPS."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from demo_lms import client
from demo_lms.config import PlatformConfig
from demo_lms.server import start_platform_server
from lti_tool.db import db, utcnow
from lti_tool.lti.advantage import next_link, url_with_path, url_with_query
from lti_tool.lti.models import Context, Membership, User
from lti_tool.lti.roster import RosterUnavailable, course_roster, not_launched, sync_roster
from lti_tool.lti.services import register_platform
from tests.conftest import serve


def course(world):
    with world.app.app_context():
        return db.session.scalar(select(Context.id))


def sync(world, **kwargs):
    with world.app.app_context():
        kwargs.setdefault("min_minutes", 15)
        result = sync_roster(world.app.extensions["lti_tool.advantage"], course(world),
                             **kwargs)
        db.session.commit()
        return result


def test_paged_roster_with_withheld_names_creates_members_who_never_launched(world):
    client.launch(requests.Session(), world.lms.url, user_id="user-maya")
    result = sync(world, limit=2)
    assert result.synced and result.pages == 4 and result.members == 7
    assert result.created == 6  # everyone but Maya, who launched
    # Every page after the first was fetched with the opaque mixed-case cursor as given.
    pages = [e for e in world.lms.lms.access_log if e.endpoint == "nrps_memberships"]
    assert [e.status for e in pages] == [200] * 4
    with world.app.app_context():
        antonio = db.session.scalar(select(User).where(User.sub == "user-antonio"))
        assert antonio.name is None and antonio.email is None  # withheld by the platform
        giovanni = db.session.scalar(select(User).where(User.sub == "user-giovanni"))
        assert giovanni.name == "Giovanni Rossi"
        rows = {m.user_id: m for m in db.session.scalars(select(Membership))}
        assert rows[antonio.id].source == "roster" and rows[antonio.id].last_launch_at is None
        waiting = not_launched(course(world))
        assert {e.user_id for e in waiting} >= {antonio.id, giovanni.id}
        assert all(e.role == "learner" for e in waiting)
        irene = db.session.scalar(select(User).where(User.sub == "user-irene"))
        assert rows[irene.id].role == "instructor"


def test_a_roster_member_who_launches_becomes_a_launched_member(world):
    client.launch(requests.Session(), world.lms.url, user_id="user-maya")
    sync(world)
    client.launch(requests.Session(), world.lms.url, user_id="user-giovanni", locale="it")
    with world.app.app_context():
        entries = {e.name: e for e in course_roster(course(world))}
        assert entries["Giovanni Rossi"].launched and entries["Giovanni Rossi"].source == "launch"
        assert not entries["Luca Ferri"].launched


def test_sync_runs_at_most_every_n_minutes(world):
    client.launch(requests.Session(), world.lms.url, user_id="user-maya")
    assert sync(world).synced
    assert not sync(world).synced  # within ROSTER_SYNC_MINUTES
    assert world.lms.lms.request_count("nrps_memberships") == 1
    with world.app.app_context():
        ctx = db.session.get(Context, course(world))
        ctx.roster_synced_at = utcnow() - timedelta(minutes=16)
        db.session.commit()
    assert sync(world).synced
    assert sync(world, force=True).synced


def test_the_instructor_page_syncs_and_lists_who_has_not_launched(world):
    s = requests.Session()
    home = client.launch(s, world.lms.url, user_id="user-irene")
    token = home.url.split("ltik=")[1]
    page = s.get(world.tool.url + "/lti/roster", params={"ltik": token})
    assert page.status_code == 200
    assert "Roster updated" in page.text and "Margaret Hughes" in page.text
    assert "Name not shared by the course system" in page.text  # António
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    again = s.post(world.tool.url + "/lti/roster/sync", data={"ltik": token, "csrf_token": csrf})
    assert again.status_code == 200 and "up to date" in again.text
    assert world.lms.lms.request_count("nrps_memberships") == 1
    learner = client.launch(requests.Session(), world.lms.url, user_id="user-maya")
    denied = requests.get(world.tool.url + "/lti/roster",
                          params={"ltik": learner.url.split("ltik=")[1]})
    assert denied.status_code == 403


def test_a_failing_roster_service_is_reported_not_crashed(world):
    s = requests.Session()
    home = client.launch(s, world.lms.url, user_id="user-irene")
    world.lms.lms.faults.error("nrps", status=500)
    page = s.get(world.tool.url + "/lti/roster", params={"ltik": home.url.split("ltik=")[1]})
    assert page.status_code == 200 and "could not be read" in page.text
    with world.app.app_context():  # the failed attempt does not count against the limit
        assert db.session.get(Context, course(world)).roster_synced_at is None


@pytest.fixture
def world_without_nrps(make_app):
    from demo_lms.config import SCOPE_SCORE

    tool, app = serve(lambda url: make_app(url))
    lms = start_platform_server(PlatformConfig(tool_url=tool.url, tool_scopes=(SCOPE_SCORE,)))
    with app.app_context():
        register_platform(issuer=lms.url, client_id="demo-client",
                          auth_login_url=lms.lms.auth_url, auth_token_url=lms.lms.token_url,
                          key_set_url=lms.lms.jwks_url, deployment_ids=["demo-deployment"])
        db.session.commit()
    yield tool, app, lms
    lms.shutdown()
    tool.stop()


def test_a_platform_without_nrps_gets_a_clear_message(world_without_nrps):
    tool, app, lms = world_without_nrps
    s = requests.Session()
    home = client.launch(s, lms.url, user_id="user-irene")
    page = s.get(tool.url + "/lti/roster", params={"ltik": home.url.split("ltik=")[1]})
    assert page.status_code == 200
    assert "does not share its roster" in page.text and "Irene" in page.text
    with app.app_context():
        with pytest.raises(RosterUnavailable):
            sync_roster(app.extensions["lti_tool.advantage"],
                        db.session.scalar(select(Context.id)), min_minutes=0)


def test_service_urls_and_link_headers():
    assert (url_with_path("https://m.example/mod/lti/services.php/2/lineitems/7/lineitem"
                          "?type_id=1", "/scores")
            == "https://m.example/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=1")
    assert url_with_path("https://c.example/api/lti/courses/1/line_items/9/", "/scores") \
        == "https://c.example/api/lti/courses/1/line_items/9/scores"
    assert url_with_query("https://m.example/x?type_id=1", {"limit": 5}) \
        == "https://m.example/x?type_id=1&limit=5"
    header = ('<https://c.example/api/lti/courses/1/names_and_roles?page=AbC-x_Y9&per_page=10>;'
              ' rel="current",<https://c.example/api/lti/courses/1/names_and_roles?page=QzE3&'
              'per_page=10>; rel="next", <https://c.example/x?page=1>; rel="first"')
    assert next_link(header) == ("https://c.example/api/lti/courses/1/names_and_roles?"
                                 "page=QzE3&per_page=10")
    assert next_link('<https://a/b?p=Xy>; rel=next') == "https://a/b?p=Xy"
    assert next_link('<https://a/b>; rel="last"') is None and next_link(None) is None
