"""Two requests at the same moment: a double submit counts once, and two partners confirming
together complete the pair activity for both. Real threads, each with its own session."""

from __future__ import annotations

import threading
import time

from lti_tool.db import db
from lti_tool.progress import queries
from lti_tool.progress.models import StepCompletion
from tests.factories import course, person
from tests.progress.conftest import D6, D6_RIGHT, answer_quiz, make_pair, post_step, walk_d6_to_quiz


def _at_once(*calls):
    results = [None] * len(calls)

    def run(i, call):
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def _slow(monkeypatch, module, name, seconds=0.3):
    real = getattr(module, name)

    def slowed(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(seconds)  # widen the window between reading and writing
        return result

    monkeypatch.setattr(module, name, slowed)


def test_a_concurrent_double_submit_counts_once(app, sent, monkeypatch):
    learner = person(app, course(app))
    client = app.test_client()
    post_step(client, learner, D6, "before", **{"rating-4.1": "1", "rating-4.2": "1"})
    _slow(monkeypatch, queries, "module_progress")  # both requests see "not done yet"
    one, two = _at_once(lambda: post_step(app.test_client(), learner, D6, "passwords"),
                        lambda: post_step(app.test_client(), learner, D6, "passwords"))
    assert (one.status_code, two.status_code) == (303, 303)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StepCompletion)
                                 .where(StepCompletion.step_id == "passwords")) == 1
    assert [e["step_id"] for e in sent["step"]].count("passwords") == 1


def test_partners_confirming_at_the_same_moment_both_complete(app, sent, monkeypatch):
    ctx = course(app)
    mentor, mentee = person(app, ctx), person(app, ctx)
    pair_id = make_pair(app, ctx, mentor, mentee)
    client = app.test_client()
    for who in (mentor, mentee):
        walk_d6_to_quiz(client, who)
        answer_quiz(client, who, D6, D6_RIGHT)
    # Each request looks for the partner's confirmation only after a pause: without the lock in
    # services._lock_pair_activities both would look before the other committed, and neither
    # would complete (fails on PostgreSQL; SQLite lets one writer at a time anyway).
    _slow(monkeypatch, queries, "confirmations")
    one, two = _at_once(
        lambda: post_step(app.test_client(), mentor, D6, "together", pair_id=str(pair_id)),
        lambda: post_step(app.test_client(), mentee, D6, "together", pair_id=str(pair_id)))
    assert (one.status_code, two.status_code) == (303, 303)
    done = sorted(e["user_id"] for e in sent["step"] if e["step_id"] == "together")
    assert done == sorted([mentor.user_id, mentee.user_id])
    assert len(sent["module"]) == 2
