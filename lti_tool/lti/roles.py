"""Map LTI roles to the tool's two roles."""

from __future__ import annotations

from collections.abc import Iterable

_LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

# Context roles that manage the program in a course. TeachingAssistant and ContentDeveloper run
# pairs and assign modules like an instructor; Administrator (context, institution or system)
# is treated as an instructor so LMS admins can set the program up.
_INSTRUCTOR = {
    _LIS + "membership#Instructor",
    _LIS + "membership/Instructor#TeachingAssistant",
    _LIS + "membership#ContentDeveloper",
    _LIS + "membership#Administrator",
    _LIS + "institution/person#Administrator",
    _LIS + "system/person#Administrator",
    # Short forms that LTI 1.3 allows for context roles (Canvas and Moodle send full URIs).
    "Instructor", "ContentDeveloper", "Administrator", "TeachingAssistant",
}


def tool_role(lti_roles: Iterable[str]) -> str:
    """'instructor' when any role manages the course, else 'learner'.

    The LIS `Mentor` role (a parent or observer in LMS terms) is not our mentor: it maps to
    learner; being a mentor in the program is chosen in the learner's own profile.
    """
    for role in lti_roles:
        if role in _INSTRUCTOR or role.startswith(_LIS + "membership/Instructor#"):
            return "instructor"
    return "learner"
