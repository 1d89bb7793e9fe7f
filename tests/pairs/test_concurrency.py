"""Two partners acting at the same moment, in two real transactions (PostgreSQL only: SQLite
serialises whole-database writes, so there is no interleaving to test there)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from lti_tool.db import db
from lti_tool.pairs import services
from lti_tool.pairs.models import Agreement, Pair
from tests.factories import course, person

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def pg(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (LTI_TOOL_TEST_DATABASE_URL)")


def _both(app, first, second):
    """Run `first` until it has written (not committed), start `second`, then commit `first`."""
    written = threading.Event()
    errors: list[BaseException] = []

    def one():
        try:
            with app.app_context():
                first()
                written.set()
                time.sleep(0.5)  # `second` is now waiting on our row lock
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001
            written.set()
            errors.append(exc)

    def two():
        written.wait(5)
        try:
            with app.app_context():
                second()
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=one), threading.Thread(target=two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return errors


def _proposed(app):
    ctx = course(app)
    mentor, mentee = person(app, ctx), person(app, ctx)
    with app.app_context():
        pair = Pair(context_id=ctx, mentor_id=mentor.user_id, mentee_id=mentee.user_id,
                    proposed_at=NOW)
        db.session.add(pair)
        db.session.commit()
        return pair.id, mentor.user_id, mentee.user_id


def test_both_accepting_at_once_forms_the_pair_exactly_once(pg, app, sent):
    pair_id, mentor, mentee = _proposed(app)

    def accept(user):
        return lambda: services.respond_to_proposal(db.session.get(Pair, pair_id), user,
                                                    "accept", "", NOW)

    assert _both(app, accept(mentor), accept(mentee)) == []
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        assert pair.status == "active"
        assert db.session.scalar(db.select(db.func.count()).select_from(Agreement)) == 1
    assert len(sent["pair_formed"]) == 1


def test_two_saves_of_the_same_revision_one_wins_one_conflicts(pg, app):
    pair_id, mentor, mentee = _proposed(app)
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        services.respond_to_proposal(pair, mentor, "accept", "", NOW)
        services.respond_to_proposal(pair, mentee, "accept", "", NOW)
        db.session.commit()

    def save(user, text):
        data = {"cadence": "weekly", "channels": ["video"], "confidentiality": True,
                "ground_rules": "", "goals": [
                    {"direction": "mentee", "text": text, "competence_id": "2.1",
                     "target_level": 3},
                    {"direction": "mentor", "text": "Pricing", "competence_id": None,
                     "target_level": None}]}
        return lambda: services.save_agreement(db.session.get(Pair, pair_id), user, 0, data, NOW)

    errors = _both(app, save(mentor, "First"), save(mentee, "Second"))
    assert [type(e) for e in errors] == [services.AgreementConflict]
    with app.app_context():
        agreement = db.session.scalar(db.select(Agreement))
        assert agreement.revision == 1
        assert [g.text for g in agreement.current.goals] == ["First", "Pricing"]
