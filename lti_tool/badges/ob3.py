"""Open Badges 3.0: build, sign (eddsa-rdfc-2022) and verify one OpenBadgeCredential per award.

Shape (OB 3.0 + VCDM 2.0): @context exactly [VC v2, OB 3.0.3, OB extensions] - the extensions
context defines `1EdTechJsonSchemaValidator2019`; without it the credential cannot verify in
JavaScript verifiers (shared/docs/badges.md §0.2). Recipient: salted sha256 e-mail
IdentityObject; when the LMS withheld the e-mail, the LTI user id (`ltiUserId`, hashed) plus the
platform (`ltiPlatformId`), both identifier types of the OB 3.0 IdentifierTypeEnum.
Evidence carries counts and dates only, never what a pair talked about.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..keys.services import SigningKey
from .dataintegrity import ProofCheck, add_proof, verify_proof, xsd_datetime
from .definitions import BadgeDefinition
from .did import KeyResolver, did_key, did_key_verification_method, did_web
from .jsonld import OB_EXTENSIONS, OB_V3, VC_V2

CONTEXT = [VC_V2, OB_V3, OB_EXTENSIONS]
CREDENTIAL_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
SCHEMA_URL = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
              "ob_v3p0_achievementcredential_schema.json")
_OB_CONTEXT = re.compile(r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)?\.json$")


# -- who issues ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Issuer:
    """The tool as issuer: its DID, public profile and the key that signs now."""

    id: str
    name: str
    url: str
    verification_method: str
    private_key: Ed25519PrivateKey = field(repr=False)
    image: str | None = None
    email: str | None = None
    description: str | None = None

    def profile(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name,
                               "url": self.url}
        if self.description:
            doc["description"] = self.description
        if self.email:
            doc["email"] = self.email
        if self.image:
            doc["image"] = {"id": self.image, "type": "Image"}
        return doc


def web_issuer(base_url: str, key: SigningKey, *, name: str, image: str | None = None,
               email: str | None = None, description: str | None = None) -> Issuer:
    """Issuer `did:web:<host>` signing with a KeyStore badge key (fragment = the key's kid)."""
    did = did_web(base_url)
    return Issuer(did, name, base_url.rstrip("/"), f"{did}#{key.kid}", key.private_key,
                  image, email, description)


def key_issuer(private_key: Ed25519PrivateKey, *, name: str, url: str,
               image: str | None = None) -> Issuer:
    """Issuer `did:key:z6Mk…` for development and tests: verifiable with no DID document."""
    return Issuer(did_key(private_key), name, url, did_key_verification_method(private_key),
                  private_key, image)


@dataclass(frozen=True)
class BadgeUrls:
    """Public URLs under the tool's base URL (the views serve these paths)."""

    base: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.rstrip("/"))

    def achievement(self, slug: str) -> str:
        return f"{self.base}/badges/{slug}"

    def criteria(self, slug: str) -> str:
        return f"{self.base}/badges/{slug}#criteria"

    def image(self, slug: str) -> str:
        return f"{self.base}/badges/{slug}/image.png"

    def credential(self, credential_id: str) -> str:
        """Public verification page of one credential (also LinkedIn's certUrl)."""
        return f"{self.base}/badges/credentials/{credential_id.removeprefix('urn:uuid:')}"

    def status_list(self, number: int) -> str:
        return f"{self.base}/badges/status/{number}"

    def did_document(self) -> str:
        return f"{self.base}/.well-known/did.json"

    def ob2_issuer(self) -> str:
        return f"{self.base}/ob2/issuer"

    def ob2_badge(self, slug: str) -> str:
        return f"{self.base}/ob2/badges/{slug}"

    def ob2_assertion(self, credential_id: str) -> str:
        return f"{self.base}/ob2/assertions/{credential_id.removeprefix('urn:uuid:')}"


# -- who receives -------------------------------------------------------------------------

def new_salt() -> str:
    return secrets.token_hex(16)


def normalize_email(email: str) -> str:
    # Lower-cased so a learner can prove ownership however the LMS capitalised the address.
    return email.strip().lower()


def identity_hash(value: str, salt: str) -> str:
    """OB 2.0/3.0 IdentityHash: 'sha256$' + hex(sha256(value + salt))."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Recipient:
    """A learner as the credential names them: hashed e-mail, else hashed LTI user id."""

    salt: str
    email: str | None = None
    lti_user_id: str | None = None  # the launch's `sub`, unique within one platform
    platform_id: str | None = None  # the launch's `iss`
    display_name: str | None = None  # only when the learner chose to show their name

    def __post_init__(self) -> None:
        if not self.email and not (self.lti_user_id and self.platform_id):
            raise ValueError("a recipient needs an e-mail, or an LTI user id and platform")

    @property
    def identity_hash(self) -> str:
        """The hash stored with the award: of the e-mail, else of the LTI user id."""
        value = normalize_email(self.email) if self.email else str(self.lti_user_id)
        return identity_hash(value, self.salt)

    def identifiers(self) -> list[dict[str, Any]]:
        def obj(kind: str, value: str, hashed: bool) -> dict[str, Any]:
            entry: dict[str, Any] = {"type": "IdentityObject", "identityType": kind,
                                     "hashed": hashed, "identityHash": value}
            if hashed:
                entry["salt"] = self.salt
            return entry

        if self.email:
            found = [obj("emailAddress", self.identity_hash, True)]
        else:
            # LTI user ids are only unique per platform: name the platform (an LMS URL, not
            # personal data) beside the hashed id.
            found = [obj("ltiUserId", self.identity_hash, True),
                     obj("ltiPlatformId", str(self.platform_id), False)]
        if self.display_name:
            found.append(obj("name", self.display_name, False))
        return found


# -- what was achieved --------------------------------------------------------------------

@dataclass(frozen=True)
class Evidence:
    """A milestone summary: counts and dates only (reverse-mentoring pairs are private)."""

    name: str
    narrative: str
    description: str | None = None
    genre: str | None = None

    @classmethod
    def summary(cls, name: str, facts: Mapping[str, str | int | date]) -> Evidence:
        """Evidence from labelled facts, e.g. {"Sessions confirmed by both": 4}."""
        lines = [f"- {label}: {value.isoformat() if isinstance(value, date) else value}"
                 for label, value in facts.items()]
        return cls(name=name, narrative="\n".join(lines))

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": ["Evidence"], "name": self.name,
                               "narrative": self.narrative}
        if self.description:
            doc["description"] = self.description
        if self.genre:
            doc["genre"] = self.genre
        return doc


@dataclass(frozen=True)
class Award:
    """Everything one credential says, apart from who issues it."""

    badge: BadgeDefinition
    recipient: Recipient
    awarded_at: datetime
    status_list_url: str
    status_index: int
    evidence: tuple[Evidence, ...] = ()
    lang: str = "en"
    credential_id: str | None = None  # 'urn:uuid:…'; a fresh one when None
    valid_from: datetime | None = None  # defaults to awarded_at; bump on re-issue
    valid_until: datetime | None = None


def status_entry(list_url: str, index: int) -> dict[str, Any]:
    """A BitstringStatusListEntry (W3C): what DCC/Digital Bazaar verifiers actually check."""
    return {"id": f"{list_url}#{index}", "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": str(index),
            "statusListCredential": list_url}


def achievement(badge: BadgeDefinition, lang: str, issuer: Issuer,
                urls: BadgeUrls) -> dict[str, Any]:
    """The OB 3.0 Achievement (badge class) of a milestone, in one language."""
    text = badge.text(lang)
    doc: dict[str, Any] = {
        "id": urls.achievement(badge.slug), "type": ["Achievement"], "achievementType": "Badge",
        "name": text.name, "description": text.description,
        "criteria": {"id": urls.criteria(badge.slug), "narrative": text.criteria},
        "image": {"id": urls.image(badge.slug), "type": "Image", "caption": text.image_alt},
        "creator": issuer.profile(), "inLanguage": lang, "version": str(badge.version),
    }
    if badge.alignments:
        doc["alignment"] = [{"type": ["Alignment"], "targetName": a.name, "targetUrl": a.url,
                             "targetFramework": a.framework, "targetCode": a.code}
                            for a in badge.alignments]
    return doc


def build_credential(award: Award, issuer: Issuer, urls: BadgeUrls) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential for one award."""
    badge, text = award.badge, award.badge.text(award.lang)
    lang = award.lang if award.lang in badge.texts else "en"
    cred: dict[str, Any] = {
        "@context": list(CONTEXT),
        "id": award.credential_id or f"urn:uuid:{uuid.uuid4()}",
        "type": list(CREDENTIAL_TYPE),
        "issuer": issuer.profile(),
        "name": text.name,
        "description": text.description,
        "image": {"id": urls.image(badge.slug), "type": "Image", "caption": text.image_alt},
        "validFrom": xsd_datetime(award.valid_from or award.awarded_at),
        "awardedDate": xsd_datetime(award.awarded_at),
        "credentialSubject": {"type": ["AchievementSubject"],
                              "identifier": award.recipient.identifiers(),
                              "achievement": achievement(badge, lang, issuer, urls)},
        "credentialStatus": status_entry(award.status_list_url, award.status_index),
        "credentialSchema": [{"id": SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if award.valid_until:
        cred["validUntil"] = xsd_datetime(award.valid_until)
    if award.evidence:
        cred["evidence"] = [e.as_json() for e in award.evidence]
    return cred


def sign(document: Mapping[str, Any], issuer: Issuer,
         created: datetime | None = None) -> dict[str, Any]:
    """Add the issuer's eddsa-rdfc-2022 proof (refuses undefined terms / relative IRIs)."""
    return add_proof(document, private_key=issuer.private_key,
                     verification_method=issuer.verification_method,
                     created=created or datetime.now(UTC))


def issue(award: Award, issuer: Issuer, urls: BadgeUrls,
          now: datetime | None = None) -> dict[str, Any]:
    """Build and sign the credential of one award."""
    return sign(build_credential(award, issuer, urls), issuer, now)


def issue_many(awards: Iterable[Award], issuer: Issuer, urls: BadgeUrls,
               now: datetime | None = None) -> list[dict[str, Any]]:
    """Issue a batch (backfills, re-issues): contexts and safe-mode checks are shared."""
    moment = now or datetime.now(UTC)
    return [issue(a, issuer, urls, moment) for a in awards]


# -- verify -------------------------------------------------------------------------------

StatusLookup = Callable[[Mapping[str, Any]], bool | None]
"""Given a credentialStatus entry: True = revoked, False = not, None = cannot tell now."""


@dataclass(frozen=True)
class Problem:
    code: str  # not_a_credential | bad_proof | unknown_key | wrong_issuer | revoked | expired
    #            | not_yet_valid | status_unknown (a warning)
    message: str


@dataclass(frozen=True)
class VerificationResult:
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()
    passed: tuple[str, ...] = ()  # checks that passed, in plain words
    credential_id: str | None = None
    issuer_id: str | None = None
    achievement_name: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def code(self) -> str:
        return self.problems[0].code if self.problems else "valid"

    @property
    def reasons(self) -> list[str]:
        return [p.message for p in self.problems]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _structure_problems(cred: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    ctx = _as_list(cred.get("@context"))
    if ctx[:1] != [VC_V2]:
        found.append("its first @context is not the W3C credentials v2 context")
    if len(ctx) < 2 or not isinstance(ctx[1], str) or not _OB_CONTEXT.match(ctx[1]):
        found.append("its second @context is not an Open Badges 3.0 context")
    types = _as_list(cred.get("type"))
    if "VerifiableCredential" not in types or not {"OpenBadgeCredential",
                                                   "AchievementCredential"} & set(types):
        found.append("it is not typed as an OpenBadgeCredential")
    if not isinstance(cred.get("id"), str):
        found.append("it has no id")
    if not (cred.get("issuer") if isinstance(cred.get("issuer"), str)
            else isinstance(cred.get("issuer"), Mapping) and cred["issuer"].get("id")):
        found.append("it names no issuer")
    if not isinstance(cred.get("validFrom"), str):
        found.append("it has no validFrom date")
    subject = cred.get("credentialSubject")
    if not isinstance(subject, Mapping) or not isinstance(subject.get("achievement"), Mapping):
        found.append("it has no credentialSubject with an achievement")
    return found


def _parse_time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def verify_credential(credential: Any, resolve: KeyResolver, *,
                      trusted_issuers: Iterable[str] | None = None,
                      status_lookup: StatusLookup | None = None,
                      now: datetime | None = None,
                      proof_check: ProofCheck | None = None) -> VerificationResult:
    """Check a credential the way a verifier would: structure, proof, issuer, dates, status.

    `trusted_issuers`: when given, only these issuer ids pass (e.g. our own DID).
    `status_lookup`: resolves credentialStatus; without it revocation is reported unchecked.
    `proof_check`: a verify_proof() result for this very credential, computed earlier (the
    public pages check the signature once per process and dates and status on every request).
    """
    if not isinstance(credential, Mapping):
        return VerificationResult((Problem("not_a_credential", "This is not a credential: "
                                           "expected a JSON object."),))
    problems: list[Problem] = []
    warnings: list[Problem] = []
    passed: list[str] = []
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    subject = credential.get("credentialSubject")
    achievement_doc = subject.get("achievement") if isinstance(subject, Mapping) else None
    name = achievement_doc.get("name") if isinstance(achievement_doc, Mapping) else None
    found = {"credential_id": credential.get("id") if isinstance(credential.get("id"), str)
             else None, "issuer_id": issuer_id if isinstance(issuer_id, str) else None,
             "achievement_name": name if isinstance(name, str) else None}

    def result(problems: list[Problem]) -> VerificationResult:
        return VerificationResult(tuple(problems), tuple(warnings), tuple(passed), **found)

    structure = _structure_problems(credential)
    if structure:
        return result([Problem("not_a_credential", "This is not an Open Badges 3.0 "
                               "credential: " + "; ".join(structure) + ".")])
    passed.append("It is an Open Badges 3.0 credential.")

    proof = proof_check if proof_check is not None else verify_proof(credential, resolve)
    if proof.ok:
        passed.append(proof.message)
    else:
        code = "unknown_key" if proof.code == "unknown_key" else "bad_proof"
        problems.append(Problem(code, f"The badge cannot be trusted. {proof.message}"))
    if proof.key is not None and proof.key.controller != issuer_id:
        problems.append(Problem("wrong_issuer", f"The badge says it was issued by {issuer_id}, "
                                f"but it was signed with a key of {proof.key.controller}."))
    if trusted_issuers is not None and issuer_id not in set(trusted_issuers):
        problems.append(Problem("wrong_issuer", f"The badge was issued by {issuer_id}, which is "
                                "not an issuer we recognise."))
    elif proof.ok and not any(p.code == "wrong_issuer" for p in problems):
        passed.append(f"It was issued by {issuer_id}.")

    moment = now or datetime.now(UTC)
    valid_from = _parse_time(credential.get("validFrom"))
    valid_until = _parse_time(credential["validUntil"]) if "validUntil" in credential else None
    if valid_from is None:
        problems.append(Problem("not_a_credential", "Its validFrom date cannot be read."))
    elif valid_from > moment:
        problems.append(Problem("not_yet_valid", f"The badge is only valid from "
                                f"{valid_from.date().isoformat()}."))
    if "validUntil" in credential and valid_until is None:
        problems.append(Problem("not_a_credential", "Its validUntil date cannot be read."))
    elif valid_until is not None and valid_until < moment:
        problems.append(Problem("expired", f"The badge expired on "
                                f"{valid_until.date().isoformat()}."))
    elif valid_from is not None and valid_from <= moment:
        passed.append("It is within its validity period.")

    for entry in _as_list(credential.get("credentialStatus")):
        if not isinstance(entry, Mapping) or entry.get("statusPurpose") not in ("revocation",
                                                                                 None):
            continue
        revoked = status_lookup(entry) if status_lookup is not None else None
        if revoked:
            problems.append(Problem("revoked", "The issuer has revoked this badge."))
        elif revoked is None:
            warnings.append(Problem("status_unknown", "Whether the badge was revoked could not "
                                    "be checked right now."))
        else:
            passed.append("It has not been revoked.")
    return result(problems)
