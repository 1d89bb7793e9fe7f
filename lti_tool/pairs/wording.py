"""What the pairs pages say: labels of the fixed codes and sentences for matching reasons.

View layer only: the matching engine returns codes and numbers (matching.explain); this module
turns them into plain, translated sentences for the instructor and the two partners.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

COMPETENCE_LABELS = {
    "1.1": _l("Searching and filtering information online"),
    "1.2": _l("Judging if information is reliable"),
    "1.3": _l("Storing and organising files and information"),
    "2.1": _l("Video calls, chat and messages"),
    "2.2": _l("Sharing files and information"),
    "2.3": _l("Using public online services"),
    "2.4": _l("Working together online"),
    "2.5": _l("Good manners online (netiquette)"),
    "2.6": _l("Managing your online identity"),
    "3.1": _l("Creating documents, images and videos"),
    "3.2": _l("Editing and improving existing content"),
    "3.3": _l("Copyright and licences"),
    "3.4": _l("Automating tasks and programming"),
    "4.1": _l("Protecting devices (passwords, updates, phishing)"),
    "4.2": _l("Protecting personal data and privacy"),
    "4.3": _l("Health and well-being with technology"),
    "4.4": _l("Technology and the environment"),
    "5.1": _l("Solving technical problems"),
    "5.2": _l("Finding the right tool for a need"),
    "5.3": _l("Using technology creatively (including AI)"),
    "5.4": _l("Knowing which digital skills to improve"),
}
AREA_LABELS = {
    1: _l("Information and data"), 2: _l("Communication and collaboration"),
    3: _l("Creating digital content"), 4: _l("Safety"), 5: _l("Problem solving"),
}
LEVEL_LABELS = {
    1: _l("1 – I can't do this yet"), 2: _l("2 – I can do it with help"),
    3: _l("3 – I can do it on my own"), 4: _l("4 – I can do it well and help others a little"),
    5: _l("5 – I can guide others"),
}
TOPIC_LABELS = {
    "feedback": _l("Giving and receiving feedback"),
    "stakeholders": _l("Working with managers and clients"),
    "career": _l("Career advice"),
    "industry": _l("Knowledge of our sector and organisation"),
    "negotiation": _l("Negotiating"),
    "leadership": _l("Leading people"),
    "presenting": _l("Presenting and public speaking"),
    "networking": _l("Building a network"),
    "projects": _l("Planning and running projects"),
    "wellbeing": _l("Work-life balance"),
}
ROLE_LABELS = {"mentor": _l("Mentor: I share my digital skills"),
               "mentee": _l("Mentee: I want to learn digital skills"),
               "either": _l("Either: I am happy with both roles")}
SIDE_LABELS = {"mentor": _l("mentor"), "mentee": _l("mentee")}
CHANNEL_LABELS = {"email": _l("E-mail"), "chat": _l("Chat or WhatsApp"), "phone": _l("Phone"),
                  "video": _l("Video call"), "in_person": _l("In person")}
RESPONSE_LABELS = {"same_day": _l("The same day"), "two_days": _l("Within two days"),
                   "week": _l("Within a week")}
CADENCE_LABELS = {"weekly": _l("Every week"), "fortnightly": _l("Every two weeks"),
                  "monthly": _l("Every month")}
CAREER_LABELS = {1: _l("Starting out (0–3 years of work)"), 2: _l("Early career (3–7 years)"),
                 3: _l("Mid career (8–15 years)"), 4: _l("Experienced (16–25 years)"),
                 5: _l("Very experienced (more than 25 years)")}
LANGUAGE_LABELS = {"en": "English", "it": "Italiano", "pt": "Português", "es": "Español",
                   "fr": "Français", "de": "Deutsch", "nl": "Nederlands", "pl": "Polski",
                   "ro": "Română", "other": _l("Another language")}
DAY_LABELS = {0: _l("Monday"), 1: _l("Tuesday"), 2: _l("Wednesday"), 3: _l("Thursday"),
              4: _l("Friday"), 5: _l("Saturday"), 6: _l("Sunday")}
PART_LABELS = {"morning": _l("Morning (8–12)"), "afternoon": _l("Afternoon (12–17)"),
               "evening": _l("Evening (17–21)")}
STYLE_LABELS = {
    "pace": (_l("How fast do you like to go?"), _l("1 = slow and steady, 5 = fast")),
    "structure": (_l("How much structure do you like?"),
                  _l("1 = we see where it goes, 5 = a fixed agenda")),
    "directness": (_l("How direct should feedback be?"),
                   _l("1 = gentle and indirect, 5 = very direct")),
}
FEEDBACK_KIND_LABELS = {"sbi": _l("Situation – Behaviour – Impact"),
                        "feedforward": _l("Feedforward: two ideas for the future")}
ACTION_LABELS = {"try": _l("I will try this"),
                 "discuss": _l("Let's talk about it in our next session"),
                 "noted": _l("Thank you, I have noted it")}
STATUS_LABELS = {"proposed": _l("Waiting for both to accept"), "active": _l("Active"),
                 "declined": _l("Declined"), "completed": _l("Completed")}
STEP_LABELS = {"profile": _l("Tell us about yourself"), "partner": _l("Meet your partner"),
               "agreement": _l("Agree on your goals"), "first_session": _l("Hold your first session"),
               "feedback": _l("Give and receive feedback")}
ALERT_LABELS = {
    "awaiting_consent": _l("Proposal not answered for more than 7 days"),
    "info_requested": _l("A partner asked for more information"),
    "no_first_session": _l("No first session 14 days after matching"),
    "stalled": _l("No session for 21 days"),
    "agreement_unsigned": _l("Agreement not signed 21 days after matching"),
    "low_pulse": _l("Low pulse: a partner answered 2 or less"),
    "one_sided": _l("One-sided: one partner does most of the work, or feedback goes one way"),
}
EXCLUSION_LABELS = {
    "same_person": _l("the same person"),
    "reporting_line": _l("one reports to the other (directly or one level up)"),
    "vetoed": _l("one of them declined this pairing before"),
    "paused": _l("one of them paused their participation"),
    "no_capacity": _l("the mentor has no room for another mentee"),
    "no_availability_overlap": _l("no free time in common"),
    "no_shared_language": _l("no language in common"),
    "in_person_sites_differ": _l("in person only, but at different sites"),
}
MESSAGES = {
    "profile_saved": _l("Your profile is saved."),
    "accepted": _l("Thank you. You accepted the proposal."),
    "declined": _l("You declined the proposal. You will not be proposed to each other again."),
    "info": _l("Your question was sent to the program team."),
    "agreement_saved": _l("The agreement is saved. Both of you now need to sign it."),
    "agreement_signed": _l("You signed the agreement."),
    "session_planned": _l("The session is planned. Add it to your calendar below."),
    "session_logged": _l("The session is logged. Your partner will be asked to confirm it."),
    "session_confirmed": _l("You confirmed the session."),
    "feedback_given": _l("Your feedback was sent to your partner."),
    "feedback_acknowledged": _l("Thank you for answering the feedback."),
    "checkin_saved": _l("Thank you for your check-in."),
    "learning_saved": _l("Your entry is saved. Your mentee will be asked to confirm it."),
    "learning_confirmed": _l("You confirmed the entry."),
    "attested": _l("Your attestation is saved."),
    "completed": _l("You marked your mentoring as complete."),
    "matching_run": _l("Matching finished. Review the proposals below."),
    "proposal_removed": _l("The proposal was removed."),
    "proposal_added": _l("The pair was added to the proposals."),
    "proposals_sent": _l("The proposals were sent to both partners."),
}


def label(table: Mapping[Any, Any], code: Any) -> str:
    return str(table.get(code, code))


def competence(code: str) -> str:
    return f"{code} {label(COMPETENCE_LABELS, code)}"


def _list(items: Iterable[str]) -> str:
    return ", ".join(items)


def _days(days: Iterable[int]) -> str:
    return _list(label(DAY_LABELS, d) for d in days)


def reason_sentence(reason: Mapping[str, Any]) -> str:
    """One strength of a proposed pair as a plain sentence."""
    code = reason.get("code")
    if code == "skills":
        covered = reason.get("covered", [])
        return ngettext("Covers %(num)d of %(of)d skills the mentee wants: %(list)s",
                        "Covers %(num)d of %(of)d skills the mentee wants: %(list)s",
                        len(covered), of=reason.get("of", 0),
                        list=_list(competence(c) for c in covered))
    if code == "reciprocity":
        return _("The mentor can learn: %(list)s",
                 list=_list(label(TOPIC_LABELS, t) for t in reason.get("topics", [])))
    if code == "availability":
        return ngettext("%(num)d hour a week free at the same time (%(days)s)",
                        "%(num)d hours a week free at the same time (%(days)s)",
                        int(reason.get("hours", 0)), days=_days(reason.get("days", [])))
    if code == "communication":
        channels = reason.get("channels", [])
        if channels:
            return _("Both like to keep in touch by: %(list)s",
                     list=_list(label(CHANNEL_LABELS, c) for c in channels))
        return _("Similar rhythm and working style")
    if code == "career_stage":
        return _("Different career stages: good for reverse mentoring")
    if code == "org_distance":
        if reason.get("relation") == "other_department":
            depts = [d for d in reason.get("departments", []) if d]
            return _("Different departments: %(a)s and %(b)s", a=depts[0] if depts else "",
                     b=depts[1] if len(depts) > 1 else "")
        return _("Some distance in the organisation")
    if code == "logistics":
        if reason.get("same_site"):
            return _("Same site")
        return _("Similar time zones")
    if code == "mutual_request":
        return _("They asked for each other")
    return str(code)


def gap_sentence(gap: Mapping[str, Any] | None) -> str | None:
    """The component that lost the most points, as a plain sentence (None if nothing lost)."""
    if not gap:
        return None
    code = gap.get("code")
    if code == "skills":
        missing = gap.get("missing", [])
        if not missing:
            return _("The mentor's level is lower than the mentee's target in some skills")
        return _("Not covered: %(list)s", list=_list(competence(c) for c in missing))
    if code == "reciprocity":
        missing = gap.get("missing", [])
        if not missing:
            return _("The mentor did not say what they want to learn")
        return _("The mentee cannot offer: %(list)s",
                 list=_list(label(TOPIC_LABELS, t) for t in missing))
    if code == "availability":
        return _("Only %(hours)s hours a week free at the same time; %(needed)s wanted",
                 hours=int(gap.get("hours", 0)), needed=int(gap.get("needed", 0)))
    if code == "communication":
        return _("Different ways or rhythms of keeping in touch")
    if code == "career_stage":
        return _("Similar career stages")
    if code == "org_distance":
        if gap.get("relation") == "same_team":
            return _("Same team")
        if gap.get("relation") == "same_department":
            return _("Same department")
        return _("Department not known for one of them")
    if code == "logistics":
        return _("Different sites or time zones")
    return str(code)


def exclusion_sentence(codes: Iterable[str]) -> str:
    return _list(label(EXCLUSION_LABELS, c) for c in codes)


def template_globals() -> dict[str, Any]:
    """Names the pairs templates use."""
    return {
        "COMPETENCE_LABELS": COMPETENCE_LABELS, "AREA_LABELS": AREA_LABELS,
        "LEVEL_LABELS": LEVEL_LABELS, "TOPIC_LABELS": TOPIC_LABELS, "ROLE_LABELS": ROLE_LABELS,
        "SIDE_LABELS": SIDE_LABELS, "CHANNEL_LABELS": CHANNEL_LABELS,
        "RESPONSE_LABELS": RESPONSE_LABELS, "CADENCE_LABELS": CADENCE_LABELS,
        "CAREER_LABELS": CAREER_LABELS, "LANGUAGE_LABELS": LANGUAGE_LABELS,
        "DAY_LABELS": DAY_LABELS, "PART_LABELS": PART_LABELS, "STYLE_LABELS": STYLE_LABELS,
        "FEEDBACK_KIND_LABELS": FEEDBACK_KIND_LABELS, "ACTION_LABELS": ACTION_LABELS,
        "STATUS_LABELS": STATUS_LABELS, "STEP_LABELS": STEP_LABELS,
        "ALERT_LABELS": ALERT_LABELS, "MESSAGES": MESSAGES,
        "reason_sentence": reason_sentence, "gap_sentence": gap_sentence,
        "exclusion_sentence": exclusion_sentence, "competence_label": competence,
        "join_labels": join_labels, "when": when, "day": day,
    }


def join_labels(table: Mapping[Any, Any], codes: Iterable[Any]) -> str:
    """'E-mail, Video call' for ['email', 'video']."""
    return _list(label(table, c) for c in codes)


def when(moment: datetime, timezone: str) -> str:
    """A planned time in the reader's zone and language: 'Monday 31 March 2025, 14:30'."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return format_datetime(moment, "EEEE d MMMM y, HH:mm", tzinfo=zone,
                           locale=str(get_locale() or "en"))


def day(value: date | datetime | None) -> str:
    """A calendar day in the reader's language ('31 March 2025'); '' for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, "long", locale=str(get_locale() or "en"))
