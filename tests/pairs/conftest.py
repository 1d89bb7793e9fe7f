"""Fixtures for the pairs area: profile forms, a course with a formed pair, event capture."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from lti_tool import events
from lti_tool.db import db
from lti_tool.pairs.models import Pair
from tests.factories import Launched, course, person

SIGNALS = ("pair_formed", "agreement_signed", "session_confirmed", "feedback_exchanged",
           "checkin_recorded", "self_assessment_recorded", "learning_entry_confirmed",
           "level_up_attested", "pair_completed")


@pytest.fixture
def sent() -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Every pairs event sent during the test, by signal name, as its kwargs."""
    log: dict[str, list[dict[str, Any]]] = {name: [] for name in SIGNALS}
    receivers = []
    for name in SIGNALS:
        def receive(sender: Any, _name: str = name, **kwargs: Any) -> None:
            log[_name].append(kwargs)

        getattr(events, name).connect(receive, weak=False)
        receivers.append((name, receive))
    yield log
    for name, receive in receivers:
        getattr(events, name).disconnect(receive)


def mentor_profile(**over: Any) -> dict[str, Any]:
    """Form fields of a young mentor who teaches video calls, cloud files and security."""
    fields: dict[str, Any] = {
        "role_preference": "mentor", "offer_2_1": "5", "offer_1_3": "4", "offer_4_2": "4",
        "offer_4_1": "4", "teach_back_wants": ["feedback", "career"],
        "channels": ["chat", "video"], "response_time": "same_day", "cadence": "weekly",
        "slots": ["1-morning", "3-morning", "3-afternoon"], "timezone": "Europe/Rome",
        "hours_needed": "1", "career_stage": "1", "department": "IT", "team": "Apps",
        "site": "Milan", "languages": ["it", "en"], "capacity": "1",
    }
    fields.update(over)
    return fields


def mentee_profile(**over: Any) -> dict[str, Any]:
    """Form fields of a senior mentee who wants video calls and cloud files."""
    fields: dict[str, Any] = {
        "role_preference": "mentee", "want_1_competence": "2.1", "want_1_now": "1",
        "want_1_target": "3", "want_2_competence": "1.3", "want_2_target": "3",
        "teach_back_offers": ["feedback", "career", "negotiation"],
        "channels": ["video", "in_person", "chat"], "response_time": "two_days",
        "cadence": "weekly", "slots": ["1-morning", "3-morning"], "timezone": "Europe/Rome",
        "hours_needed": "1", "career_stage": "5", "department": "Sales", "team": "North",
        "site": "Milan", "languages": ["it"],
    }
    fields.update(over)
    return fields


def agreement_form(base_revision: int, **over: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "base_revision": str(base_revision),
        "mentee_goal_1_text": "Join a video call on my own and share my screen",
        "mentee_goal_1_competence": "2.1", "mentee_goal_1_target": "3",
        "mentor_goal_1_text": "Prepare a difficult client meeting",
        "cadence": "weekly", "channels": ["video", "chat"], "confidentiality": "1",
        "ground_rules": "We warn each other a day before if we cannot come.",
    }
    fields.update(over)
    return fields


@dataclass
class World:
    app: Any
    client: Any
    ctx: int
    teacher: Launched
    mentor: Launched
    mentee: Launched

    def post(self, who: Launched, url: str, **fields: Any) -> Any:
        return self.client.post(url, data=who.form(**fields))

    def get(self, who: Launched, url: str, **query: Any) -> Any:
        return self.client.get(url, query_string=who.q(**query))

    def html(self, who: Launched, url: str) -> str:
        resp = self.get(who, url)
        assert resp.status_code == 200, (url, resp.status_code)
        return resp.get_data(as_text=True)

    def join(self, who: Launched, fields: dict[str, Any]) -> None:
        resp = self.post(who, "/pairs/profile", **fields)
        assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]

    def pair(self) -> Pair:
        with self.app.app_context():
            pair = db.session.scalars(db.select(Pair).order_by(Pair.id.desc())).first()
            assert pair is not None
            db.session.expunge(pair)
            return pair

    def form_pair(self) -> int:
        """Both join, the instructor matches and sends, both accept: the pair is active."""
        self.join(self.mentor, mentor_profile())
        self.join(self.mentee, mentee_profile())
        assert self.post(self.teacher, "/pairs/matching/run", mode="quality",
                         floor="40").status_code == 303
        assert self.post(self.teacher, "/pairs/proposals/send").status_code == 303
        pair_id = self.pair().id
        for who in (self.mentor, self.mentee):
            assert self.post(who, f"/pairs/{pair_id}/respond", answer="accept").status_code == 303
        assert self.pair().status == "active"
        return pair_id


@pytest.fixture
def world(app: Any, client: Any) -> World:
    ctx = course(app)
    return World(app=app, client=client, ctx=ctx,
                 teacher=person(app, ctx, role="instructor", name="Irene Instructor"),
                 mentor=person(app, ctx, name="Mia Mentor"),
                 mentee=person(app, ctx, name="Sam Senior"))
