"""Awarding, revoking and checking milestone badges. Plain typed functions: they flush, never
commit; the adapter (view, CLI, the event's sender) commits once.

One `BadgeRuntime` per app holds what never changes while it runs (definitions, URLs, settings)
and three in-process caches, each keyed so that it can never serve something stale
(verification.py uses the third):
- the DID document (refreshed every 30 s, like the key store's memo, and at once when a key
  the tool signs with is missing from it);
- signed status lists per (list number, revision) — a revocation bumps the revision;
- signature checks per (credential id, proof value, DID document fingerprint).
"""

from __future__ import annotations

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
from .dataintegrity import ProofCheck
from .definitions import BadgeDefinition
from .did import KeyResolver
from .models import BadgeAward, BadgeStatusList
from .queries import existing_awards, list_revision

log = logging.getLogger(__name__)
SENDER = "lti_tool.badges"
KEY_PURPOSE = "badges"
_DID_SECONDS = 30.0
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

