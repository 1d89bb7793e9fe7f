"""The fixed codes the program's forms offer; their translated labels live in wording.py.

Codes are stored in the database and fed to the matching engine, so they never change once
released; the labels can.
"""

from __future__ import annotations

from .matching import CADENCES, CHANNELS, RESPONSE_TIMES, STYLE_ITEMS

DIGCOMP_FRAMEWORK = "2.2"
# DigComp 2.2: five areas with 3, 6, 4, 4 and 4 competences (21 in all).
DIGCOMP_AREAS: tuple[tuple[int, tuple[str, ...]], ...] = tuple(
    (area, tuple(f"{area}.{n}" for n in range(1, count + 1)))
    for area, count in ((1, 3), (2, 6), (3, 4), (4, 4), (5, 4))
)
COMPETENCES: tuple[str, ...] = tuple(c for _, comps in DIGCOMP_AREAS for c in comps)
LEVELS = (1, 2, 3, 4, 5)

# What a senior can teach back and a junior wants to learn (program.md §2.2 reciprocity).
TOPICS = ("feedback", "stakeholders", "career", "industry", "negotiation", "leadership",
          "presenting", "networking", "projects", "wellbeing")

ROLE_PREFERENCES = ("mentor", "mentee", "either")
CAREER_STAGES = (1, 2, 3, 4, 5)
LANGUAGES = ("en", "it", "pt", "es", "fr", "de", "nl", "pl", "ro", "other")
DAYS = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0, as in the matching engine's week mask
# Parts of the day as [start, end) local hours.
DAY_PARTS: dict[str, tuple[int, int]] = {"morning": (8, 12), "afternoon": (12, 17),
                                         "evening": (17, 21)}
WANT_ROWS = 3  # mentees rank up to three skills; matching weighs them 3/2/1
GOAL_ROWS = 4  # goal rows per direction on the agreement form
FEEDBACK_KINDS = ("sbi", "feedforward")
FEEDBACK_ACTIONS = ("try", "discuss", "noted")
SESSION_MINUTES = (5, 600)

__all__ = ["CADENCES", "CHANNELS", "RESPONSE_TIMES", "STYLE_ITEMS", "COMPETENCES", "TOPICS"]
