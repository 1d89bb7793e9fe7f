"""W3C Bitstring Status List: revocation bits for every credential we issue.

Each award owns one global position (BadgeAward.status_index) for ever; position p lives in
list p // LIST_SIZE + 1 at index p % LIST_SIZE. A list is a signed
BitstringStatusListCredential whose `encodedList` is 'u' + base64url(gzip(bits)), bit 0 being
the most significant bit of the first byte. Lists are 131,072 entries (16 KiB), the spec's
minimum, so a list reveals little about any one holder (herd privacy).
"""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .dataintegrity import verify_proof, xsd_datetime
from .did import KeyResolver
from .jsonld import VC_V2
from .models import BadgeAward, BadgeStatusCounter
from .ob3 import Issuer, StatusLookup, sign

LIST_SIZE = 131_072
PURPOSE = "revocation"
_MAX_DECODED = 16 * 1024 * 1024  # refuse gzip bombs in lists we did not make


def list_location(position: int) -> tuple[int, int]:
    """Global position -> (list number starting at 1, index inside that list)."""
    if position < 0:
        raise ValueError("status positions are never negative")
    return position // LIST_SIZE + 1, position % LIST_SIZE


def allocate_positions(session: Session, count: int = 1, purpose: str = PURPOSE) -> range:
    """Reserve `count` consecutive positions; safe under concurrent transactions.

    The counter row is bumped with UPDATE … RETURNING, which serialises concurrent callers
    (row lock on PostgreSQL, write lock on SQLite) until their transactions end. Flushes only.
    """
    if count < 1:
        raise ValueError("allocate at least one position")
    bump = (update(BadgeStatusCounter).where(BadgeStatusCounter.purpose == purpose)
            .values(next_position=BadgeStatusCounter.next_position + count)
            .returning(BadgeStatusCounter.next_position)
            .execution_options(synchronize_session=False))
    end = session.execute(bump).scalar_one_or_none()
    if end is None:
        try:
            with session.begin_nested():
                session.add(BadgeStatusCounter(purpose=purpose, next_position=0))
        except IntegrityError:  # another transaction created the row first
            pass
        end = session.execute(bump).scalar_one()
    return range(end - count, end)


# -- the bitstring ------------------------------------------------------------------------

def encode_list(indexes: Iterable[int], size: int = LIST_SIZE) -> str:
    """Multibase base64url of the gzipped bitstring with the given indexes set."""
    if size % 8:
        raise ValueError("the bitstring size must be a whole number of bytes")
    bits = bytearray(size // 8)
    for index in indexes:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside the list (0..{size - 1})")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime 0 keeps the credential byte-identical while nothing changed.
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def decode_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u…')")
    body = encoded[1:]
    packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    inflater = zlib.decompressobj(31)
    bits = inflater.decompress(packed, _MAX_DECODED)
    if inflater.unconsumed_tail:
        raise ValueError("encodedList is larger than any status list we accept")
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


# -- the status list credential -----------------------------------------------------------

def build_status_list_credential(issuer: Issuer, list_url: str, revoked: Iterable[int], *,
                                 now: datetime | None = None,
                                 ttl_ms: int | None = None) -> dict[str, Any]:
    """The signed BitstringStatusListCredential for one list (revoked = indexes in it)."""
    moment = now or datetime.now(UTC)
    subject: dict[str, Any] = {"id": f"{list_url}#list", "type": "BitstringStatusList",
                               "statusPurpose": PURPOSE, "encodedList": encode_list(revoked)}
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    doc = {"@context": [VC_V2], "id": list_url,
           "type": ["VerifiableCredential", "BitstringStatusListCredential"],
           "issuer": issuer.id, "validFrom": xsd_datetime(moment), "credentialSubject": subject}
    return sign(doc, issuer, moment)


def revoked_indexes(session: Session, list_number: int) -> list[int]:
    """Indexes of revoked awards inside one list, from the database."""
    first = (list_number - 1) * LIST_SIZE
    positions = session.scalars(
        select(BadgeAward.status_index).where(
            BadgeAward.revoked_at.is_not(None), BadgeAward.status_index >= first,
            BadgeAward.status_index < first + LIST_SIZE))
    return sorted(p - first for p in positions)


def status_lookup(lists: Mapping[str, Mapping[str, Any]], resolve: KeyResolver, *,
                  issuer_id: str | None = None) -> StatusLookup:
    """A StatusLookup over status list credentials already at hand (URL -> credential).

    Each list is verified once (signature, issuer, purpose); a list that is missing or fails
    verification answers None ("cannot tell"), never "not revoked".
    """
    verified: dict[str, bytes | None] = {}

    def load(url: str) -> bytes | None:
        cred = lists.get(url)
        if cred is None or cred.get("id") != url:
            return None
        subject = cred.get("credentialSubject")
        if not isinstance(subject, Mapping) or subject.get("statusPurpose") != PURPOSE:
            return None
        if issuer_id is not None and cred.get("issuer") != issuer_id:
            return None
        if not verify_proof(cred, resolve).ok:
            return None
        try:
            return decode_list(str(subject.get("encodedList", "")))
        except (ValueError, zlib.error):
            return None

    def lookup(entry: Mapping[str, Any]) -> bool | None:
        url = str(entry.get("statusListCredential", ""))
        if url not in verified:
            verified[url] = load(url)
        bits = verified[url]
        try:
            return None if bits is None else bit_is_set(bits, int(entry["statusListIndex"]))
        except (KeyError, ValueError, IndexError):
            return None

    return lookup
