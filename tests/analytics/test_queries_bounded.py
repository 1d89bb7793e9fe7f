"""The dashboard runs a fixed number of SQL statements, however many pairs a course has."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from lti_tool.analytics import queries
from lti_tool.analytics.wording import BADGE_ORDER
from lti_tool.db import db
from lti_tool.modules import get_library
from tests.analytics.conftest import NOW, bulk_course

MAX_STATEMENTS = 25  # today: 8 of ours + the pairs area's alert read model


def statements(app: Any, work: Callable[[], Any]) -> list[str]:
    """The SQL statements `work` sends to the app's database."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


@pytest.fixture
def courses(app: Any, monkeypatch: pytest.MonkeyPatch) -> dict[int, Any]:
    monkeypatch.setattr("lti_tool.analytics.views.utcnow", lambda: NOW)
    return {3: bulk_course(app, 3, "three-pairs"), 30: bulk_course(app, 30, "thirty-pairs")}


@pytest.mark.parametrize("url", ["/analytics", "/analytics/export.csv", "/program"])
def test_the_same_statements_for_3_and_30_pairs(app, client, courses, url):
    counts = {}
    for n, teacher in courses.items():
        resp: list[Any] = []
        sql = statements(app, lambda t=teacher: resp.append(client.get(url,
                                                                      query_string=t.q())))
        assert resp[0].status_code == 200, resp[0].get_data(as_text=True)[:300]
        counts[n] = len(sql)
    assert counts[3] == counts[30], counts
    assert counts[30] <= MAX_STATEMENTS + 20  # the landing page's other cards add their own


def test_the_dashboard_alone_is_bounded(app, courses):
    def run(teacher: Any) -> list[str]:
        def work() -> None:
            with app.app_context():
                queries.dashboard(teacher.actor.context_id, NOW, get_library(), BADGE_ORDER)
        return statements(app, work)

    small, big = run(courses[3]), run(courses[30])
    assert len(small) == len(big) <= MAX_STATEMENTS
    # The very same statements (the pairs area's alert read model binds pair ids in IN lists).
    assert [_shape(s) for s in small] == [_shape(s) for s in big]


def _shape(statement: str) -> str:
    # "IN (?, ?)" on SQLite, "IN (%(id_1_1)s::INTEGER, …)" on PostgreSQL
    return re.sub(r"IN \((?:[^()]|\([^()]*\))*\)", "IN (…)", statement)


def test_the_bulk_course_adds_up(app, courses):
    # 30 pairs: every third completed (10), the other 20 active and met on 20 June.
    with app.app_context():
        d = queries.dashboard(courses[30].actor.context_id, NOW, get_library(), BADGE_ORDER)
    stages = {s.code: (s.people, s.pairs) for s in d.funnel}
    assert stages["matched"] == (60, 30)
    assert stages["active"] == (40, 20)
    assert stages["completed"] == (20, 10)
    assert d.health.answered == 20
    assert d.outcomes.by_area[1].change.value == 2  # 2.1 went from 2 to 4 for all 60
    assert dict(d.outcomes.badges)["pair-formed"].value == 60
