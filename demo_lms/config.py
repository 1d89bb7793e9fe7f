"""Configuration of the demo LMS: the platform settings, the demo course and its people.

Everything here is plain data; ``demo_lms.state.DemoLMS`` turns it into a running platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# --- LTI vocabulary used across the package ---------------------------------------------

ROLE_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SUPPORTED_SCOPES: tuple[str, ...] = (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    SCOPE_NRPS,
)
AGS_SCOPES = frozenset(
    {SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE}
)

CLAIM_LAUNCH_PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
CLAIM_TOOL_PLATFORM = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"
CLAIM_DEPLOYMENT_ID = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
CLAIM_MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
CLAIM_VERSION = "https://purl.imsglobal.org/spec/lti/claim/version"
CLAIM_AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM_DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
CLAIM_DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
CLAIM_DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
CLAIM_DL_MSG = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
CLAIM_DL_LOG = "https://purl.imsglobal.org/spec/lti-dl/claim/log"
CLAIM_DL_ERRORMSG = "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"
CLAIM_DL_ERRORLOG = "https://purl.imsglobal.org/spec/lti-dl/claim/errorlog"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"

MEDIA_SCORE = "application/vnd.ims.lis.v1.score+json"
MEDIA_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MEDIA_LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEDIA_RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
MEDIA_MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

#: Identity claims a tool can ask for (dynamic registration ``claims``); name and email are PII.
SUPPORTED_CLAIMS: tuple[str, ...] = (
    "iss",
    "sub",
    "name",
    "given_name",
    "family_name",
    "email",
    "locale",
)
PII_CLAIMS = frozenset({"name", "given_name", "family_name", "email"})

#: The launch languages offered on the home page (sent as launch_presentation.locale).
LOCALES: dict[str, str] = {"en": "English", "it": "Italiano", "pt": "Português"}

ProgramRole = Literal["instructor", "mentor", "mentee"]


@dataclass(frozen=True)
class Person:
    """A member of the demo course.

    ``program_role`` is the reverse-mentoring role. It is *not* an LTI role: learners
    (mentors and mentees) get the LIS ``Learner`` role and the program role travels as
    the custom parameter ``program_role`` on resource-link launches.
    """

    user_id: str
    given_name: str
    family_name: str
    email: str
    program_role: ProgramRole
    #: When true the platform never sends name or email (id_token and NRPS), as a
    #: privacy-restricted LMS would.
    withhold_pii: bool = False
    description: str = ""

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def lti_roles(self) -> list[str]:
        return [ROLE_INSTRUCTOR] if self.program_role == "instructor" else [ROLE_LEARNER]

    @property
    def is_instructor(self) -> bool:
        return self.program_role == "instructor"


INSTRUCTOR_ID = "user-irene"

DEFAULT_PEOPLE: tuple[Person, ...] = (
    Person(
        INSTRUCTOR_ID, "Irene", "Instructor", "irene.instructor@example.org", "instructor",
        description="Runs the pilot and adds activities.",
    ),
    Person(
        "user-maya", "Maya", "Okafor", "maya.okafor@example.org", "mentor",
        description="Junior developer, 24.",
    ),
    Person(
        "user-luca", "Luca", "Ferri", "luca.ferri@example.org", "mentor",
        description="Data analyst, 27.",
    ),
    Person(
        "user-beatriz", "Beatriz", "Santos", "beatriz.santos@example.org", "mentor",
        description="UX designer, 25.",
    ),
    Person(
        "user-giovanni", "Giovanni", "Rossi", "giovanni.rossi@example.org", "mentee",
        description="Head of procurement, 61.",
    ),
    Person(
        "user-margaret", "Margaret", "Hughes", "margaret.hughes@example.org", "mentee",
        description="Finance director, 58.",
    ),
    Person(
        "user-antonio", "António", "Pereira", "antonio.pereira@example.org", "mentee",
        withhold_pii=True,
        description="Plant manager, 63. Asked the LMS not to share his name and email.",
    ),
)

#: Id of the resource link that exists from the start (the tool's home for the course).
HOME_LINK_ID = "rl-1"


@dataclass
class PlatformConfig:
    """Settings of one demo LMS instance (one Flask app).

    The defaults give a pre-registered platform for a tool at http://127.0.0.1:5000 with
    ``client_id=demo-client`` and ``deployment_id=demo-deployment``.
    """

    #: Platform base URL, used as ``iss`` and as the prefix of every URL handed out.
    #: ``None``: ``http://localhost`` (Flask test client); ``start_platform_server`` fills
    #: in the bound ``http://127.0.0.1:<port>``.
    issuer: str | None = None
    #: Base URL of the tool (no trailing slash needed).
    tool_url: str = "http://127.0.0.1:5000"
    #: Pre-registered tool client_id. ``None`` starts unregistered: register the tool with
    #: Dynamic Registration (home page button) or ``DemoLMS.register_tool()``.
    client_id: str | None = "demo-client"
    deployment_id: str = "demo-deployment"
    #: Platform signing key (PKCS#8 or PKCS#1 PEM). Generated when not given.
    private_key_pem: str | None = None
    #: ``kid`` of that key; derived from the RFC 7638 thumbprint when not given.
    kid: str | None = None
    #: Optional PEM file: loaded if it exists, else the generated key is saved there, so a
    #: restarted demo keeps its key (and the tool's cached JWKS stays valid).
    key_file: str | None = None
    #: Static tool key set (``{"keys": [...]}``) used instead of fetching the tool JWKS URL.
    #: Handy for tests that sign tool-side JWTs themselves.
    tool_jwks: dict[str, Any] | None = None
    tool_login_path: str = "/lti/login"
    tool_launch_path: str = "/lti/launch"
    tool_jwks_path: str = "/lti/jwks"
    tool_register_path: str = "/lti/register"
    #: Scopes granted to the pre-registered tool.
    tool_scopes: tuple[str, ...] = SUPPORTED_SCOPES
    #: Identity claims the pre-registered tool receives (drop name/email to simulate a
    #: privacy-restricted registration).
    tool_claims: tuple[str, ...] = SUPPORTED_CLAIMS

    context_id: str = "course-rmp-2026"
    context_title: str = "Reverse Mentoring Pilot"
    context_label: str = "RMP"
    people: tuple[Person, ...] = DEFAULT_PEOPLE
    home_link_title: str = "Reverse Mentoring Pilot"

    #: Moodle-like query string appended to every AGS/NRPS URL handed out and REQUIRED on
    #: every service request (a tool must insert ``/scores`` before the ``?``). "" disables.
    service_url_query: str = "type_id=1"
    #: Paging cursors in ``Link`` headers are opaque mixed-case tokens (as on Canvas), so a
    #: tool that lowercases the next URL (pylti1p3 2.0.0) breaks. False: ``page=2``.
    opaque_page_cursors: bool = True
    #: Page size the NRPS uses when the tool sends no ``limit`` (None: everything at once).
    nrps_default_limit: int | None = None
    #: Largest ``limit`` honoured on paged endpoints.
    max_page_size: int = 100

    access_token_ttl: int = 3600
    id_token_ttl: int = 300
    login_hint_ttl: int = 600
    deep_link_data_ttl: int = 3600
    registration_token_ttl: int = 3600
    #: Timeout of the platform's GET of the tool JWKS.
    tool_jwks_timeout: float = 5.0
    #: ``Cache-Control: max-age`` of the platform JWKS.
    jwks_max_age: int = 300

    #: Bound of the launch, token-grant and access logs kept for inspection (the
    #: ``counters`` stay exact; every score is kept).
    max_log_entries: int = 10_000

    platform_name: str = "Demo LMS"
    platform_guid: str = "demo-lms.example.org"
    version: str = "0.1.0"
    #: Extra substitution values (``$Name`` -> value) on top of the built-in ones.
    extra_variables: dict[str, str] = field(default_factory=dict)
