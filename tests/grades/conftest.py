"""Grades against the independent demo LMS: launched learners, module links with line items,
completions sent through the real `module_completed` signal, and workers to deliver them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from sqlalchemy import select

from demo_lms import client
from demo_lms.config import PlatformConfig
from demo_lms.server import start_platform_server
from lti_tool import events
from lti_tool.db import db, utcnow
from lti_tool.grades.models import ScoreOutbox
from lti_tool.grades.worker import Worker, WorkerOptions, WorkerStats
from lti_tool.lti.advantage import AdvantageClient
from lti_tool.lti.models import Context, User
from lti_tool.lti.services import register_platform
from tests.conftest import serve
from tests.lti.conftest import World

LEARNERS = ("user-maya", "user-luca", "user-beatriz", "user-giovanni", "user-margaret",
            "user-antonio")
TAG = "reverse-mentoring"


@dataclasses.dataclass
class GradesWorld(World):
    """A World with helpers to place modules, complete them and run workers."""

    def launch_as(self, user: str, link_id: str = "rl-1") -> requests.Response:
        resp = client.launch(requests.Session(), self.lms.url, user_id=user, link_id=link_id)
        assert resp.status_code == 200, resp.text[:500]
        return resp

    def add_module_link(self, slug: str, *, line_item: bool = True, title: str | None = None
                        ) -> Any:
        """What a Deep Linking response makes the platform do (tests/lti covers the real one)."""
        li = ({"scoreMaximum": 100, "label": title or slug, "resourceId": slug, "tag": TAG}
              if line_item else None)
        return self.lms.lms.create_resource_link(title or slug, custom={"module": slug},
                                                 line_item=li, created_by="api")

    def user_pk(self, sub: str) -> int:
        with self.app.app_context():
            return int(db.session.scalar(select(User.id).where(User.sub == sub)))

    def course_pk(self) -> int:
        with self.app.app_context():
            return int(db.session.scalar(select(Context.id)))

    def complete(self, sub: str, slug: str, score: float | None = 1.0, passed: bool = True,
                 at: datetime | None = None) -> None:
        """A learner completes a module: the progress area's signal, then one commit."""
        user, course = self.user_pk(sub), self.course_pk()
        with self.app.test_request_context():
            events.module_completed.send(
                "tests", user_id=user, context_id=course, module_slug=slug, content_version=1,
                score=score, passed=passed, completed_at=at or utcnow())
            db.session.commit()

    def options(self, **overrides: Any) -> WorkerOptions:
        base = dict(once=True, batch_size=20, lease_seconds=30.0, http_timeout=5.0,
                    backoff_base=0.01, backoff_max=0.05, poll_interval=0.05)
        base.update(overrides)
        return WorkerOptions(**base)

    def worker(self, **overrides: Any) -> Worker:
        shared = self.app.extensions["lti_tool.advantage"]
        opts = self.options(**overrides)
        return Worker(AdvantageClient(shared.http, shared.keystore, timeout=opts.http_timeout),
                      opts)

    def run_worker(self, **overrides: Any) -> WorkerStats:
        with self.app.app_context():
            return self.worker(**overrides).run()

    def rows(self) -> list[ScoreOutbox]:
        with self.app.app_context():
            rows = list(db.session.scalars(select(ScoreOutbox).order_by(ScoreOutbox.id)))
            db.session.expunge_all()
            return rows

    def make_due(self) -> None:
        """Skip the back-off wait (tests do not sleep through it)."""
        with self.app.app_context():
            db.session.execute(db.update(ScoreOutbox).where(ScoreOutbox.status == "pending")
                               .values(next_attempt_at=utcnow()))
            db.session.commit()

    def scores(self, user: str | None = None) -> list[Any]:
        return self.lms.lms.scores_for(user_id=user)

    def line_item_of(self, link: Any) -> str:
        return self.lms.lms.lineitem_url(link.line_item_id)


@pytest.fixture
def make_world(make_app: Any) -> Iterator[Callable[..., GradesWorld]]:
    started: list[GradesWorld] = []

    def factory(config: dict[str, Any] | None = None, **app_config: Any) -> GradesWorld:
        tool, app = serve(lambda url: make_app(url, **app_config))
        lms = start_platform_server(PlatformConfig(tool_url=tool.url, **(config or {})))
        with app.app_context():
            register_platform(issuer=lms.url, client_id="demo-client",
                              auth_login_url=lms.lms.auth_url, auth_token_url=lms.lms.token_url,
                              key_set_url=lms.lms.jwks_url, name="Demo LMS",
                              deployment_ids=["demo-deployment"])
            db.session.commit()
        world = GradesWorld(tool, app, lms)
        started.append(world)
        return world

    yield factory
    for world in started:
        world.lms.shutdown()
        world.tool.stop()


@pytest.fixture
def gw(make_world: Callable[..., GradesWorld]) -> GradesWorld:
    return make_world()
