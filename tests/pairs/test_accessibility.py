"""Structural accessibility checks on the pairs pages (WCAG 2.2 AA, the parts a parser sees):
unique ids, a label for every field, groups in fieldsets with legends, error and hint ids that
exist, one h1 per page, and the page language set."""

from __future__ import annotations

from collections import Counter
from datetime import date
from html.parser import HTMLParser

from lti_tool.db import db
from lti_tool.pairs.models import Feedback
from tests.pairs.conftest import agreement_form


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.described: list[str] = []
        self.h1 = 0
        self.lang: str | None = None
        self.fieldsets = 0
        self.legends = 0
        self.radio_groups: set[str] = set()
        self.open_labels = 0
        self.wrapped: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.fields.append(a)
            if a.get("type") in ("radio", "checkbox") and a.get("name") not in (None, "slots"):
                self.radio_groups.add(a["name"])
        if a.get("aria-describedby"):
            self.described += a["aria-describedby"].split()
        if tag == "fieldset":
            self.fieldsets += 1
        if tag == "legend":
            self.legends += 1

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1


def check(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    dupes = [i for i, n in Counter(page.ids).items() if n > 1]
    assert dupes == [], dupes
    assert page.lang, "the page has no lang"
    assert page.h1 == 1
    for field in page.fields:
        assert field.get("id") in page.label_for, f"no label for {field}"
    assert set(page.described) <= set(page.ids), set(page.described) - set(page.ids)
    assert page.fieldsets == page.legends
    return page


def test_every_pairs_page_is_well_labelled(world):
    w = world
    assert check(w.html(w.mentee, "/pairs/"))
    assert check(w.html(w.mentee, "/pairs/profile")).fieldsets >= 10
    # With every error shown at once.
    resp = w.post(w.mentee, "/pairs/profile", role_preference="either", want_1_target="3",
                  manager_email="x")
    assert resp.status_code == 422
    check(resp.get_data(as_text=True))
    pair_id = w.form_pair()
    base = f"/pairs/{pair_id}"
    w.post(w.mentor, base + "/agreement", **agreement_form(0))
    w.post(w.mentor, base + "/sessions/log", held_on=date.today().isoformat(), minutes="30")
    for _ in range(2):
        w.post(w.mentor, base + "/feedback", kind="feedforward", suggestion_1="a",
               suggestion_2="b")
    for page in ("", "/agreement", "/agreement/edit", "/sessions", "/feedback", "/checkins",
                 "/learning"):
        for who in (w.mentor, w.mentee):
            check(w.html(who, base + page))
    with w.app.app_context():
        fid = db.session.scalar(db.select(Feedback.id))
    resp = w.post(w.mentee, f"{base}/feedback/{fid}/acknowledge")
    assert resp.status_code == 422
    check(resp.get_data(as_text=True))  # two answer forms on one page, ids still unique
    resp = w.post(w.mentee, base + "/agreement", base_revision="1")
    assert resp.status_code == 422
    check(resp.get_data(as_text=True))
    for url in ("/pairs/program", "/pairs/matching", "/program"):
        check(w.html(w.teacher, url))
    check(w.html(w.mentee, "/learn"))
