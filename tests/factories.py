"""Test data made through the real services: launched people in a course, without an LMS.

For end-to-end launches through a platform, see tests/lti/test_e2e.py; these factories are for
testing pages and services that need someone who has launched.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from lti_tool.db import db, upsert, utcnow
from lti_tool.lti.models import Context, Membership, User
from lti_tool.lti.services import register_platform
from lti_tool.lti.session import Actor

_seq = itertools.count(1)


@dataclass
class Launched:
    actor: Actor
    token: str
    csrf: str

    @property
    def user_id(self) -> int:
        return self.actor.user_id

    def q(self, **extra: Any) -> dict[str, Any]:
        """Query string for a GET as this person."""
        return {"ltik": self.token, **extra}

    def form(self, **fields: Any) -> dict[str, Any]:
        """Form fields for a POST as this person (launch token + CSRF token)."""
        return {"ltik": self.token, "csrf_token": self.csrf, **fields}


def course(app: Any, *, issuer: str = "https://lms.example.org", context_id: str = "course-1",
           title: str = "Pilot course") -> int:
    """A registration, an active deployment and a course; returns the course's id."""
    with app.app_context():
        reg = register_platform(issuer=issuer, client_id="client-1",
                                auth_login_url=issuer + "/auth", auth_token_url=issuer + "/token",
                                key_set_url=issuer + "/jwks", deployment_ids=["dep-1"])
        dep = reg.deployments[0]
        pk = upsert(Context, {"deployment_id": dep.id, "context_id": context_id, "title": title,
                              "label": title[:10], "created_at": utcnow()},
                    ("deployment_id", "context_id"), ("title",))
        db.session.commit()
        return pk


def person(app: Any, context_pk: int, *, role: str = "learner", name: str | None = None,
           email: str | None = "", locale: str = "en", program_role: str | None = None) -> Launched:
    """Someone who has launched into the course; returns their launch token."""
    n = next(_seq)
    with app.app_context():
        ctx = db.session.get(Context, context_pk)
        assert ctx is not None
        reg_id = db.session.execute(
            db.select(Context.deployment_id).where(Context.id == context_pk)).scalar_one()
        from lti_tool.lti.models import Deployment

        registration_id = db.session.get(Deployment, reg_id).registration_id
        user = User(registration_id=registration_id, sub=f"user-{n}",
                    name=name if name is not None else f"Person {n}",
                    email=(f"person{n}@example.org" if email == "" else email), locale=locale,
                    created_at=utcnow(), last_launch_at=utcnow())
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(context_id=context_pk, user_id=user.id, role=role,
                                  source="launch", first_launch_at=utcnow(),
                                  last_launch_at=utcnow()))
        db.session.commit()
        actor = Actor(user_id=user.id, context_id=context_pk, deployment_id=ctx.deployment_id,
                      registration_id=registration_id, role=role, locale=locale,
                      program_role=program_role)
        tokens = app.extensions["lti_tool.tokens"]
        token = tokens.issue(actor)
        actor, _age = tokens.read(token)
        return Launched(actor, token, tokens.csrf_token(actor.sid))
