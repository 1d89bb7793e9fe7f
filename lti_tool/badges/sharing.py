"""Sharing a badge: the LinkedIn "Add to profile" link and the fields to copy by hand.

LinkedIn reads neither Open Badges nor credentials: the link only pre-fills its "Licenses &
certifications" form, and LinkedIn says pre-filling is not guaranteed, so the page also shows
each field to copy (shared/docs/badges.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


@dataclass(frozen=True)
class ShareFields:
    name: str
    organization: str
    issued: datetime
    url: str  # the public page: LinkedIn's "Credential URL"
    credential_id: str  # LinkedIn's "Credential ID"

    @property
    def issue_month(self) -> str:
        return self.issued.strftime("%Y-%m")


def linkedin_url(share: ShareFields) -> str:
    """https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&… for one badge."""
    return LINKEDIN_ADD + "?" + urlencode({
        "startTask": "CERTIFICATION_NAME", "name": share.name,
        "organizationName": share.organization, "issueYear": str(share.issued.year),
        "issueMonth": str(share.issued.month), "certUrl": share.url,
        "certId": share.credential_id})
