"""Refused logins and launches: plain words for the person, details for the log."""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import lazy_gettext as _l

from ..errors import DomainError

log = logging.getLogger("lti_tool.lti")

# code -> (what went wrong, what an administrator can do). Plain language: the person seeing it
# is often a learner inside an LMS frame who will forward it to someone.
MESSAGES: dict[str, tuple[Any, Any]] = {
    "missing_param": (_l("The course system did not send everything needed to open the tool."),
                      _l("An administrator can check the tool's registration in the LMS.")),
    "unknown_platform": (_l("This course system is not registered with the tool."),
                         _l("An administrator can register it on the tool's admin page or with "
                         "Dynamic Registration.")),
    "bad_target": (_l("The link points to a different website than this tool."),
                   _l("An administrator can check the tool's launch URL in the LMS settings.")),
    "malformed": (_l("The sign-in message from the course system could not be read."),
                  _l("Try again. If it keeps happening, an administrator can check the LMS logs.")),
    "bad_signature": (_l("The sign-in message could not be verified."),
                      _l("An administrator can check the platform's key set URL in the tool's "
                      "registration.")),
    "expired": (_l("The sign-in message has expired."),
                _l("Go back to your course and open the tool again. If clocks differ a lot, an "
                "administrator can check the server time.")),
    "wrong_audience": (_l("The sign-in message was meant for another tool."),
                       _l("An administrator can check the client ID in the tool's registration.")),
    "replayed": (_l("This sign-in was already used."),
                 _l("Go back to your course and open the tool again.")),
    "missing_state": (_l("The tool could not match this sign-in to your browser."),
                      _l("Go back to your course and open the tool again. If it keeps happening, "
                      "open it in a new window.")),
    "unknown_deployment": (_l("This course system's installation of the tool is not activated yet."),
                           _l("An administrator can activate it on the tool's admin page.")),
    "bad_message": (_l("The course system sent a message the tool does not understand."),
                    _l("An administrator can check the LMS placement of the tool.")),
    "key_set_unavailable": (_l("The tool could not reach the course system to check the sign-in."),
                            _l("Try again in a minute. An administrator can check the platform's "
                            "key set URL.")),
    "no_context": (_l("The tool must be opened from inside a course."),
                   _l("An instructor can add the tool to a course and open it from there.")),
}


class LaunchError(DomainError):
    """A refused OIDC login or launch (always a 4xx)."""

    title = _l("The tool could not open")

    def __init__(self, code: str, detail: str = "", *, issuer: str = "", client_id: str = "",
                 deployment_id: str = "", status: int = 400):
        message, hint = MESSAGES[code]
        super().__init__(str(message), hint=str(hint))
        self.code = code
        self.status_code = status
        log.warning("lti refused code=%s iss=%r client_id=%r deployment_id=%r detail=%s",
                    code, issuer, client_id, deployment_id, detail)
