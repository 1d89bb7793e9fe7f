"""Keyboard only, in a real browser: a lesson and a quiz, focus order, focus after submitting,
and the progress bar moving. Skips cleanly without Debian's chromium."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.conftest import serve
from tests.factories import course, person
from tests.progress.conftest import D6, post_step

pytestmark = pytest.mark.browser


@pytest.fixture
def tool(make_app, content_dir):
    server, app = serve(lambda url: make_app(url, CONTENT_DIR=str(content_dir)))
    yield server, app
    server.stop()


def _focused(page):
    return page.evaluate("""() => {
        const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name'),
                text: (e.textContent || '').trim().slice(0, 60), value: e.value || '',
                inStepList: !!e.closest('.step-nav'), inHeader: !!e.closest('header')};
    }""")


def _progress(page):
    return int(page.get_attribute("#module-progress", "value"))


def _tab_to(page, predicate, limit=80):
    """Press Tab until `predicate(focused)` holds; returns everything focused on the way."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = _focused(page)
        seen.append(now)
        if predicate(now):
            return seen
    raise AssertionError(f"never reached the element; focused: {seen}")


def test_a_lesson_and_a_quiz_with_the_keyboard_only(tool, page):
    server, app = tool
    learner = person(app, course(app))
    client = app.test_client()
    post_step(client, learner, D6, "before", **{"rating-4.1": "2", "rating-4.2": "2"})
    post_step(client, learner, D6, "passwords")
    post_step(client, learner, D6, "mfa")
    page.goto(f"{server.url}/modules/{D6}/steps/phishing?" + urlencode(learner.q()))
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Step 4 of 6" in page.inner_text("h1")
    assert _progress(page) == 3

    # Focus order: skip link, the site's navigation, breadcrumb, the lesson's own links,
    # Continue, then the step list.
    seen = _tab_to(page, lambda f: f["id"] == "continue")
    assert seen[0]["text"] == "Skip to main content"
    rest = seen[1:]
    body = rest[next(i for i, f in enumerate(rest) if not f["inHeader"]):]
    assert not any(f["inHeader"] for f in body)  # the header's links all come first
    assert [f["text"] for f in body[:2]] == ["Modules", "Passwords, a second lock, and "
                                                        "spotting the bait"]
    assert all(f["tag"] in ("a", "button") for f in seen)
    assert not any(f["inStepList"] for f in seen)
    after = _tab_to(page, lambda f: True)[0]
    assert after["inStepList"] and after["text"] == "Where are you today?"  # the step list
    page.keyboard.press("Shift+Tab")
    assert _focused(page)["id"] == "continue"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The quiz: focus starts on the new step's heading; the bar has moved.
    assert page.url.split("#")[0].split("?")[0].endswith("/steps/check")
    assert _focused(page)["id"] == "step-title"
    assert "Step 5 of 6" in page.inner_text("h1")
    assert _progress(page) == 4
    for question, index in (("q1", 1), ("q2", 0), ("q3", 2)):  # b, a, c: all right
        _tab_to(page, lambda f, q=question: f["name"] == f"q-{q}")
        if index == 0:
            page.keyboard.press("Space")
        for _ in range(index):
            page.keyboard.press("ArrowDown")
        assert page.is_checked(f"#q-{question}-{index}")
    _tab_to(page, lambda f: f["id"] == "check-answers")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The result gets focus, with each chosen option's feedback; the bar shows 5 of 6.
    page.wait_for_function("document.activeElement && document.activeElement.id === "
                           "'quiz-result'")
    assert "You answered 3 of 3 questions right." in page.inner_text("#quiz-result")
    assert _progress(page) == 5
    assert page.inner_text("#module-progress-label") == "5 of 6 steps done"
    # Keyboard users reach "Next step" right after the result.
    nxt = _tab_to(page, lambda f: f["text"] in ("Next step", "Try again"))[-1]
    assert nxt["text"] == "Next step"


def test_errors_get_focus_and_are_linked_to_their_question(tool, page):
    server, app = tool
    learner = person(app, course(app))
    client = app.test_client()
    for step, fields in (("before", {"rating-4.1": "2", "rating-4.2": "2"}),
                         ("passwords", {}), ("mfa", {}), ("phishing", {})):
        post_step(client, learner, D6, step, **fields)
    page.goto(f"{server.url}/modules/{D6}/steps/check?" + urlencode(learner.q()))
    _tab_to(page, lambda f: f["id"] == "check-answers")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && "
                           "document.activeElement.classList.contains('error-summary')")
    assert "There is a problem" in page.inner_text(".error-summary")
    assert page.get_attribute("#q-q1-0", "aria-describedby") == "q-q1-error"
    # The summary's link takes keyboard users to the question.
    _tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Choose an answer.")
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash === '#q-q1-0'")
    assert _focused(page)["id"] == "q-q1-0"


def test_pages_reflow_on_a_phone_and_at_200_percent_zoom(tool, browser):
    server, app = tool
    learner = person(app, course(app))
    post_step(app.test_client(), learner, D6, "before", **{"rating-4.1": "2", "rating-4.2": "2"})
    # 320 CSS px is WCAG's reflow width; 640 px is a 1280 px window at 200 % zoom.
    for width in (320, 640):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        for path in ("/modules", f"/modules/{D6}", f"/modules/{D6}/steps/passwords",
                     f"/modules/{D6}/steps/before"):
            page.goto(server.url + path + "?" + urlencode(learner.q()))
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways at {width}px"
        context.close()
