"""Open Badges 2.0 hosted JSON for the same awards, for backpacks that only read OB 2.0
(Moodle, Badgr/Canvas Credentials). Hosted verification: a verifier fetches the Assertion from
its `id` on our origin, so these documents must stay online as long as the badges matter.

A revoked hosted Assertion is served as the short body `revoked_assertion()` returns, with
HTTP 410 Gone (OB 2.0 §Revocation).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .dataintegrity import xsd_datetime
from .definitions import BadgeDefinition
from .ob3 import BadgeUrls, Evidence, Issuer, Recipient, identity_hash, normalize_email

CONTEXT = "https://w3id.org/openbadges/v2"


class RecipientNotAddressable(ValueError):
    """OB 2.0 identifies recipients by e-mail here; the LMS did not share one."""


def issuer_profile(issuer: Issuer, urls: BadgeUrls) -> dict[str, Any]:
    """The OB 2.0 Issuer Profile (served at urls.ob2_issuer())."""
    doc: dict[str, Any] = {"@context": CONTEXT, "type": "Issuer", "id": urls.ob2_issuer(),
                           "name": issuer.name, "url": issuer.url}
    if issuer.email:
        doc["email"] = issuer.email
    if issuer.description:
        doc["description"] = issuer.description
    if issuer.image:
        doc["image"] = issuer.image
    return doc


def badge_class(badge: BadgeDefinition, lang: str, urls: BadgeUrls) -> dict[str, Any]:
    """The OB 2.0 BadgeClass of a milestone (served at urls.ob2_badge(slug))."""
    text = badge.text(lang)
    doc: dict[str, Any] = {
        "@context": CONTEXT, "type": "BadgeClass", "id": urls.ob2_badge(badge.slug),
        "name": text.name, "description": text.description, "image": urls.image(badge.slug),
        "criteria": {"id": urls.criteria(badge.slug), "narrative": text.criteria},
        "issuer": urls.ob2_issuer(), "tags": ["reverse mentoring", badge.code],
    }
    if badge.alignments:
        doc["alignment"] = [{"targetName": a.name, "targetUrl": a.url,
                             "targetFramework": a.framework, "targetCode": a.code}
                            for a in badge.alignments]
    return doc


def assertion(*, credential_id: str, badge: BadgeDefinition, recipient: Recipient,
              issued_on: datetime, urls: BadgeUrls, evidence: Sequence[Evidence] = (),
              expires: datetime | None = None, image: str | None = None,
              narrative: str | None = None, revoked: bool = False,
              revocation_reason: str | None = None,
              identity: str | None = None) -> dict[str, Any]:
    """The hosted OB 2.0 Assertion of an award (served at urls.ob2_assertion(credential_id)).

    Uses the award's salt, so the recipient hash equals the OB 3.0 credential's. A revoked
    award keeps its data and gains `revoked`/`revocationReason`. `identity`: the stored
    'sha256$…' hash of the e-mail, when the address itself is no longer at hand.
    """
    if not recipient.email and not identity:
        raise RecipientNotAddressable("OB 2.0 needs the learner's e-mail address, which the "
                                      "LMS did not share; offer the OB 3.0 credential instead")
    doc: dict[str, Any] = {
        "@context": CONTEXT, "type": "Assertion", "id": urls.ob2_assertion(credential_id),
        "recipient": {"type": "email", "hashed": True, "salt": recipient.salt,
                      "identity": identity or identity_hash(normalize_email(str(recipient.email)),
                                                            recipient.salt)},
        "badge": urls.ob2_badge(badge.slug),
        "verification": {"type": "HostedBadge"},
        "issuedOn": xsd_datetime(issued_on),
        "image": image or urls.image(badge.slug),
    }
    if evidence:
        doc["evidence"] = [{"type": "Evidence", "name": e.name, "narrative": e.narrative}
                           for e in evidence]
    if narrative:
        doc["narrative"] = narrative
    if expires:
        doc["expires"] = xsd_datetime(expires)
    if revoked:
        doc["revoked"] = True
        if revocation_reason:
            doc["revocationReason"] = revocation_reason
    return doc


def revoked_assertion(credential_id: str, urls: BadgeUrls, reason: str | None) -> dict[str, Any]:
    """The body a revoked hosted Assertion returns (with HTTP 410)."""
    doc: dict[str, Any] = {"@context": CONTEXT, "type": "Assertion",
                           "id": urls.ob2_assertion(credential_id), "revoked": True}
    if reason:
        doc["revocationReason"] = reason
    return doc
