"""What the program dashboard says: labels of its codes and its numbers written out in words.

View layer only (the page, the home card and the CSV share it). Labels of codes the pairs area
owns (alerts, DigComp areas and competences) come from lti_tool.pairs.wording so both pages
name things the same way; track and audience labels use the catalogue's own wording.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..badges.definitions import SLUGS, BadgeContentError, badge_definitions
from ..pairs.wording import ALERT_LABELS, AREA_LABELS, COMPETENCE_LABELS
from .queries import Figure

BADGE_ORDER = SLUGS  # the milestone badges in program order

STAGE_LABELS = {
    "members": _l("Learners in the course"),
    "enrolled": _l("Joined the program"),
    "matched": _l("Matched with a partner"),
    "agreement": _l("Signed their agreement"),
    "first_session": _l("Held a first session"),
    "active": _l("Met in the last 21 days"),
    "completed": _l("Completed the program"),
}
STAGE_HINTS = {
    "members": _l("Learners who opened the tool from the course, or who are on the course "
                  "list the LMS sent."),
    "enrolled": _l("Learners who filled in their program profile."),
    "matched": _l("Both partners accepted the proposal."),
    "agreement": _l("Both partners signed the mentoring agreement."),
    "first_session": _l("Both partners confirmed at least one session."),
    "active": _l("Pairs still running, with a session both confirmed in the last 21 days."),
    "completed": _l("Both partners marked the program as done."),
}
BASE_LABELS = {
    "members": _l("of learners in the course"),
    "enrolled": _l("of people who joined"),
    "matched_pairs": _l("of matched pairs"),
}
TIME_LABELS = {
    "matched": _l("From joining to the match"),
    "agreement": _l("From the match to the signature"),
    "first_session": _l("From the match to the first session"),
}
# The same words as the module catalogue (templates/progress/_macros.html).
TRACK_LABELS = {
    "program": _l("The program"),
    "mentoring-practice": _l("Mentoring practice"),
    "feedback-culture": _l("Feedback culture"),
    "digital-skills": _l("Digital skills"),
}
AUDIENCE_LABELS = {
    "mentor": _l("For mentors"),
    "mentee": _l("For mentees"),
    "both": _l("For mentors and mentees"),
}
QUADRANT_LABELS = {
    "happy_learning": _l("Both happy and both learning"),
    "happy_not_learning": _l("Both happy, but not both learning"),
    "learning_not_happy": _l("Both learning, but not both happy"),
    "neither": _l("Not both happy and not both learning"),
}


def area_label(code: str) -> str:
    label = AREA_LABELS.get(int(code)) if code.isdigit() else None
    return str(label) if label is not None else code


def competence_label(code: str) -> str:
    label = COMPETENCE_LABELS.get(code)
    return str(label) if label is not None else code


def badge_name(slug: str) -> str:
    """The badge's name in the reader's language (its slug if the badge is unknown)."""
    try:
        definition = badge_definitions().get(slug)
    except BadgeContentError:  # broken badge content must not take the dashboard down
        definition = None
    if definition is None:
        return slug
    locale = get_locale()
    return definition.text(locale.language if locale else None).name


def too_few(f: Figure) -> str:
    """What a hidden figure shows instead of its value."""
    if f.unit == "answers":
        return _("fewer than %(n)s answers", n=f.minimum)
    if f.unit == "pairs":
        return _("fewer than %(n)s pairs", n=f.minimum)
    return _("fewer than %(n)s people", n=f.minimum)


def of_whom(f: Figure) -> str:
    """'2 of 5 pairs': the part and the whole of a share."""
    whole = f.n if f.whole is None else f.whole
    unit = f.whole_unit or f.unit
    if unit == "checkins":
        return ngettext("%(part)s of %(num)d expected check-in",
                        "%(part)s of %(num)d expected check-ins", whole, part=f.part)
    if unit == "starts":
        return ngettext("%(part)s of %(num)d module started",
                        "%(part)s of %(num)d modules started", whole, part=f.part)
    if unit == "quizzes":
        return ngettext("%(part)s of %(num)d quiz tried", "%(part)s of %(num)d quizzes tried",
                        whole, part=f.part)
    if unit == "answers":
        return ngettext("%(part)s of %(num)d answer", "%(part)s of %(num)d answers", whole,
                        part=f.part)
    if unit == "pairs":
        return ngettext("%(part)s of %(num)d pair", "%(part)s of %(num)d pairs", whole,
                        part=f.part)
    return ngettext("%(part)s of %(num)d person", "%(part)s of %(num)d people", whole,
                    part=f.part)


def figure_text(f: Figure, *, detail: bool = True) -> str:
    """A figure in words: its value, or why it is not shown."""
    if f.state == "empty":
        return "0" if f.kind == "count" else _("no data yet")
    if f.state == "hidden":
        return too_few(f)
    value = float(f.value or 0)
    if f.kind == "share":
        text = format_percent(value, "#,##0%")
        return _("%(share)s (%(of)s)", share=text, of=of_whom(f)) if detail else text
    if f.kind == "days":
        return ngettext("%(days)s day", "%(days)s days", 1 if value == 1 else 2,
                        days=format_decimal(value, "#,##0.#"))
    if f.kind == "rate":
        return format_decimal(value, "#,##0.0")
    if f.kind == "change":
        return format_decimal(value, "+#,##0.0;-#,##0.0")
    if f.kind == "mean":
        return format_decimal(value, "#,##0.0")
    return format_decimal(value, "#,##0")


def bar_value(f: Figure) -> int | None:
    """0–100 for a drawn bar next to a shown share (the number is always written too)."""
    return round(100 * float(f.value or 0)) if f.kind == "share" and f.state == "shown" else None


def template_globals() -> dict[str, Any]:
    return {"STAGE_LABELS": STAGE_LABELS, "STAGE_HINTS": STAGE_HINTS, "BASE_LABELS": BASE_LABELS,
            "TIME_LABELS": TIME_LABELS, "TRACK_LABELS": TRACK_LABELS,
            "AUDIENCE_LABELS": AUDIENCE_LABELS, "QUADRANT_LABELS": QUADRANT_LABELS,
            "ALERT_LABELS": ALERT_LABELS, "area": area_label, "competence": competence_label,
            "figure": figure_text, "bar": bar_value, "too_few": too_few,
            "badge": badge_name}
