"""A newcomer's first minutes: the demo LMS launches the tool in a real browser as each role."""

from __future__ import annotations

import pytest

from demo_lms.config import PlatformConfig
from demo_lms.server import start_platform_server
from lti_tool.db import db
from lti_tool.lti.services import register_platform
from tests.conftest import serve

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(make_app):
    tool, app = serve(lambda url: make_app(url))
    lms = start_platform_server(PlatformConfig(tool_url=tool.url))
    with app.app_context():
        register_platform(issuer=lms.url, client_id="demo-client",
                          auth_login_url=lms.lms.auth_url, auth_token_url=lms.lms.token_url,
                          key_set_url=lms.lms.jwks_url, deployment_ids=["demo-deployment"])
        db.session.commit()
    yield tool, lms
    lms.shutdown()
    tool.stop()


def _launch_as(page, lms_url, name, locale="en"):
    page.goto(lms_url + "/")
    card = page.locator("li.card", has=page.get_by_role("heading", name=name))
    card.get_by_label("Language", exact=True).select_option(locale)
    card.get_by_role("button", name=f"Launch as {name}").click()
    page.wait_for_load_state("networkidle")


def test_instructor_mentor_and_mentee_launch_in_a_browser(demo, page):
    tool, lms = demo
    _launch_as(page, lms.url, "Irene Instructor")
    assert page.url.startswith(tool.url + "/program")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).is_visible()

    _launch_as(page, lms.url, "Maya Okafor", locale="pt")
    assert page.url.startswith(tool.url + "/learn")
    assert page.locator("html").get_attribute("lang") == "pt"

    _launch_as(page, lms.url, "Giovanni Rossi", locale="it")
    assert page.url.startswith(tool.url + "/learn")
    assert page.locator("html").get_attribute("lang") == "it"
    assert "Giovanni" in page.content()


def test_keyboard_users_can_skip_to_the_content(demo, page):
    tool, lms = demo
    _launch_as(page, lms.url, "Maya Okafor")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Skip to main content" in focused
