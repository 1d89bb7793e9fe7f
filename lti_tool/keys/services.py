"""Generate, encrypt, load (once per process) and rotate signing keys."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..db import db, utcnow
from .models import ToolKey

PURPOSES = ("lti", "badges")
# How long a worker trusts its memo of which key is current before asking the database again;
# a rotation on another host is picked up within this many seconds.
_MEMO_SECONDS = 30.0

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class SigningKey:
    kid: str
    purpose: str
    private_key: Any  # a loaded key object: never re-parsed per signature
    public_jwk: dict[str, Any]


class KeyStore:
    """Per-process memo over the tool_key table. One instance per app."""

    def __init__(self, secret: str, encryption_key: str | None = None):
        material = (encryption_key or secret).encode()
        self._aead = AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                                 info=b"lti_tool key encryption").derive(material))
        self._loaded: dict[str, Any] = {}
        self._current: dict[str, tuple[float, SigningKey]] = {}
        self._lock = threading.Lock()

    # -- encryption at rest -------------------------------------------------------------
    def _seal(self, der: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, der, b"tool_key")

    def _open(self, blob: bytes) -> bytes:
        return self._aead.decrypt(blob[:12], blob[12:], b"tool_key")

    def _load(self, row: ToolKey) -> Any:
        key = self._loaded.get(row.kid)
        if key is None:
            # RSA validation in OpenSSL 3 costs ~30 ms; the key was validated when generated.
            key = serialization.load_der_private_key(
                self._open(row.private_key), password=None, unsafe_skip_rsa_key_validation=True)
            self._loaded[row.kid] = key
        return key

    # -- generation ---------------------------------------------------------------------
    def _new_row(self, purpose: str, state: str) -> ToolKey:
        if purpose == "lti":
            rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            key: PrivateKey = rsa_key
            jwk = _rsa_public_jwk(rsa_key.public_key())
        else:
            key = ed25519.Ed25519PrivateKey.generate()
            raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
            jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64u(raw)}
        kid = _thumbprint(jwk)
        jwk = {**jwk, "kid": kid, "use": "sig", "alg": "RS256" if purpose == "lti" else "EdDSA"}
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        now = utcnow()
        return ToolKey(kid=kid, purpose=purpose, state=state, private_key=self._seal(der),
                       public_jwk=jwk, created_at=now,
                       activated_at=now if state == "current" else None)

    def ensure_keys(self, purpose: str) -> None:
        """Create the current and next key of `purpose` on first use (safe under races)."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        states = set(db.session.scalars(
            select(ToolKey.state).where(ToolKey.purpose == purpose,
                                        ToolKey.state.in_(("current", "next")))))
        missing = [s for s in ("current", "next") if s not in states]
        if not missing:
            return
        try:
            with db.session.begin_nested():
                for state in missing:
                    db.session.add(self._new_row(purpose, state))
        except IntegrityError:  # another worker generated them at the same moment
            pass

    # -- use ----------------------------------------------------------------------------
    def current(self, purpose: str) -> SigningKey:
        """The key that signs now, loaded once per process."""
        now = time.monotonic()
        memo = self._current.get(purpose)
        if memo and now - memo[0] < _MEMO_SECONDS:
            return memo[1]
        rows = self._rows(purpose, "current")
        if not rows:
            self.ensure_keys(purpose)
            db.session.commit()
            rows = self._rows(purpose, "current")
        row = rows[0]
        with self._lock:
            key = SigningKey(row.kid, purpose, self._load(row), row.public_jwk)
            self._current[purpose] = (now, key)
        return key

    def by_kid(self, kid: str) -> SigningKey | None:
        row = db.session.scalar(select(ToolKey).where(ToolKey.kid == kid))
        if row is None:
            return None
        return SigningKey(row.kid, row.purpose, self._load(row), row.public_jwk)

    def _rows(self, purpose: str, state: str) -> list[ToolKey]:
        return list(db.session.scalars(
            select(ToolKey).where(ToolKey.purpose == purpose, ToolKey.state == state)
            .order_by(ToolKey.activated_at.desc().nullslast(), ToolKey.id.desc())))

    def published(self, purpose: str) -> list[dict[str, Any]]:
        """Public JWKs to publish: current, next, and retired keys still in their overlap."""
        now = utcnow()
        rows = db.session.scalars(select(ToolKey).where(ToolKey.purpose == purpose)
                                  .order_by(ToolKey.id))
        return [r.public_jwk for r in rows
                if r.state in ("current", "next") or r.publish_until is None
                or r.publish_until > now]

    def all_rows(self, purpose: str) -> list[ToolKey]:
        return list(db.session.scalars(select(ToolKey).where(ToolKey.purpose == purpose)
                                       .order_by(ToolKey.id)))

    def rotate(self, purpose: str, overlap: timedelta | None) -> ToolKey:
        """next → current, current → retired (published for `overlap`, None = for ever),
        and a fresh next key. Returns the new current key. Flushes; the caller commits."""
        self.ensure_keys(purpose)
        db.session.flush()
        now = utcnow()
        for row in self._rows(purpose, "current"):
            row.state, row.retired_at = "retired", now
            row.publish_until = None if overlap is None else now + overlap
        nxt = self._rows(purpose, "next")[0]
        nxt.state, nxt.activated_at = "current", now
        db.session.add(self._new_row(purpose, "next"))
        db.session.flush()
        self._current.pop(purpose, None)
        return nxt

    def forget_memo(self) -> None:
        self._current.clear()


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _rsa_public_jwk(pub: rsa.RSAPublicKey) -> dict[str, Any]:
    n = pub.public_numbers()
    return {"kty": "RSA", "e": _b64u(n.e.to_bytes((n.e.bit_length() + 7) // 8, "big")),
            "n": _b64u(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big"))}


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a stable kid derived from the public key."""
    members = {k: jwk[k] for k in sorted(jwk) if k in ("crv", "e", "kty", "n", "x")}
    canonical = "{" + ",".join(f'"{k}":"{v}"' for k, v in members.items()) + "}"
    return _b64u(hashlib.sha256(canonical.encode()).digest())
