"""Issuer identifiers: did:web for the deployed tool, did:key for development and tests.

Keys are Ed25519 Multikeys (`publicKeyMultibase` = 'z' + base58btc(0xed01 ‖ 32-byte key)).
The DID document lists every badge key ever used (current, next and retired) under
`assertionMethod`, so badges signed with a retired key keep verifying for ever.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import base58
from .jsonld import DID_V1, MULTIKEY_V1

_ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub, varint-encoded


def public_bytes(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def multikey(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The `publicKeyMultibase` of an Ed25519 key: 'z6Mk…'."""
    return "z" + base58.encode(_ED25519_PUB + public_bytes(key))


def public_key_from_multikey(value: str) -> Ed25519PublicKey:
    if not value.startswith("z"):
        raise ValueError("publicKeyMultibase must be base58btc ('z…')")
    raw = base58.decode(value[1:])
    if len(raw) != 34 or raw[:2] != _ED25519_PUB:
        raise ValueError("publicKeyMultibase is not an Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def public_key_from_jwk(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 JWK")
    x = str(jwk["x"])
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))


# -- did:web ------------------------------------------------------------------------------

def did_web(base_url: str) -> str:
    """did:web of the tool at `base_url`: the host (port as %3A), then any path segments.

    https://badges.example.org -> did:web:badges.example.org
    http://localhost:5000 -> did:web:localhost%3A5000
    https://example.org/mentoring -> did:web:example.org:mentoring
    """
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ValueError(f"cannot derive did:web from {base_url!r}: no host")
    host = parts.hostname.encode("idna").decode("ascii")
    if parts.port:
        host += f"%3A{parts.port}"
    segments = [quote(unquote(s), safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", host, *segments])


def did_web_document_url(did: str) -> str:
    """Where a did:web DID document lives: /.well-known/did.json, or <path>/did.json."""
    if not did.startswith("did:web:"):
        raise ValueError(f"{did!r} is not a did:web")
    host, *segments = did[len("did:web:"):].split(":")
    path = "/".join(unquote(s) for s in segments)
    return f"https://{unquote(host)}/{path + '/did.json' if path else '.well-known/did.json'}"


def did_document(did: str, public_jwks: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The DID document for /.well-known/did.json: one Multikey per badge key, all usable for
    assertions (badges signed with a retired key must keep verifying)."""
    methods = [{"id": f"{did}#{jwk['kid']}", "type": "Multikey", "controller": did,
                "publicKeyMultibase": multikey(public_key_from_jwk(jwk))} for jwk in public_jwks]
    return {"@context": [DID_V1, MULTIKEY_V1], "id": did, "verificationMethod": methods,
            "assertionMethod": [m["id"] for m in methods]}


# -- did:key ------------------------------------------------------------------------------

def did_key(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    return f"did:key:{multikey(key)}"


def did_key_verification_method(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    mk = multikey(key)
    return f"did:key:{mk}#{mk}"


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document a did:key resolves to (derived from the identifier alone)."""
    mk = did[len("did:key:"):]
    public_key_from_multikey(mk)  # validates
    vm = f"{did}#{mk}"
    return {"@context": [DID_V1, MULTIKEY_V1], "id": did,
            "verificationMethod": [{"id": vm, "type": "Multikey", "controller": did,
                                    "publicKeyMultibase": mk}],
            "assertionMethod": [vm], "authentication": [vm]}


# -- resolving verification methods ------------------------------------------------------

@dataclass(frozen=True)
class ResolvedKey:
    id: str
    controller: str
    public_key: Ed25519PublicKey
    assertion: bool  # listed under the controller's assertionMethod


KeyResolver = Callable[[str], ResolvedKey | None]


def _index(document: Mapping[str, Any]) -> dict[str, ResolvedKey]:
    did = str(document.get("id", ""))

    def absolute(ref: str) -> str:
        return f"{did}{ref}" if ref.startswith("#") else ref

    assertion = {absolute(m if isinstance(m, str) else str(m.get("id", "")))
                 for m in document.get("assertionMethod", [])}
    embedded = [m for m in document.get("assertionMethod", []) if isinstance(m, Mapping)]
    found: dict[str, ResolvedKey] = {}
    for method in [*document.get("verificationMethod", []), *embedded]:
        vm_id = absolute(str(method.get("id", "")))
        try:
            if "publicKeyMultibase" in method:
                pub = public_key_from_multikey(str(method["publicKeyMultibase"]))
            elif "publicKeyJwk" in method:
                pub = public_key_from_jwk(method["publicKeyJwk"])
            else:
                continue
        except (ValueError, KeyError):
            continue  # not an Ed25519 key: cannot verify eddsa-rdfc-2022 with it
        found[vm_id] = ResolvedKey(vm_id, str(method.get("controller", did)), pub,
                                   vm_id in assertion)
    return found


def resolver(*did_documents: Mapping[str, Any]) -> KeyResolver:
    """Resolve verification methods from the given DID documents, and any did:key offline."""
    known: dict[str, ResolvedKey] = {}
    for doc in did_documents:
        known.update(_index(doc))

    def resolve(verification_method: str) -> ResolvedKey | None:
        if verification_method in known:
            return known[verification_method]
        if verification_method.startswith("did:key:"):
            try:
                return _index(did_key_document(verification_method.split("#")[0])).get(
                    verification_method)
            except ValueError:
                return None
        return None

    return resolve
