"""The dashboard page, its CSV export and the home card: who may see them, what they show and
what they never show."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest

from tests.analytics.conftest import NOW, SECRET, World, bulk_course


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The page's clock is the scenario's 30 June 2025."""
    monkeypatch.setattr("lti_tool.analytics.views.utcnow", lambda: NOW)


def _csv(resp) -> dict[tuple[str, str, str], list[str]]:
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["section", "measure", "group", "label", "value", "unit", "based_on"]
    return {(r[0], r[1], r[2]): r[3:] for r in rows[1:]}


# --- who may see it ---------------------------------------------------------------------------


def test_learners_are_refused(world: World):
    for url in ("/analytics", "/analytics/export.csv"):
        resp = world.get(world.learners[0], url)
        assert resp.status_code == 403
        assert b"Learner 0" not in resp.data


def test_no_launch_no_page(world: World):
    assert world.client.get("/analytics").status_code == 401
    assert world.client.get("/analytics/export.csv").status_code == 401


def test_another_courses_instructor_sees_only_their_course(world: World):
    # Their page counts their 2 learners; asking for course A's id changes nothing.
    for query in ({}, {"context_id": world.ctx}, {"context": world.ctx}):
        page = world.html(world.other_teacher, "/analytics", **query)
        assert "Other course" in page and "Pilot course" not in page
        assert _cell(page, "Learners in the course") == "2"
    rows = _csv(world.get(world.other_teacher, "/analytics/export.csv", context_id=world.ctx))
    assert rows[("funnel", "people", "members")][1] == "2"
    assert rows[("funnel", "people", "enrolled")][1] == "2"


def _cell(page: str, row_header: str) -> str:
    """The text of the first cell after a row header."""
    m = re.search(re.escape(row_header) + r".*?</th>\s*<td>(.*?)</td>", page, re.S)
    assert m, row_header
    return re.sub(r"<[^>]+>", "", m.group(1).split("<br>")[0]).strip()


# --- what it shows ------------------------------------------------------------------------------


def _words(html: str) -> str:
    """The page as a reader hears it: no tags, single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_page_shows_the_figures_in_words(world: World):
    html = world.html(world.teacher)
    page = _words(html)
    assert "Program dashboard" in page and "Pilot course" in page
    assert "June 30, 2025" in page
    assert _cell(html, "Learners in the course") == "16"
    assert "Opened the tool: 14" in page and "Only on the course list: 2" in page
    assert "88% of learners in the course" in page  # 14 of 16
    assert "86% of people who joined" in page  # 12 of 14
    assert "8.5 days" in page and "5 days" in page and "7 days" in page
    assert "67% of matched pairs" in page  # met in the last 21 days: 4 of 6
    assert "56% (18 of 32 expected check-ins)" in page  # from 10 people
    assert "44% (4 of 9 modules started)" in page  # digital skills
    assert "71% (5 of 7 quizzes tried)" in page
    assert "30 days" in page  # between sessions
    assert "0.8" in page  # sessions per pair and month
    assert "40% (2 of 5 pairs)" in page  # both happy, both learning
    assert "4.1" in page  # pulse
    assert "80% (8 of 10 answers)" in page
    assert "33% (2 of 6 pairs)" in page  # two-way feedback, level-up, reciprocal
    assert "+1.4" in page  # DigComp area 2
    for label in ("No first session 14 days after matching", "Low pulse"):
        assert label in page
    assert 'href="/pairs/program?ltik=' in html
    assert 'href="/analytics/export.csv?ltik=' in html


def test_small_groups_show_fewer_than_5(world: World):
    page = world.html(world.teacher)
    # Mentoring practice: one person started a module; DigComp area 1: two people.
    practice = re.search(r"Mentoring practice</th>(.*?)</tr>", page, re.S)
    assert practice and practice.group(1).count("fewer than 5 people") == 2
    area1 = re.search(r"1 Information and data</th>(.*?)</tr>", page, re.S)
    assert area1 and area1.group(1).count("fewer than 5 people") == 4
    assert "+0.5" not in page  # area 1's change (2 people) is never written


def test_pulse_needs_three_answers_and_quadrants_five_pairs(app, client):
    teacher = bulk_course(app, 2, "tiny")  # one active pair: two answers
    page = client.get("/analytics", query_string=teacher.q()).get_data(as_text=True)
    assert "fewer than 3 answers" in page
    assert page.count("fewer than 5 pairs") >= 4  # the four quadrants
    rows = _csv(client.get("/analytics/export.csv", query_string=teacher.q()))
    assert rows[("pair_health", "pulse_average", "")][1:] == ["fewer than 3 answers",
                                                              "level 1-5", ""]
    assert rows[("pair_health", "quadrant", "happy_learning")][1] == "fewer than 5 pairs"


def test_nothing_the_partners_write_and_no_names(world: World):
    page = world.html(world.teacher)
    export = world.get(world.teacher, "/analytics/export.csv").get_data(as_text=True)
    for text in (page, export):
        assert SECRET not in text
        assert "Zed" not in text  # every learner's name ends in Zed
        assert "@example.org" not in text


def test_csv_export(world: World):
    resp = world.get(world.teacher, "/analytics/export.csv")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == \
        'attachment; filename="program-dashboard-2025-06-30.csv"'
    assert resp.headers["Cache-Control"] == "no-store"
    rows = _csv(resp)
    assert rows[("funnel", "people", "members")][1:] == ["16", "people", "16"]
    assert rows[("funnel", "people", "members:roster")][1] == "2"
    assert rows[("funnel", "share", "enrolled")][1:] == ["87.5", "percent", "16"]
    assert rows[("funnel", "median_days", "matched")][1:] == ["8.50", "days", "12"]
    assert rows[("funnel", "pairs", "completed")][1] == "1"
    assert rows[("engagement", "checkin_response_rate", "")][1:] == ["56.2", "percent", "10"]
    assert rows[("engagement", "median_session_gap_days", "")][1] == "30.00"
    assert rows[("modules", "completion_rate", "track:digital-skills")][1] == "44.4"
    assert rows[("modules", "people_started", "track:mentoring-practice")][1:] == [
        "fewer than 5 people", "people", ""]
    assert rows[("modules", "quiz_pass_rate", "track:feedback-culture")][1:] == [
        "", "percent", "0"]
    assert rows[("pair_health", "quadrant", "neither")][1] == "20.0"
    assert rows[("pair_health", "pulse_average", "")][1] == "4.10"
    assert rows[("digcomp", "change", "area:2")][1] == "1.40"
    assert rows[("digcomp", "change", "area:1")][1] == "fewer than 5 people"
    assert rows[("digcomp", "change", "competence:1.1")][1] == "fewer than 5 people"
    assert rows[("outcomes", "learning_entries_confirmed", "")][1] == "3"
    assert rows[("alerts", "pairs", "low_pulse")][1] == "1"
    assert rows[("alerts", "pairs", "any")][1] == "4"
    badge_rows = [k for k in rows if k[0] == "badges"]
    assert ("badges", "holders", "badge:pair-formed") in badge_rows
    # No hidden figure gives away its base either.
    assert all(r[3] == "" for r in rows.values() if r[1].startswith("fewer than"))


def test_the_page_is_not_cached(world: World):
    resp = world.get(world.teacher, "/analytics")
    assert resp.headers["Cache-Control"] == "no-store"


def test_home_card(world: World):
    page = world.html(world.teacher, "/program")
    assert "People who joined the program: 14" in page
    assert 'href="/analytics?ltik=' in page
    learner_home = world.html(world.learners[0], "/learn")
    assert "/analytics" not in learner_home


def test_the_stylesheet_is_public(client):
    resp = client.get("/analytics/analytics.css")
    assert resp.status_code == 200 and resp.mimetype == "text/css"


# --- accessibility: what a parser can check -------------------------------------------------


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables = self.captions = self.h1 = 0
        self.section: list[str] = []
        self.bad_th: list[str] = []
        self.styles = 0
        self.meters: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "style" in a:
            self.styles += 1  # the CSP allows no inline styles
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag == "h1":
            self.h1 += 1
        if tag in ("thead", "tbody"):
            self.section.append(tag)
        if tag == "th":
            want = "col" if self.section and self.section[-1] == "thead" else "row"
            if a.get("scope") != want:
                self.bad_th.append(str(a))
        if tag == "meter":
            self.meters.append(a)

    def handle_endtag(self, tag):
        if tag in ("thead", "tbody") and self.section:
            self.section.pop()


def test_tables_have_captions_and_scoped_headers(world: World):
    s = _Structure()
    s.feed(world.html(world.teacher))
    assert s.h1 == 1
    assert s.tables >= 8 and s.captions == s.tables
    assert s.bad_th == []
    assert s.styles == 0
    # Bars repeat a number written next to them, so assistive technology skips them.
    assert s.meters and all(m.get("aria-hidden") == "true" for m in s.meters)


def test_shares_are_written_out_next_to_each_bar(world: World):
    page = world.html(world.teacher)
    for m in re.finditer(r'<meter[^>]*value="(\d+)"[^>]*></meter>\s*<span class="an-shown">'
                         r"(\d+)%", page):
        assert m.group(1) == m.group(2)
    assert len(re.findall(r"<meter", page)) == len(
        re.findall(r'<meter[^>]*></meter>\s*<span class="an-shown">\d+%', page))
