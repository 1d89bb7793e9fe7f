"""Platform signing keys with rotation: every key is published, the active one signs.

Keys are parsed once and kept as ``cryptography`` key objects. Parsing an RSA private
key PEM costs ~30 ms with OpenSSL 3 (docs/lti.md §4), which lti1p3platform would
otherwise pay twice per id_token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass(frozen=True)
class PlatformKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey
    private_pem: str
    public_pem: str
    #: Public JWK with ``kid``, ``alg`` and ``use``.
    public_jwk: dict[str, Any]


def generate_private_key_pem(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA JWK (base64url SHA-256 of the canonical members)."""
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def load_platform_key(private_key_pem: str, kid: str | None = None) -> PlatformKey:
    private_key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("the platform key must be an RSA private key (RS256)")
    public_key = private_key.public_key()
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    jwk.pop("key_ops", None)  # RFC 7517 §4.3: do not combine key_ops with use
    kid = kid or jwk_thumbprint(jwk)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    public_pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    return PlatformKey(kid, private_key, public_key, private_key_pem, public_pem, jwk)


def load_or_create_key_file(path: str) -> str:
    """Return the PEM stored at ``path``, generating (and saving, mode 0600) it if absent."""
    file = Path(path)
    if file.exists():
        return file.read_text(encoding="ascii")
    pem = generate_private_key_pem()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.touch(mode=0o600)
    file.write_text(pem, encoding="ascii")
    return pem


class KeyRing:
    """The platform's key set. Thread safe.

    Rotation: ``add()`` a key (it is published in the JWKS at once), later
    ``activate()`` it so it signs; ``remove()`` retires an old key once tool caches
    have expired. ``rotate()`` does add + activate in one step.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, PlatformKey] = {}
        self._active_kid: str | None = None

    def add(
        self, private_key_pem: str | None = None, kid: str | None = None, activate: bool = False
    ) -> str:
        """Add a key (generated if no PEM is given); returns its kid."""
        key = load_platform_key(private_key_pem or generate_private_key_pem(), kid)
        with self._lock:
            if key.kid in self._keys:
                raise ValueError(f"a key with kid {key.kid!r} already exists")
            self._keys[key.kid] = key
            if activate or self._active_kid is None:
                self._active_kid = key.kid
        return key.kid

    def activate(self, kid: str) -> None:
        with self._lock:
            if kid not in self._keys:
                raise KeyError(kid)
            self._active_kid = kid

    def rotate(self) -> str:
        """Generate a new key, publish it and sign with it from now on. Old keys stay published."""
        return self.add(activate=True)

    def remove(self, kid: str) -> None:
        with self._lock:
            if kid == self._active_kid:
                raise ValueError("cannot remove the active signing key; activate another first")
            del self._keys[kid]

    @property
    def active(self) -> PlatformKey:
        with self._lock:
            assert self._active_kid is not None, "the key ring is empty"
            return self._keys[self._active_kid]

    @property
    def active_kid(self) -> str:
        return self.active.kid

    def get(self, kid: str) -> PlatformKey | None:
        with self._lock:
            return self._keys.get(kid)

    def kids(self) -> list[str]:
        with self._lock:
            return list(self._keys)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            return {"keys": [dict(key.public_jwk) for key in self._keys.values()]}
