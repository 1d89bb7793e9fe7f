"""Awarding, revoking and checking milestone badges. Plain typed functions: they flush, never
commit; the adapter (view, CLI, the event's sender) commits once.

One `BadgeRuntime` per app holds what never changes while it runs (definitions, URLs, settings)
and three in-process caches, each keyed so that it can never serve something stale:
- the DID document (refreshed every 30 s, like the key store's memo, and at once when a key
  the tool signs with is missing from it);
- signed status lists per (list number, revision) — a revocation bumps the revision;
- signature checks per (credential id, proof value, DID document fingerprint).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import events
from ..db import db
from ..keys.services import KeyStore, SigningKey
from ..lti.models import Registration, User
from . import baking, did, digcomp, facts, ob2, ob3, rules, statuslist
from .dataintegrity import ProofCheck, verify_proof
from .definitions import BadgeDefinition
from .did import KeyResolver
from .models import BadgeAward, BadgeStatusList
from .queries import credential_urn, existing_awards, list_revision

log = logging.getLogger(__name__)
SENDER = "lti_tool.badges"
KEY_PURPOSE = "badges"
_DID_SECONDS = 30.0
_MAX_PROOFS = 20_000
LANGUAGES = ("en", "it", "pt")

# Evidence labels: what each fact means, in the credential's language. Counts and dates only.
LABELS: dict[str, Any] = {
    "formed_on": _l("Pair formed on"),
    "signed_on": _l("Agreement signed by both partners on"),
    "mentee_goals": _l("Mentee goals linked to a DigComp competence"),
    "mentor_goals": _l("Mentor goals"),
    "first_session_on": _l("First session held on"),
    "minutes": _l("Length of the first session (minutes)"),
    "feedback_to_mentee": _l("Feedback from mentor to mentee, acknowledged"),
    "feedback_to_mentor": _l("Feedback from mentee to mentor, acknowledged"),
    "completed_on": _l("Milestone reached on"),
    "sessions": _l("Sessions confirmed by both partners"),
    "longest_gap_days": _l("Longest gap between these sessions (days)"),
    "from": _l("First of these sessions"),
    "to": _l("Last of these sessions"),
    "reviewed_on": _l("Mid-point review completed by both on"),
    "modules_passed": _l("Learning modules passed"),
    "competence": _l("DigComp competence"),
    "steps_gained": _l("Steps gained on the 5-point self-assessment"),
    "attested_on": _l("Task observed by the mentor on"),
    "entries_confirmed": _l("Learning entries confirmed by the mentee"),
}


# -- the runtime ------------------------------------------------------------------------------

@dataclass(frozen=True)
class DidState:
    did: str
    document: dict[str, Any]
    resolve: KeyResolver
    fingerprint: tuple[str, ...]  # the kids it lists
    trusted: frozenset[str]  # issuer ids whose badges this tool vouches for


@dataclass
class BadgeRuntime:
    """Per-app badge settings and caches (app.extensions['lti_tool.badges'])."""

    definitions: Mapping[str, BadgeDefinition]
    base_url: str
    tool_name: str
    keystore: KeyStore
    did_method: str = "web"  # 'key' only for development and tests
    issuer_email: str | None = None
    program_days: int = 180
    module_tracks: Mapping[str, str] = field(default_factory=dict)
    urls: ob3.BadgeUrls = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _did: tuple[float, DidState] | None = field(default=None, repr=False)
    _keys: dict[str, SigningKey] = field(default_factory=dict, repr=False)
    _lists: dict[int, tuple[int, dict[str, Any], ob3.StatusLookup]] = field(
        default_factory=dict, repr=False)
    _proofs: dict[tuple[str, str, tuple[str, ...]], ProofCheck] = field(
        default_factory=dict, repr=False)
    _labels: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.urls = ob3.BadgeUrls(self.base_url)

    @property
    def settings(self) -> rules.Settings:
        return rules.Settings(program_days=self.program_days, module_tracks=self.module_tracks)

    def badge(self, slug: str) -> BadgeDefinition | None:
        return self.definitions.get(slug)

    def forget_caches(self) -> None:
        """Drop every cache (after a key rotation in this process, and in tests)."""
        with self._lock:
            self._did = None
            self._keys.clear()
            self._lists.clear()
            self._proofs.clear()


# -- keys, issuer, DID document ---------------------------------------------------------------

def current_key(rt: BadgeRuntime) -> SigningKey:
    """The badge key that signs now; created on first use (flushed, the caller commits)."""
    rows = rt.keystore.all_rows(KEY_PURPOSE)
    if not any(r.state == "current" for r in rows):
        rt.keystore.ensure_keys(KEY_PURPOSE)
        db.session.flush()
        rows = rt.keystore.all_rows(KEY_PURPOSE)
    row = max((r for r in rows if r.state == "current"),
              key=lambda r: (r.activated_at or r.created_at, r.id))
    key = rt._keys.get(row.kid)
    if key is None:
        key = rt.keystore.by_kid(row.kid)
        assert key is not None
        rt._keys[row.kid] = key
    return key


def issuer_now(rt: BadgeRuntime) -> ob3.Issuer:
    """The tool as issuer: did:web on its base URL (did:key in development)."""
    key = current_key(rt)
    if rt.did_method == "key":
        return ob3.key_issuer(key.private_key, name=rt.tool_name, url=rt.base_url)
    memo = rt._did
    if memo is not None and key.kid not in memo[1].fingerprint:
        rt._did = None  # a key rotated in: publish it before anything it signs is checked
    return ob3.web_issuer(rt.base_url, key, name=rt.tool_name, email=rt.issuer_email)


def did_state(rt: BadgeRuntime) -> DidState:
    """The DID document listing every badge key ever used (current, next and retired)."""
    memo = rt._did
    if memo is not None and time.monotonic() - memo[0] < _DID_SECONDS:
        return memo[1]
    rows = rt.keystore.all_rows(KEY_PURPOSE)
    if not rows:
        rt.keystore.ensure_keys(KEY_PURPOSE)
        db.session.flush()
        rows = rt.keystore.all_rows(KEY_PURPOSE)
    jwks = [r.public_jwk for r in rows]
    did_id = did.did_web(rt.base_url)
    document = did.did_document(did_id, jwks)
    trusted = {did_id}
    if rt.did_method == "key":
        trusted |= {did.did_key(did.public_key_from_jwk(j)) for j in jwks}
    state = DidState(did_id, document, did.resolver(document), tuple(j["kid"] for j in jwks),
                     frozenset(trusted))
    rt._did = (time.monotonic(), state)
    return state


# -- status lists -----------------------------------------------------------------------------

def _bump_revision(number: int, now: datetime) -> None:
    bump = (update(BadgeStatusList).where(BadgeStatusList.number == number)
            .values(revision=BadgeStatusList.revision + 1, changed_at=now)
            .execution_options(synchronize_session=False))
    if db.session.execute(bump).rowcount == 1:  # type: ignore[attr-defined]
        return
    try:
        with db.session.begin_nested():
            db.session.add(BadgeStatusList(number=number, revision=1, changed_at=now))
    except IntegrityError:  # another transaction created it first
        db.session.execute(bump)


def list_number_of(rt: BadgeRuntime, url: str) -> int | None:
    prefix = rt.urls.status_list(0)[:-1]
    if not url.startswith(prefix) or not url[len(prefix):].isdigit():
        return None
    number = int(url[len(prefix):])
    return number if number >= 1 else None


def status_list(rt: BadgeRuntime, number: int, now: datetime | None = None
                ) -> tuple[int, dict[str, Any], ob3.StatusLookup]:
    """(revision, signed BitstringStatusListCredential, lookup over it) for list `number`.

    Built from the database once per revision and process; the revision is read every time.
    """
    revision = list_revision(number)
    cached = rt._lists.get(number)
    if cached is not None and cached[0] == revision:
        return cached
    with rt._lock:
        cached = rt._lists.get(number)
        if cached is not None and cached[0] == revision:
            return cached
        issuer = issuer_now(rt)
        url = rt.urls.status_list(number)
        revoked = statuslist.revoked_indexes(db.session(), number)
        credential = statuslist.build_status_list_credential(
            issuer, url, revoked, now=now or datetime.now(UTC))
        lookup = statuslist.status_lookup({url: credential}, did_state(rt).resolve,
                                          issuer_id=issuer.id)
        built = (revision, credential, lookup)
        rt._lists[number] = built
        return built


def status_lookup(rt: BadgeRuntime) -> ob3.StatusLookup:
    """Resolve credentialStatus entries that point at our own lists, locally (no HTTP)."""

    def lookup(entry: Mapping[str, Any]) -> bool | None:
        number = list_number_of(rt, str(entry.get("statusListCredential", "")))
        if number is None:
            return None
        return status_list(rt, number)[2](entry)

    return lookup


# -- awarding ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A milestone someone has reached and holds no award for yet."""

    user_id: int
    context_id: int
    pair_id: int | None
    badge: BadgeDefinition
    decision: rules.Decision


def decide(rt: BadgeRuntime, pairs: Sequence[facts.PairFacts], now: datetime, *,
           only_users: Iterable[int] | None = None) -> list[Candidate]:
    """Evaluate every rule for both partners of each pair; the milestones newly reached."""
    wanted = set(only_users) if only_users is not None else None
    keys = [(u, p.context_id) for p in pairs for u in (p.mentor_id, p.mentee_id)
            if wanted is None or u in wanted]
    if not keys:
        return []
    people = facts.people(keys)
    every, held = existing_awards(keys)
    settings = rt.settings
    found: list[Candidate] = []
    for pair in pairs:
        for user_id in (pair.mentor_id, pair.mentee_id):
            if wanted is not None and user_id not in wanted:
                continue
            key = (user_id, pair.context_id)
            side = pair.side_of(user_id) or ""
            for badge in rt.definitions.values():  # in badge order: B10 sees B2..B6 first
                if badge.slug in every[key]:
                    continue
                decision = rules.evaluate(badge, pair, people[key], side, held[key], now,
                                          settings)
                if decision.met:
                    found.append(Candidate(user_id, pair.context_id, pair.id, badge, decision))
                    every[key].add(badge.slug)
                    held[key].add(badge.slug)
    return found


def _labels(rt: BadgeRuntime, lang: str) -> tuple[str, dict[str, str]]:
    cached = rt._labels.get(lang)
    if cached is None:
        with force_locale(lang):
            cached = (_("Milestone summary"), {k: str(v) for k, v in LABELS.items()})
        rt._labels[lang] = cached
    return cached


def _evidence(rt: BadgeRuntime, decision: rules.Decision, lang: str) -> ob3.Evidence:
    name, labels = _labels(rt, lang)
    shown: dict[str, str | int | date] = {}
    for key, value in decision.facts.items():
        if key == "competence" and value in digcomp.NAMES:
            value = digcomp.label(str(value))
        shown[labels.get(key, key)] = value
    return ob3.Evidence.summary(name, shown)


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in values.items()}


def _language(locale: str | None) -> str:
    lang = (locale or "").replace("_", "-").split("-")[0].lower()
    return lang if lang in LANGUAGES else "en"


def issue_awards(rt: BadgeRuntime, candidates: Sequence[Candidate], now: datetime, *,
                 issuer: ob3.Issuer | None = None, bulk: bool = False) -> list[BadgeAward]:
    """Sign and store one credential per candidate; skip any awarded meanwhile (idempotent).

    Each award gets a status-list position and a signed OB 3.0 credential, and sends
    `badge_awarded`. `bulk` inserts a batch at once and falls back to one SAVEPOINT per award
    only when someone else awarded one of them in the meantime.
    """
    if not candidates:
        return []
    users = {row.id: row for row in db.session.execute(
        select(User.id, User.email, User.sub, User.locale, Registration.issuer)
        .join(Registration, Registration.id == User.registration_id)
        .where(User.id.in_(sorted({c.user_id for c in candidates}))))}
    todo = [c for c in candidates if c.user_id in users]
    if not todo:
        return []
    issuer = issuer or issuer_now(rt)
    positions = statuslist.allocate_positions(db.session(), len(todo))
    records: list[dict[str, Any]] = []
    for candidate, position in zip(todo, positions, strict=True):
        user = users[candidate.user_id]
        lang = _language(user.locale)
        recipient = ob3.Recipient(salt=ob3.new_salt(), email=user.email or None,
                                  lti_user_id=None if user.email else user.sub,
                                  platform_id=None if user.email else user.issuer)
        number, index = statuslist.list_location(position)
        award = ob3.Award(badge=candidate.badge, recipient=recipient, awarded_at=now,
                          status_list_url=rt.urls.status_list(number), status_index=index,
                          evidence=(_evidence(rt, candidate.decision, lang),), lang=lang,
                          credential_id=f"urn:uuid:{uuid.uuid4()}")
        credential = ob3.issue(award, issuer, rt.urls, now)
        records.append({
            "user_id": candidate.user_id, "context_id": candidate.context_id,
            "pair_id": candidate.pair_id, "badge_slug": candidate.badge.slug,
            "badge_version": candidate.badge.version, "awarded_at": now,
            "credential_id": credential["id"], "status_index": position,
            "credential_json": credential, "recipient_salt": recipient.salt,
            "identity_hash": recipient.identity_hash,
            "evidence": {"facts": _jsonable(candidate.decision.facts),
                         "flags": _jsonable(candidate.decision.flags)},
            "show_name": False})
    stored = _insert(records, bulk)
    for row in stored:
        events.badge_awarded.send(SENDER, award_id=row.id, user_id=row.user_id,
                                  badge_slug=row.badge_slug, awarded_at=row.awarded_at)
    return stored


def _insert(records: list[dict[str, Any]], bulk: bool) -> list[BadgeAward]:
    if bulk:
        rows = [BadgeAward(**r) for r in records]
        try:
            with db.session.begin_nested():
                db.session.add_all(rows)
            return rows
        except IntegrityError:
            pass  # one of them was awarded meanwhile: retry one by one (fresh objects)
    stored = []
    for record in records:
        row = BadgeAward(**record)
        try:
            with db.session.begin_nested():  # the unique (user, course, badge) decides
                db.session.add(row)
        except IntegrityError:
            continue
        stored.append(row)
    return stored


def evaluate_pairs(rt: BadgeRuntime, pair_ids: Sequence[int], now: datetime, *,
                   only_users: Iterable[int] | None = None, bulk: bool = False,
                   issuer: ob3.Issuer | None = None) -> list[BadgeAward]:
    """Award every milestone the partners of these pairs have reached and not been awarded."""
    pairs = facts.pairs_by_id(pair_ids)
    return issue_awards(rt, decide(rt, pairs, now, only_users=only_users), now, issuer=issuer,
                        bulk=bulk)


def evaluate_person(rt: BadgeRuntime, user_id: int, context_id: int,
                    now: datetime) -> list[BadgeAward]:
    """Award what one learner has reached in their pairs of one course."""
    pairs = facts.pairs_of_person(user_id, context_id)
    return issue_awards(rt, decide(rt, pairs, now, only_users=[user_id]), now)


@dataclass(frozen=True)
class NextStep:
    badge: BadgeDefinition
    have: int | None
    need: int | None


def whats_next(rt: BadgeRuntime, user_id: int, context_id: int, now: datetime
               ) -> list[NextStep]:
    """Badges the learner can still earn, in order, with how far along they are."""
    key = (user_id, context_id)
    every, held = existing_awards([key])
    pairs = facts.pairs_of_person(user_id, context_id)
    person = facts.people([key])[key]
    steps: list[NextStep] = []
    for badge in rt.definitions.values():
        if badge.slug in every[key]:
            continue
        sides = [(p, p.side_of(user_id) or "") for p in pairs]
        relevant = [(p, s) for p, s in sides if rules.applies_to(badge, s)]
        if pairs and not relevant:
            continue  # a mentor-only badge for someone who is only a mentee, and so on
        best: rules.Decision | None = None
        for pair, side in relevant:
            d = rules.evaluate(badge, pair, person, side, held[key], now, rt.settings)
            if d.have is not None and (best is None or (best.have or 0) < d.have):
                best = d
        steps.append(NextStep(badge, best.have if best else None, best.need if best else None))
    return steps


# -- revoking, sharing ------------------------------------------------------------------------

def revoke(award: BadgeAward, reason: str, now: datetime) -> bool:
    """Revoke an award with a reason; False (and no change) when it already was revoked.

    Flips its bit in the status list (the list's revision is bumped, so every cache rebuilds
    it) and sends `badge_revoked`. Safe when two people revoke at the same moment.
    """
    done = db.session.execute(
        update(BadgeAward).where(BadgeAward.id == award.id, BadgeAward.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason=reason)
        .execution_options(synchronize_session=False))
    db.session.refresh(award)
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    _bump_revision(statuslist.list_location(award.status_index)[0], now)
    db.session.flush()
    events.badge_revoked.send(SENDER, award_id=award.id, reason=reason, revoked_at=now)
    return True


def set_show_name(award: BadgeAward, show: bool) -> None:
    """The learner's choice: show their name on this badge's public page (default: no)."""
    award.show_name = bool(show)
    db.session.flush()


# -- checking ---------------------------------------------------------------------------------

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


# -- OB 2.0 -----------------------------------------------------------------------------------

def ob2_assertion(rt: BadgeRuntime, award: BadgeAward) -> dict[str, Any]:
    """The hosted OB 2.0 Assertion of an award (same salt and hash as the OB 3.0 credential).

    Raises ob2.RecipientNotAddressable when the award names the learner by LTI id only.
    """
    credential = award.credential_json
    subject = credential.get("credentialSubject", {})
    kinds = [i.get("identityType") for i in subject.get("identifier", [])]
    if "emailAddress" not in kinds:
        raise ob2.RecipientNotAddressable("OB 2.0 needs an e-mail recipient")
    badge = rt.definitions[award.badge_slug]
    evidence = [ob3.Evidence(name=e.get("name", ""), narrative=e.get("narrative", ""))
                for e in credential.get("evidence", []) if isinstance(e, dict)]
    # The learner's e-mail is not kept: the stored hash is the identity (same as OB 3.0).
    recipient = ob3.Recipient(salt=award.recipient_salt, lti_user_id="-", platform_id="-")
    return ob2.assertion(credential_id=award.credential_id, badge=badge, recipient=recipient,
                         issued_on=award.awarded_at, urls=rt.urls, evidence=evidence,
                         image=f"{rt.urls.ob2_assertion(award.credential_id)}/image.png",
                         identity=award.identity_hash)


def ob2_issuer(rt: BadgeRuntime) -> dict[str, Any]:
    """The OB 2.0 Issuer Profile of the tool."""
    return ob2.issuer_profile(issuer_now(rt), rt.urls)


# -- small helpers for the adapters -----------------------------------------------------------

def credential_file_name(award: BadgeAward, extension: str) -> str:
    return f"{award.badge_slug}-{award.credential_id.rsplit(':', 1)[-1][:8]}.{extension}"


def badge_png(rt: BadgeRuntime, slug: str, size: int = 512) -> bytes:
    return baking.badge_png(rt.definitions[slug], size)

