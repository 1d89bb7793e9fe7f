"""The dashboard's aggregates as CSV: one row per figure, the same privacy rules as the page.

Columns: section, measure and group are stable English codes (to combine courses or cohorts
in a spreadsheet); label is the figure's name in the reader's language; value is a plain number
(a dot for decimals, shares in percent), or the words "fewer than 5 …" when the figure rests on
too few people and is hidden; based_on is how many people, pairs or answers it rests on (empty
when hidden).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask_babel import gettext as _

from . import wording as w
from .queries import Dashboard, Figure

HEADER = ("section", "measure", "group", "label", "value", "unit", "based_on")
_UNITS = {"share": "percent", "days": "days", "rate": "sessions per pair per month",
          "mean": "level 1-5", "change": "levels"}


def _number(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return "0" if text.strip("-0.") == "" else text


def _figure(f: Figure) -> tuple[str, str, str]:
    """(value, unit, based_on) of a figure."""
    unit = _UNITS.get(f.kind, f.unit)
    if f.state == "hidden":
        return w.too_few(f), unit, ""
    if f.state == "empty":
        return ("0" if f.kind == "count" else ""), unit, "0"
    value = float(f.value or 0)
    if f.kind == "share":
        return _number(100 * value, 1), unit, str(f.n)
    if f.kind == "count":
        return str(int(value)), unit, str(f.n)
    return _number(value, 2), unit, str(f.n)


def _text(cell: str) -> str:
    """Labels are ours, but a spreadsheet must never read a cell as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def rows(d: Dashboard) -> Iterator[tuple[str, ...]]:
    """Every aggregate of the dashboard, in page order."""

    def fig(section: str, measure: str, group: str, label: str, f: Figure) -> tuple[str, ...]:
        return (section, measure, group, _text(label), *_figure(f))

    def plain(section: str, measure: str, group: str, label: str, n: int,
              unit: str) -> tuple[str, ...]:
        return (section, measure, group, _text(label), str(n), unit, str(n))

    yield HEADER
    for s in d.funnel:
        name = str(w.STAGE_LABELS[s.code])
        yield plain("funnel", "people", s.code, name, s.people, "people")
        for source, n in s.detail.items():
            label = (_("Opened the tool from the course") if source == "launch"
                     else _("Only on the course list"))
            yield plain("funnel", "people", f"{s.code}:{source}", f"{name}: {label}", n, "people")
        if s.pairs is not None:
            yield plain("funnel", "pairs", s.code, name, s.pairs, "pairs")
        if s.share is not None and s.base:
            yield fig("funnel", "share", s.code, f"{name} ({w.BASE_LABELS[s.base]})", s.share)
        if s.time is not None:
            yield fig("funnel", "median_days", s.code,
                      f"{name}: {w.TIME_LABELS[s.code]}", s.time)
    e = d.engagement
    yield fig("engagement", "sessions_per_pair_month", "", _("Confirmed sessions per active "
                                                           "pair and month"), e.sessions_per_month)
    yield fig("engagement", "median_session_gap_days", "",
              _("Days between two sessions of a pair (median)"), e.session_gap)
    yield fig("engagement", "checkin_response_rate", "", _("Check-in answers after sessions"),
              e.checkin_response)
    for kind, groups, labels in (("track", e.by_track, w.TRACK_LABELS),
                                 ("audience", e.by_audience, w.AUDIENCE_LABELS)):
        for g in groups:
            name = str(labels.get(g.code, g.code))
            yield fig("modules", "people_started", f"{kind}:{g.code}", name, g.started)
            yield fig("modules", "completion_rate", f"{kind}:{g.code}",
                      _("%(group)s: modules completed", group=name), g.completion)
            yield fig("modules", "quiz_pass_rate", f"{kind}:{g.code}",
                      _("%(group)s: quizzes passed", group=name), g.passing)
    h = d.health
    yield plain("pair_health", "active_pairs", "", _("Active pairs"), h.active_pairs, "pairs")
    yield plain("pair_health", "answered_pairs", "",
                _("Active pairs where both partners sent a check-in"), h.answered, "pairs")
    for q, f in h.quadrants.items():
        yield fig("pair_health", "quadrant", q, str(w.QUADRANT_LABELS[q]), f)
    yield fig("pair_health", "pulse_average", "", _("How happy, on average (1 to 5)"), h.pulse)
    yield fig("pair_health", "learning_share", "", _("Answers saying they are learning"),
              h.learning)
    yield fig("pair_health", "two_way_feedback_rate", "",
              _("Pairs where feedback went both ways"), h.two_way_feedback)
    o = d.outcomes
    for kind, rows_, label in (("area", o.by_area, w.area_label),
                               ("competence", o.by_competence, w.competence_label)):
        for r in rows_:
            group, name = f"{kind}:{r.code}", f"{r.code} {label(r.code)}"
            yield fig("digcomp", "people", group, name, r.people)
            yield fig("digcomp", "first_rating", group, _("%(name)s: first rating", name=name),
                      r.first)
            yield fig("digcomp", "latest_rating", group,
                      _("%(name)s: latest rating", name=name), r.latest)
            yield fig("digcomp", "change", group, _("%(name)s: change", name=name), r.change)
    yield fig("outcomes", "level_up_pairs", "", _("Pairs with a level-up the mentor saw"),
              o.level_up)
    yield plain("outcomes", "learning_entries_confirmed", "",
                _("Learning entries of mentors, confirmed by the mentee"), o.learning_entries,
                "entries")
    yield fig("outcomes", "reciprocal_pairs", "",
              _("Pairs with a confirmed learning entry"), o.reciprocal)
    for slug, f in o.badges:
        yield fig("badges", "holders", f"badge:{slug}", w.badge_name(slug), f)
    for code, n in d.alerts.items():
        yield plain("alerts", "pairs", code, str(w.ALERT_LABELS[code]), n, "pairs")
    yield plain("alerts", "pairs", "any", _("Pairs with an alert"), d.pairs_with_alerts, "pairs")


def to_csv(d: Dashboard) -> str:
    """The CSV text, with a byte-order mark so spreadsheet programs read it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows(d))
    return "\ufeff" + out.getvalue()
