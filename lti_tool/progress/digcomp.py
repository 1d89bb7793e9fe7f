"""DigComp 2.2 competence names and the 5-point self-assessment scale, as translatable UI text.

The content engine knows only competence ids ("4.2"); learners see these names next to the
scale. Titles follow the framework (JRC128415). Lazy strings, so each request shows its locale.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

COMPETENCES: dict[str, LazyString] = {
    "1.1": _l("Browsing, searching and filtering data, information and digital content"),
    "1.2": _l("Evaluating data, information and digital content"),
    "1.3": _l("Managing data, information and digital content"),
    "2.1": _l("Interacting through digital technologies"),
    "2.2": _l("Sharing through digital technologies"),
    "2.3": _l("Engaging in citizenship through digital technologies"),
    "2.4": _l("Collaborating through digital technologies"),
    "2.5": _l("Netiquette"),
    "2.6": _l("Managing digital identity"),
    "3.1": _l("Developing digital content"),
    "3.2": _l("Integrating and re-elaborating digital content"),
    "3.3": _l("Copyright and licences"),
    "3.4": _l("Programming"),
    "4.1": _l("Protecting devices"),
    "4.2": _l("Protecting personal data and privacy"),
    "4.3": _l("Protecting health and well-being"),
    "4.4": _l("Protecting the environment"),
    "5.1": _l("Solving technical problems"),
    "5.2": _l("Identifying needs and technological responses"),
    "5.3": _l("Creatively using digital technologies"),
    "5.4": _l("Identifying digital competence gaps"),
}

# The EU self-assessment item: 1 = "can't do this yet" … 5 = "can guide others".
SCALE: tuple[tuple[int, LazyString], ...] = (
    (1, _l("I can't do this yet")),
    (2, _l("I can do it with help")),
    (3, _l("I can do it on my own")),
    (4, _l("I can do it confidently")),
    (5, _l("I can guide others")),
)
LEVELS = tuple(level for level, _label in SCALE)


def competence_name(competence_id: str) -> str:
    """'4.2' -> 'Protecting personal data and privacy' (in the current locale)."""
    name = COMPETENCES.get(competence_id)
    return str(name) if name is not None else competence_id


def scale_label(level: int | None) -> str:
    """3 -> 'I can do it on my own'; '' for a level outside the scale."""
    return next((str(label) for value, label in SCALE if value == level), "")
