"""demo_lms: an independent LTI 1.3 platform ("demo LMS") built on PyPI lti1p3platform.

For newcomers (run it next to the tool and launch from a browser) and for the tool's
end-to-end tests. It never imports the tool's code.
"""

from .config import DEFAULT_PEOPLE, HOME_LINK_ID, INSTRUCTOR_ID, Person, PlatformConfig
from .platform import create_platform_app, get_lms
from .server import PlatformServer, start_platform_server
from .state import DemoLMS

__all__ = [
    "DEFAULT_PEOPLE",
    "HOME_LINK_ID",
    "INSTRUCTOR_ID",
    "DemoLMS",
    "Person",
    "PlatformConfig",
    "PlatformServer",
    "create_platform_app",
    "get_lms",
    "start_platform_server",
]
