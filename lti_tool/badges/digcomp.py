"""DigComp 2.2 areas and competences, as named by the framework (for badge alignments)."""

from __future__ import annotations

FRAMEWORK_VERSION = "2.2"
FRAMEWORK_NAME = "DigComp 2.2: The Digital Competence Framework for Citizens"
# The JRC publication is the stable reference: the framework has no per-competence pages.
FRAMEWORK_URL = "https://publications.jrc.ec.europa.eu/repository/handle/JRC128415"

NAMES: dict[str, str] = {
    "1": "Information and data literacy",
    "1.1": "Browsing, searching and filtering data, information and digital content",
    "1.2": "Evaluating data, information and digital content",
    "1.3": "Managing data, information and digital content",
    "2": "Communication and collaboration",
    "2.1": "Interacting through digital technologies",
    "2.2": "Sharing through digital technologies",
    "2.3": "Engaging in citizenship through digital technologies",
    "2.4": "Collaborating through digital technologies",
    "2.5": "Netiquette",
    "2.6": "Managing digital identity",
    "3": "Digital content creation",
    "3.1": "Developing digital content",
    "3.2": "Integrating and re-elaborating digital content",
    "3.3": "Copyright and licences",
    "3.4": "Programming",
    "4": "Safety",
    "4.1": "Protecting devices",
    "4.2": "Protecting personal data and privacy",
    "4.3": "Protecting health and well-being",
    "4.4": "Protecting the environment",
    "5": "Problem solving",
    "5.1": "Solving technical problems",
    "5.2": "Identifying needs and technological responses",
    "5.3": "Creatively using digital technologies",
    "5.4": "Identifying digital competence gaps",
}


def label(code: str) -> str:
    """'4.2' -> 'DigComp 2.2 4.2 Protecting personal data and privacy'."""
    return f"DigComp {FRAMEWORK_VERSION} {code} {NAMES[code]}"
