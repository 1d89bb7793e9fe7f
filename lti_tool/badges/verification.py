"""Checking credentials: the public page's live check of a stored award, and the verify
page's check of anything uploaded (JSON, or a baked PNG/SVG), explained in plain words.

Our own DID document and status lists are resolved locally (services.did_state,
services.status_list): no HTTP to ourselves, and nothing fetched from anyone else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..db import db
from . import baking, ob3
from .dataintegrity import ProofCheck, verify_proof
from .models import BadgeAward
from .queries import credential_urn
from .services import BadgeRuntime, DidState, did_state, status_lookup

log = logging.getLogger(__name__)
_MAX_PROOFS = 20_000

# ob3.verify_credential words its checks in English; these are the sentences the pages show.
_PASSED = {
    "It is an Open Badges 3.0 credential.": _l("It is an Open Badges 3.0 credential."),
    "The signature is valid.": _l("The signature is valid: nothing was changed after it was "
                                  "issued."),
    "It is within its validity period.": _l("It is within its validity period."),
    "It has not been revoked.": _l("It has not been revoked."),
}
_ISSUED_BY = "It was issued by "
_PROBLEMS = {
    "bad_proof": _l("The signature does not match the content: the badge was changed after it "
                    "was issued, or not signed by this tool."),
    "unknown_key": _l("It was signed with a key this tool has never published."),
    "wrong_issuer": _l("Its signature does not belong to the issuer it names."),
    "revoked": _l("The issuer has revoked this badge."),
    "not_a_credential": _l("It is not an Open Badges 3.0 credential."),
}


def explain(result: ob3.VerificationResult) -> list[tuple[str, str]]:
    """(kind, sentence) per check, in the reader's language: 'ok', 'bad' or 'warn'."""
    lines: list[tuple[str, str]] = []
    for line in result.passed:
        if line in _PASSED:
            lines.append(("ok", str(_PASSED[line])))
        elif line.startswith(_ISSUED_BY):
            lines.append(("ok", _("It was issued by %(issuer)s.",
                                  issuer=line[len(_ISSUED_BY):].rstrip("."))))
        else:
            lines.append(("ok", line))
    for problem in result.problems:
        if problem.code in ("expired", "not_yet_valid"):  # carry a date: keep the detail
            text = (_("It expired on %(date)s.", date=problem.message[-11:-1])
                    if problem.code == "expired" else
                    _("It is only valid from %(date)s.", date=problem.message[-11:-1]))
        else:
            text = str(_PROBLEMS.get(problem.code, problem.message))
        lines.append(("bad", text))
    for warning in result.warnings:
        lines.append(("warn", _("Whether it was revoked could not be checked right now.")
                      if warning.code == "status_unknown" else warning.message))
    return lines


def _proof(rt: BadgeRuntime, credential: Mapping[str, Any], state: DidState) -> ProofCheck:
    proof = credential.get("proof")
    value = str(proof.get("proofValue", "")) if isinstance(proof, Mapping) else ""
    key = (str(credential.get("id", "")), value, state.fingerprint)
    found = rt._proofs.get(key)
    if found is None:
        found = verify_proof(credential, state.resolve)
        if len(rt._proofs) >= _MAX_PROOFS:
            rt._proofs.clear()
        rt._proofs[key] = found
    return found


def check_award(rt: BadgeRuntime, award: BadgeAward,
                now: datetime | None = None) -> ob3.VerificationResult:
    """Verify a stored credential as a verifier would, resolving our DID and list locally.

    The signature is checked once per process (it cannot change: the stored JSON is what was
    signed); dates and the revocation bit in the current status list on every call.
    """
    state = did_state(rt)
    credential = award.credential_json
    return ob3.verify_credential(credential, state.resolve, trusted_issuers=state.trusted,
                                 status_lookup=status_lookup(rt), now=now,
                                 proof_check=_proof(rt, credential, state))


@dataclass(frozen=True)
class UploadReport:
    """What the verify page says about an upload."""

    code: str  # 'valid', an ob3 problem code, or one of the upload codes below
    message: str
    result: ob3.VerificationResult | None = None
    award: BadgeAward | None = None
    details: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code == "valid"


UPLOAD_CODES = ("empty", "too_large", "not_json", "not_an_image", "no_credential", "jwt",
                "ob2", "other_issuer", "unreadable")


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data[:65536].lower()


def verify_upload(rt: BadgeRuntime, data: bytes, now: datetime | None = None,
                  limit: int = 1024 * 1024) -> UploadReport:
    """Check an uploaded credential (JSON text, or a baked PNG/SVG) and say why it fails."""
    if not data.strip():
        return UploadReport("empty", _("Nothing to check: choose a file or paste the badge's "
                                       "JSON text."))
    if len(data) > limit:
        return UploadReport("too_large", _("This is larger than %(kb)d KB, far more than any "
                                           "badge. Check that you chose the right file.",
                                           kb=max(1, limit // 1024)))
    try:
        return _verify_upload(rt, data, now)
    except Exception:  # noqa: BLE001 - whatever the upload is, the page answers in words
        log.exception("could not check an uploaded badge")
        return UploadReport("unreadable", _("This could not be read as a badge. If it came "
                                            "from a badge page, download it again and retry."))


def _verify_upload(rt: BadgeRuntime, data: bytes, now: datetime | None) -> UploadReport:
    if data.startswith(b"\x89PNG") or _looks_like_svg(data):
        try:
            baked = baking.unbake(data)
        except baking.NotBaked:
            return UploadReport("no_credential", _(
                "This image has no badge inside it. Only the image you download from a "
                "badge's page (the \"baked\" PNG or SVG) carries the credential."))
        except (baking.NotAnImage, ValueError, UnicodeDecodeError):
            return UploadReport("not_an_image", _(
                "This file looks like an image but cannot be read: it may be damaged or cut "
                "short. Download it again from the badge's page."))
        if baked.version == "ob2":
            return _ob2_report(rt, baked.payload)
        text = baked.payload
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return UploadReport("not_json", _(
                "This is neither JSON text nor a PNG or SVG badge image. Upload the badge's "
                "JSON file or its baked image."))
    stripped = text.strip()
    if stripped.count(".") == 2 and stripped.startswith("eyJ") and " " not in stripped:
        return UploadReport("jwt", _(
            "This is a badge in the compact JWT form. This page checks badges with an embedded "
            "proof (JSON); this tool never issues JWT badges."))
    try:
        credential = json.loads(stripped)
    except (ValueError, RecursionError) as exc:
        where = (f" (line {exc.lineno}, column {exc.colno})"
                 if isinstance(exc, json.JSONDecodeError) else "")
        return UploadReport("not_json", _("This is not valid JSON%(where)s, so it cannot be a "
                                          "badge credential. Upload the file exactly as you "
                                          "downloaded it.", where=where))
    if isinstance(credential, dict) and credential.get("type") == "Assertion":
        return _ob2_report(rt, stripped)
    state = did_state(rt)
    issuer = credential.get("issuer") if isinstance(credential, dict) else None
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if isinstance(issuer_id, str) and issuer_id not in state.trusted:
        return UploadReport("other_issuer", _(
            "This badge was issued by %(issuer)s, not by this tool (%(ours)s). This page only "
            "checks badges issued here: it never downloads other issuers' keys or status lists "
            "from the internet. Use a general verifier such as VerifierPlus "
            "(https://verifierplus.org) for badges from elsewhere.",
            issuer=issuer_id[:200], ours=state.did))
    result = ob3.verify_credential(credential, state.resolve, trusted_issuers=state.trusted,
                                   status_lookup=status_lookup(rt), now=now)
    award = None
    if isinstance(credential, dict) and isinstance(credential.get("id"), str):
        award = _award(credential["id"])
    if result.ok:
        return UploadReport("valid", _("This badge is genuine: it was issued by this tool, has "
                                       "not been changed, and has not been revoked."),
                            result, award)
    messages = {
        "bad_proof": _("This badge has been changed since it was issued, or was not signed by "
                       "this tool: its signature does not match its content."),
        "unknown_key": _("This badge was signed with a key this tool has never published."),
        "wrong_issuer": _("The badge's signature does not belong to the issuer it names."),
        "revoked": _("This badge was genuine, but the issuer has revoked it."),
        "expired": _("This badge was genuine, but it has expired."),
        "not_yet_valid": _("This badge is not valid yet."),
        "not_a_credential": _("This is JSON, but not an Open Badges 3.0 credential."),
    }
    return UploadReport(result.code, str(messages.get(result.code, result.reasons[0])),
                        result, award, tuple(result.reasons))


def _award(credential_id: str) -> BadgeAward | None:
    urn = credential_urn(credential_id)
    return db.session.scalar(select(BadgeAward).where(BadgeAward.credential_id == urn)) \
        if urn else None


def _ob2_report(rt: BadgeRuntime, payload: str) -> UploadReport:
    """An Open Badges 2.0 hosted badge: ours are checked against our records."""
    try:
        value = json.loads(payload)
        assertion_id = value.get("id") if isinstance(value, dict) else None
    except ValueError:
        assertion_id = payload.strip()
    prefix = rt.urls.ob2_assertion("")
    if isinstance(assertion_id, str) and assertion_id.startswith(prefix):
        award = _award(assertion_id[len(prefix):])
        if award is not None and award.revoked_at is not None:
            return UploadReport("revoked", _("This is an Open Badges 2.0 copy of a badge from "
                                             "this tool, and the issuer has revoked it."),
                                award=award)
        if award is not None:
            return UploadReport("valid", _("This is an Open Badges 2.0 copy of a badge issued "
                                           "by this tool, and it has not been revoked."),
                                award=award)
    return UploadReport("ob2", _(
        "This is an Open Badges 2.0 badge that this tool did not issue. Open Badges 2.0 badges "
        "are checked by asking their issuer's website, which this page does not do."))
