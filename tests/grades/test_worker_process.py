"""The worker as a real process: `flask --app lti_tool grades worker`, killed with SIGKILL,
and two of them at once on PostgreSQL (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from lti_tool.db import db, utcnow
from lti_tool.grades.models import ScoreOutbox
from lti_tool.lti.models import User
from tests.conftest import TEST_SECRET

from .conftest import LEARNERS

ROOT = Path(__file__).resolve().parents[2]
SLUG = "d1-search-and-check-sources"


def worker_process(gw, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LTI_TOOL_SECRET_KEY": TEST_SECRET,
           "LTI_TOOL_DATABASE_URL": gw.app.config["SQLALCHEMY_DATABASE_URI"],
           "LTI_TOOL_BASE_URL": gw.tool.url, "LTI_TOOL_ENV": "testing"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "lti_tool", "grades",
                             "worker", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.slow
def test_a_worker_killed_with_sigkill_while_the_platform_is_slow_loses_and_doubles_nothing(gw):
    link = gw.add_module_link(SLUG)
    gw.launch_as("user-maya", link.id)
    gw.complete("user-maya", SLUG, score=0.5)
    gw.lms.lms.faults.slow("scores", delay_ms=1500, times=1)
    proc = worker_process(gw, "--lease-seconds", "3", "--http-timeout", "1.4",
                          "--poll-interval", "0.1")
    try:
        # The POST has reached the platform, which is still "thinking": kill -9 now.
        wait_for(lambda: gw.lms.lms.faults.hits["scores"] >= 1)
        time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    [row] = gw.rows()
    assert row.status == "pending" and row.claimed_until is not None  # held by the dead one
    wait_for(lambda: len(gw.scores()) == 1, timeout=5)  # the platform finished the request
    # A restarted worker waits for the lease, then finds the score already there (409).
    restarted = worker_process(gw, "--poll-interval", "0.1")
    try:
        wait_for(lambda: gw.rows()[0].status == "sent", timeout=15)
    finally:
        restarted.send_signal(signal.SIGTERM)
        out, _ = restarted.communicate(timeout=10)
    assert restarted.returncode == 0, out
    assert "delivered 1 (1 already there)" in out
    assert len(gw.scores()) == 1
    assert gw.scores()[0].body["scoreGiven"] == 50


def test_the_worker_cli_drains_and_exits_with_once(gw):
    link = gw.add_module_link(SLUG)
    for learner in LEARNERS[:3]:
        gw.launch_as(learner, link.id)
        gw.complete(learner, SLUG)
    proc = worker_process(gw, "--once", "--batch-size", "2")
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "delivered 3" in out
    assert len(gw.scores()) == 3
    status = gw.app.test_cli_runner().invoke(args=["grades", "status"])
    assert "sent: 3" in status.output.replace("      ", "")


def test_max_rows_stops_the_worker(gw):
    link = gw.add_module_link(SLUG)
    for learner in LEARNERS[:3]:
        gw.launch_as(learner, link.id)
        gw.complete(learner, SLUG)
    stats = gw.run_worker(once=False, max_rows=2, batch_size=5)
    assert stats.claimed == 2 and len(gw.scores()) == 2


def test_the_cli_refuses_a_lease_shorter_than_two_timeouts(gw):
    result = gw.app.test_cli_runner().invoke(
        args=["grades", "worker", "--once", "--lease-seconds", "5", "--http-timeout", "4"])
    assert result.exit_code != 0 and "twice" in result.output


@pytest.mark.slow
def test_two_workers_never_post_the_same_row(make_world):
    """PostgreSQL: two worker processes race over the same 240 rows."""
    gw = make_world()
    if not gw.app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL (SKIP LOCKED); SQLite runs one")
    slugs = [f"module-{i:02d}" for i in range(40)]
    links = [gw.add_module_link(slug) for slug in slugs]
    for learner in LEARNERS:
        gw.launch_as(learner)
    with gw.app.app_context():  # 40 line items × 6 learners, written like completions do
        from lti_tool import events

        users = dict(db.session.execute(select(User.sub, User.id)).all())
        course = gw.course_pk()
        from lti_tool.lti.models import Context, ResourceLink

        ctx = db.session.get(Context, course)
        for link, slug in zip(links, slugs, strict=True):
            db.session.add(ResourceLink(context_id=ctx.id, resource_link_id=link.id,
                                        module_slug=slug,
                                        lineitem_url=gw.line_item_of(link)))
        db.session.flush()
        for slug in slugs:
            for learner in LEARNERS:
                events.module_completed.send("tests", user_id=users[learner],
                                             context_id=course, module_slug=slug,
                                             content_version=1, score=0.5, passed=True,
                                             completed_at=utcnow())
        db.session.commit()
    total = len(slugs) * len(LEARNERS)
    assert len(gw.rows()) == total
    gw.lms.lms.faults.slow("scores", delay_ms=5)  # interleave the two workers
    procs = [worker_process(gw, "--once", "--batch-size", "7") for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    claimed = [int(o.split("claimed ")[1].split(",")[0]) for o in outputs]
    assert sum(claimed) == total and min(claimed) > 0, outputs  # both took part
    posts = Counter((s.line_item_id, s.user_id) for s in gw.scores())
    assert len(posts) == total and set(posts.values()) == {1}
    assert gw.lms.lms.rejected_scores == []
    assert gw.lms.lms.request_count("ags_scores") == total  # no row was posted twice
    assert {r.status for r in gw.rows()} == {"sent"}
    with gw.app.app_context():
        assert db.session.scalar(select(db.func.max(ScoreOutbox.attempts))) == 1
