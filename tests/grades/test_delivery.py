"""Scores from a completed module to the demo LMS gradebook, exactly once, whatever happens."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from lti_tool.db import db, utcnow
from lti_tool.grades.models import GradeLineItem, ScoreOutbox
from lti_tool.lti.advantage_models import AccessToken

SLUG = "d1-search-and-check-sources"
OTHER = "m1-active-listening"
LEARNERS_3 = ("user-maya", "user-luca", "user-beatriz")


def placed(gw, slug=SLUG, learners=("user-maya",)):
    """The module is placed in the course with a line item and the learners launched it."""
    link = gw.add_module_link(slug)
    for learner in learners:
        gw.launch_as(learner, link.id)
    return link


def test_a_completed_module_reaches_the_gradebook_once(gw):
    link = placed(gw)
    gw.complete("user-maya", SLUG, score=2 / 3)
    [row] = gw.rows()
    assert (row.status, row.lineitem_url) == ("pending", gw.line_item_of(link))
    stats = gw.run_worker()
    assert stats.sent == 1
    [score] = gw.scores("user-maya")
    assert score.line_item_id == link.line_item_id
    assert score.body["scoreGiven"] == pytest.approx(66.67)
    assert score.body["scoreMaximum"] == 100
    assert (score.activity_progress, score.grading_progress) == ("Completed", "FullyGraded")
    assert score.body["timestamp"].endswith("+00:00")
    assert gw.rows()[0].status == "sent"
    assert gw.run_worker().claimed == 0  # nothing left: never sent twice


def test_moodle_style_service_urls_keep_their_query_string(gw):
    placed(gw)
    gw.complete("user-maya", SLUG)
    gw.run_worker()
    posts = [e for e in gw.lms.lms.access_log if e.endpoint == "ags_scores"]
    # The demo LMS answers 400 unless ?type_id=1 is kept after /scores was inserted.
    assert [e.status for e in posts] == [200] and len(gw.scores()) == 1
    assert gw.rows()[0].lineitem_url.endswith("?type_id=1")


def test_without_a_link_line_item_one_is_found_or_created_by_resource_id(gw):
    gw.launch_as("user-maya")
    gw.launch_as("user-luca")
    gw.complete("user-maya", SLUG, score=1.0)
    gw.complete("user-luca", SLUG, score=0.5)
    assert gw.run_worker().sent == 2
    items = [li for li in gw.lms.lms.line_items.values() if li.resource_id == SLUG]
    assert len(items) == 1 and items[0].tag == "reverse-mentoring"
    assert items[0].score_maximum == 100 and items[0].label  # the module's title
    assert {s.user_id for s in gw.scores()} == {"user-maya", "user-luca"}
    with gw.app.app_context():
        assert db.session.scalar(select(GradeLineItem.lineitem_url)).endswith("?type_id=1")


def test_an_existing_column_with_the_module_as_resource_id_is_reused(gw):
    link = gw.add_module_link(SLUG)  # placed by Deep Linking, but nobody launched the link yet
    gw.launch_as("user-maya")
    gw.complete("user-maya", SLUG)
    gw.run_worker()
    assert len(gw.lms.lms.line_items) == 1
    assert [s.line_item_id for s in gw.scores()] == [link.line_item_id]


def test_a_platform_without_ags_leaves_the_module_ungraded(make_world):
    from demo_lms.config import SCOPE_NRPS

    gw = make_world({"tool_scopes": (SCOPE_NRPS,)})
    gw.launch_as("user-maya")
    gw.complete("user-maya", SLUG)
    assert gw.rows() == []
    assert gw.run_worker().claimed == 0


def test_a_platform_that_forbids_creating_columns_grades_only_placed_modules(make_world):
    from demo_lms.config import SCOPE_LINEITEM_READONLY, SCOPE_SCORE

    gw = make_world({"tool_scopes": (SCOPE_SCORE, SCOPE_LINEITEM_READONLY)})
    link = placed(gw)
    gw.complete("user-maya", SLUG)
    gw.complete("user-maya", OTHER)  # never placed: no column, and none may be created
    assert [r.module_slug for r in gw.rows()] == [SLUG]
    gw.run_worker()
    assert [s.line_item_id for s in gw.scores()] == [link.line_item_id]


# -- the platform misbehaves ---------------------------------------------------------------

def test_server_errors_are_retried_with_back_off(gw):
    placed(gw)
    gw.lms.lms.faults.error("scores", status=500, times=2)
    gw.complete("user-maya", SLUG)
    stats = gw.run_worker()
    assert stats.rescheduled == 1 and stats.sent == 0
    [row] = gw.rows()
    assert row.status == "pending" and row.last_status == 500 and "500" in row.last_error
    assert row.next_attempt_at > utcnow() - timedelta(seconds=1)
    for _ in range(3):
        gw.make_due()
        gw.run_worker()
    assert gw.rows()[0].status == "sent" and gw.rows()[0].attempts == 3
    assert len(gw.scores()) == 1


def test_an_hour_of_downtime_loses_nothing(gw):
    placed(gw, learners=("user-maya", "user-luca"))
    gw.lms.lms.faults.down("ags")
    gw.complete("user-maya", SLUG)
    gw.complete("user-luca", SLUG)
    # 20 attempts with the production back-off (2 s doubling, capped at 10 min, jitter) span
    # more than an hour even when every random draw is the shortest.
    from lti_tool.grades.worker import backoff_seconds

    assert sum(min(600.0, 2.0 * 2 ** (n - 1)) / 2 for n in range(1, 21)) > 3600
    assert backoff_seconds(20, 2.0, 600.0) <= 600
    for _ in range(20):
        gw.make_due()
        gw.run_worker()
    rows = gw.rows()
    assert {r.status for r in rows} == {"pending"} and {r.attempts for r in rows} == {20}
    assert all("503" in r.last_error or "not tried" in r.last_error for r in rows)
    # One failing call per batch, not one per row: a down platform is not hammered.
    assert gw.lms.lms.faults.hits["ags"] == 20
    gw.lms.lms.faults.reset()
    gw.make_due()
    gw.run_worker()
    assert {r.status for r in gw.rows()} == {"sent"}
    assert sorted(s.user_id for s in gw.scores()) == ["user-luca", "user-maya"]


def test_slow_answers_beyond_the_timeout_are_retried_and_counted_once(gw):
    placed(gw)
    gw.lms.lms.faults.slow("scores", delay_ms=700, times=1)
    gw.complete("user-maya", SLUG)
    stats = gw.run_worker(http_timeout=0.25, lease_seconds=5)
    assert stats.rescheduled == 1
    assert "Timeout" in gw.rows()[0].last_error
    # The platform still stored the score after our timeout; the retry finds it there (409).
    deadline = time.monotonic() + 5
    while not gw.scores() and time.monotonic() < deadline:
        time.sleep(0.05)
    gw.make_due()
    stats = gw.run_worker()
    assert stats.already_there == 1 and gw.rows()[0].status == "sent"
    assert len(gw.scores()) == 1


def test_a_failing_token_endpoint_delays_but_loses_nothing(gw):
    placed(gw, learners=("user-maya", "user-luca"))
    gw.lms.lms.faults.error("token", status=500, times=2)
    gw.complete("user-maya", SLUG)
    gw.complete("user-luca", SLUG)
    gw.run_worker()
    assert {r.status for r in gw.rows()} == {"pending"}
    assert all("token" in r.last_error for r in gw.rows())
    assert gw.lms.lms.faults.hits["token"] == 1  # the second row was not tried in that batch
    gw.make_due()
    gw.run_worker()
    gw.make_due()
    gw.run_worker()
    assert {r.status for r in gw.rows()} == {"sent"} and len(gw.scores()) == 2


def test_refused_scores_are_parked_with_the_reason_and_can_be_retried(gw):
    link = placed(gw)
    gw.complete("user-maya", SLUG)
    gw.lms.lms.delete_line_item(link.line_item_id)  # the instructor removed the column
    stats = gw.run_worker()
    assert stats.parked == 1
    [row] = gw.rows()
    assert row.status == "failed" and row.last_status == 404 and "not found" in row.last_error
    assert gw.run_worker().claimed == 0  # parked rows wait for a person
    from lti_tool.grades.services import retry

    with gw.app.app_context():
        retry(row.id)
        db.session.commit()
    assert gw.run_worker().parked == 1  # still refused: parked again, never lost


def test_an_unknown_user_is_parked(gw):
    placed(gw)
    with gw.app.app_context():  # someone the platform does not list in the course (any more)
        from lti_tool.lti.models import User

        maya = db.session.scalar(select(User).where(User.sub == "user-maya"))
        maya.sub = "user-who-left"
        db.session.commit()
    gw.complete("user-who-left", SLUG)
    gw.run_worker()
    [row] = gw.rows()
    assert row.status == "failed" and row.last_status == 400
    assert "not a member" in row.last_error
    assert gw.scores() == []


# -- newest wins -----------------------------------------------------------------------------

def test_a_newer_score_supersedes_an_undelivered_older_one(gw):
    placed(gw)
    t0 = utcnow()
    gw.complete("user-maya", SLUG, score=0.33, at=t0)
    gw.complete("user-maya", SLUG, score=1.0, at=t0 + timedelta(seconds=5))
    assert [r.status for r in gw.rows()] == ["superseded", "pending"]
    gw.run_worker()
    [score] = gw.scores()
    assert score.body["scoreGiven"] == 100


def test_timestamps_increase_strictly_even_when_completions_share_a_clock_tick(gw):
    placed(gw)
    t0 = utcnow()
    for score in (0.33, 0.66, 1.0):
        gw.complete("user-maya", SLUG, score=score, at=t0)
    stamps = [r.scored_at for r in gw.rows()]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    gw.run_worker()  # only the newest goes out
    assert [s.body["scoreGiven"] for s in gw.scores()] == [100]


def test_an_older_score_is_never_posted_after_a_newer_one(gw):
    placed(gw)
    t0 = utcnow()
    gw.complete("user-maya", SLUG, score=0.33, at=t0)
    with gw.app.app_context():  # a worker holds the old score and stalls
        stalled = gw.worker(lease_seconds=60)
        token, ids = stalled.claim(10)
    gw.complete("user-maya", SLUG, score=1.0, at=t0 + timedelta(seconds=1))
    # The newer score waits while the older one is in flight …
    assert gw.run_worker().claimed == 0
    with gw.app.app_context():
        stalled.deliver(token, ids)
    assert gw.run_worker().sent == 1
    assert [s.body["scoreGiven"] for s in gw.scores()] == [33, 100]
    # … and once the newer one is out, the older one is never sent again.
    with gw.app.app_context():
        old = db.session.get(ScoreOutbox, ids[0])
        old.status, old.next_attempt_at = "pending", utcnow()
        db.session.commit()
    assert gw.run_worker().superseded == 1
    assert [s.body["scoreGiven"] for s in gw.scores()] == [33, 100]


# -- killed workers ----------------------------------------------------------------------------

def test_a_killed_workers_rows_are_retried_after_the_lease(gw):
    placed(gw)
    gw.complete("user-maya", SLUG)
    with gw.app.app_context():
        dead = gw.worker(lease_seconds=1)
        token, ids = dead.claim(10)  # … and the process dies here
    assert len(ids) == 1
    assert gw.run_worker().claimed == 0  # the lease still holds
    time.sleep(1.1)
    assert gw.run_worker().sent == 1
    with gw.app.app_context():  # the dead worker's late result changes nothing
        dead.deliver(token, ids)
    assert dead.stats.lost_leases == 1 and dead.stats.sent == 0
    assert len(gw.scores()) == 1


def test_a_worker_killed_after_the_platform_stored_the_score_does_not_duplicate_it(gw):
    placed(gw)
    gw.complete("user-maya", SLUG)
    with gw.app.app_context():
        dead = gw.worker(lease_seconds=1)
        token, [row_id] = dead.claim(10)
        row = db.session.get(ScoreOutbox, row_id)
        from lti_tool.lti.advantage import platform_access

        access = platform_access(row.registration_id)
        dead.client.post_score(access, frozenset(row.scopes.split()), row.lineitem_url,
                               dead._body(row, access))
        db.session.rollback()  # killed before writing "sent"
    assert len(gw.scores()) == 1
    time.sleep(1.1)
    stats = gw.run_worker()
    assert stats.already_there == 1
    [row] = gw.rows()
    assert row.status == "sent" and "already had" in row.last_error
    assert len(gw.scores()) == 1  # the gradebook got it once


# -- access tokens -----------------------------------------------------------------------------

def test_access_tokens_are_shared_by_workers_until_they_expire(gw):
    placed(gw, learners=LEARNERS_3)
    for learner in LEARNERS_3:
        gw.complete(learner, SLUG)
        gw.run_worker()  # a fresh worker (a new process) each time
    assert len(gw.scores()) == 3
    assert gw.lms.lms.request_count("token") == 1
    with gw.app.app_context():
        token = db.session.scalar(select(AccessToken))
        assert token.expires_at > utcnow() + timedelta(minutes=50)  # from expires_in
        token.expires_at = utcnow() + timedelta(seconds=30)  # inside the safety margin
        db.session.commit()
    gw.complete("user-maya", SLUG, at=utcnow() + timedelta(seconds=1))
    gw.run_worker()
    assert gw.lms.lms.request_count("token") == 2


def test_a_revoked_token_is_replaced_once(gw):
    placed(gw)
    gw.complete("user-maya", SLUG)
    gw.run_worker()
    with gw.app.app_context():
        token = db.session.scalar(select(AccessToken))
        token.access_token = "revoked"
        db.session.commit()
    gw.complete("user-maya", SLUG, at=utcnow() + timedelta(seconds=1))
    assert gw.run_worker().sent == 1
    assert gw.lms.lms.request_count("token") == 2


def test_the_token_audience_is_sent_exactly_as_registered(gw):
    """Canvas wants aud = its token URL byte for byte; a trailing slash breaks it."""
    placed(gw)
    gw.complete("user-maya", SLUG)
    with gw.app.app_context():
        from lti_tool.lti.models import Registration

        reg = db.session.scalar(select(Registration))
        reg.token_audience = gw.lms.lms.token_url + "/"
        db.session.commit()
    gw.run_worker()
    [row] = gw.rows()
    assert row.status == "pending" and "aud" in row.last_error
    with gw.app.app_context():
        reg = db.session.scalar(select(Registration))
        reg.token_audience = gw.lms.lms.token_url
        db.session.commit()
    gw.make_due()
    gw.run_worker()
    assert gw.rows()[0].status == "sent"


def test_backoff_grows_with_jitter_and_honours_retry_after():
    import random

    from lti_tool.grades.worker import backoff_seconds

    rng = random.Random(7)
    delays = [backoff_seconds(n, 2.0, 600.0, rng=rng) for n in range(1, 12)]
    for n, d in enumerate(delays, start=1):
        expo = min(600.0, 2.0 * 2 ** (n - 1))
        assert expo / 2 <= d <= expo
    assert len({round(d, 6) for d in delays}) == len(delays)  # jitter: no lockstep
    assert backoff_seconds(1, 2.0, 600.0, retry_after=30, rng=rng) >= 30
    assert backoff_seconds(1, 2.0, 600.0, retry_after=10_000, rng=rng) <= 600


def test_the_outbox_row_is_written_in_the_completion_transaction(gw):
    placed(gw)
    user, course = gw.user_pk("user-maya"), gw.course_pk()
    from lti_tool import events

    with gw.app.app_context():
        events.module_completed.send("tests", user_id=user, context_id=course,
                                     module_slug=SLUG, content_version=1, score=1.0,
                                     passed=True, completed_at=utcnow())
        db.session.rollback()  # the completion failed: its score must not go out either
    assert gw.rows() == []

