"""A learner with a badge, in a real browser: My badges → the public page → the baked PNG,
which the independent verifier accepts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.badges.world import world_for
from tests.conftest import serve

pytestmark = pytest.mark.browser

OB3 = Path(__file__).parents[1] / "conformance" / "ob3"
NODE = shutil.which("node")


@pytest.fixture
def tool(make_app):
    server, app = serve(lambda url: make_app(url, BADGES_RAISE_ERRORS=True))
    world = world_for(app)
    world.form_pair()
    world.sessions(first_day=2, count=1)
    yield server.url, world
    server.stop()


def test_a_learner_opens_my_badges_the_public_page_and_downloads_the_baked_png(
        tool, page, tmp_path):
    base, world = tool
    page.goto(f"{base}/badges/mine?ltik={world.mentee.token}")
    assert page.get_by_role("heading", level=1, name="My badges").is_visible()
    card = page.locator("li.badge-card", has=page.get_by_role("heading", name="First session"))
    assert card.get_by_text("Earned on").is_visible()
    # Choose to show the name on this badge's public page.
    card.get_by_label("Show my name on the public page of this badge").check()
    card.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").filter(has_text="Saved").is_visible()

    card = page.locator("li.badge-card", has=page.get_by_role("heading", name="First session"))
    card.get_by_role("link", name="Public page, downloads and sharing").click()
    assert page.get_by_role("heading", level=1, name="First session").is_visible()
    assert page.get_by_role("heading", name="Verified: this badge is genuine").is_visible()
    assert page.get_by_text("Sergio Senior").is_visible()
    assert page.locator('meta[property="og:image"]').get_attribute("content").endswith(
        "/badges/first-session/image.png")
    linkedin = page.get_by_role("link", name="Add to my LinkedIn profile")
    assert linkedin.get_attribute("href").startswith("https://www.linkedin.com/profile/add?")
    image = page.locator("img.badge-image")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")

    with page.expect_download() as info:
        page.get_by_role("link", name="Badge image with the certificate inside (PNG)").click()
    png = tmp_path / "downloaded.png"
    info.value.save_as(png)
    assert png.read_bytes().startswith(b"\x89PNG")

    if NODE is None or not (OB3 / "node_modules").is_dir():
        pytest.skip("node and tests/conformance/ob3/node_modules are needed for the last check")
    did = tmp_path / "did.json"
    did.write_bytes(requests.get(f"{base}/.well-known/did.json", timeout=30).content)
    status = tmp_path / "status.json"
    status.write_bytes(requests.get(f"{base}/badges/status/1", timeout=30).content)
    run = subprocess.run([NODE, "verify.mjs", "--did-doc", str(did), "--status-list",
                          str(status), str(png)], cwd=OB3, capture_output=True, text=True,
                         timeout=120, check=False)
    result = json.loads(run.stdout.splitlines()[0])
    assert run.returncode == 0, result
    assert result["proof"] and result["db"]["revoked"] is False
