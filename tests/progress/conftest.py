"""Fixtures for the progress area: a small content library, pairs, agreements, event capture."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lti_tool import events
from lti_tool.db import db, utcnow
from lti_tool.lti.models import ResourceLink
from lti_tool.lti.session import Actor
from lti_tool.pairs.models import Agreement, AgreementVersion, Goal, Pair
from tests.factories import Launched

REPO = Path(__file__).resolve().parents[2]
# A few real modules keep every app in these tests quick to build (content loads at start-up).
MODULES = ("p1-how-reverse-mentoring-works", "m1-active-listening", "f1-sbi-feedback",
           "d1-search-and-check-sources", "d6-passwords-mfa-phishing", "d7-digital-wellbeing")
D6 = "d6-passwords-mfa-phishing"
# d6: before (self-assessment), passwords, mfa, phishing (lessons), check (quiz), together (pair)
D6_RIGHT = {"q1": "b", "q2": "a", "q3": "c"}


def copy_content(target: Path, slugs: tuple[str, ...] = MODULES) -> Path:
    for slug in slugs:
        shutil.copytree(REPO / "content" / "modules" / slug, target / "modules" / slug)
    return target


@pytest.fixture(scope="session")
def content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_content(tmp_path_factory.mktemp("content"))


@pytest.fixture
def app(make_app: Callable[..., Any], content_dir: Path) -> Any:
    return make_app(CONTENT_DIR=str(content_dir))


@pytest.fixture
def sent() -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Every step_completed, module_completed and self_assessment_recorded sent in the test."""
    log: dict[str, list[dict[str, Any]]] = {"step": [], "module": [], "self": []}
    handlers = {
        "step": lambda sender, **kw: log["step"].append(kw),
        "module": lambda sender, **kw: log["module"].append(kw),
        "self": lambda sender, **kw: log["self"].append(kw),
    }
    events.step_completed.connect(handlers["step"])
    events.module_completed.connect(handlers["module"])
    events.self_assessment_recorded.connect(handlers["self"])
    yield log
    events.step_completed.disconnect(handlers["step"])
    events.module_completed.disconnect(handlers["module"])
    events.self_assessment_recorded.disconnect(handlers["self"])


def make_pair(app: Any, ctx: int, mentor: Launched, mentee: Launched,
              status: str = "active") -> int:
    """A pair row as the pairs area leaves it once both partners accepted."""
    now = utcnow()
    with app.app_context():
        accepted = status in ("active", "completed")
        pair = Pair(context_id=ctx, mentor_id=mentor.user_id, mentee_id=mentee.user_id,
                    status=status, proposed_at=now,
                    mentor_accepted_at=now if accepted else None,
                    mentee_accepted_at=now if accepted else None,
                    formed_at=now if accepted else None,
                    completed_at=now if status == "completed" else None)
        db.session.add(pair)
        db.session.commit()
        return pair.id


def add_goals(app: Any, pair_id: int, competences: list[str]) -> None:
    """An agreement whose newest version has a mentee goal per DigComp id."""
    with app.app_context():
        agreement = Agreement(pair_id=pair_id)
        db.session.add(agreement)
        db.session.flush()
        version = AgreementVersion(agreement_id=agreement.id, number=1, cadence="weekly",
                                   channels=["chat"])
        db.session.add(version)
        db.session.flush()
        for i, comp in enumerate(competences):
            db.session.add(Goal(version_id=version.id, direction="mentee", position=i,
                                text=f"Get better at {comp}", competence_id=comp,
                                framework="2.2", target_level=3))
        db.session.commit()


def launched_from_link(app: Any, who: Launched, module_slug: str) -> Launched:
    """The same person, launched from a course link placed for `module_slug`."""
    with app.app_context():
        link = ResourceLink(context_id=who.actor.context_id, resource_link_id="link-" + module_slug,
                            title=module_slug, module_slug=module_slug, updated_at=utcnow())
        db.session.add(link)
        db.session.commit()
        link_id = link.id
    tokens = app.extensions["lti_tool.tokens"]
    a = who.actor
    token = tokens.issue(Actor(a.user_id, a.context_id, a.deployment_id, a.registration_id,
                               a.role, a.locale, resource_link_id=link_id,
                               program_role=a.program_role, sid=a.sid))
    return Launched(tokens.read(token)[0], token, who.csrf)


def step_url(slug: str, step_id: str) -> str:
    return f"/modules/{slug}/steps/{step_id}"


def submission_key(html: str) -> str:
    found = re.search(r'name="submission" value="([^"]+)"', html)
    assert found, "the quiz form carries a submission key"
    return found.group(1)


def post_step(client: Any, who: Launched, slug: str, step_id: str, **fields: Any) -> Any:
    return client.post(step_url(slug, step_id), data=who.form(**fields))


def answer_quiz(client: Any, who: Launched, slug: str, answers: dict[str, Any],
                step_id: str = "check") -> Any:
    page = client.get(step_url(slug, step_id), query_string=who.q(retry="1"))
    fields: dict[str, Any] = {"submission": submission_key(page.get_data(as_text=True))}
    fields.update({f"q-{q}": v for q, v in answers.items()})
    return post_step(client, who, slug, step_id, **fields)


def walk_d6_to_quiz(client: Any, who: Launched) -> None:
    """Complete the self-assessment and the three lessons of d6."""
    assert post_step(client, who, D6, "before", **{"rating-4.1": "2",
                                                   "rating-4.2": "3"}).status_code == 303
    for lesson in ("passwords", "mfa", "phishing"):
        assert post_step(client, who, D6, lesson).status_code == 303
