"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C vc-di-eddsa).

Sign: hash = SHA-256(RDFC-1.0(proof config)) ‖ SHA-256(RDFC-1.0(document without proof)),
Ed25519 over that, proofValue = base58btc multibase. The proof config is the proof without
`proofValue`, under the document's own @context. Verify repeats the same steps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld.jsonld import JsonLdError

from . import base58
from .did import KeyResolver, ResolvedKey
from .jsonld import ContextNotBundled, UnsafeDocument, canonicalize, check_safe_once

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"


def xsd_datetime(moment: datetime) -> str:
    """UTC, whole seconds, 'Z': the form every verifier parses."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash_data(unsecured: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
    return _config_digest(json.dumps(proof_config, sort_keys=True, separators=(",", ":"))) \
        + hashlib.sha256(canonicalize(unsecured).encode()).digest()


@lru_cache(maxsize=1024)
def _config_digest(config_json: str) -> bytes:
    # A batch signs many credentials with one proof configuration (same key, same `created`)
    # and a verifier meets the same few configurations again and again: canonicalise each once.
    return hashlib.sha256(canonicalize(json.loads(config_json)).encode()).digest()


def add_proof(document: Mapping[str, Any], *, private_key: Ed25519PrivateKey,
              verification_method: str, created: datetime,
              proof_purpose: str = "assertionMethod") -> dict[str, Any]:
    """Return a copy of `document` with a DataIntegrityProof; refuses unsafe documents."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "created": xsd_datetime(created),
             "verificationMethod": verification_method, "proofPurpose": proof_purpose}
    config = {"@context": unsecured["@context"], **proof}
    check_safe_once(unsecured)
    check_safe_once(config)
    signature = private_key.sign(_hash_data(unsecured, config))
    return {**unsecured, "proof": {**proof, "proofValue": "z" + base58.encode(signature)}}


@dataclass(frozen=True)
class ProofCheck:
    ok: bool
    code: str  # 'ok' | 'no_proof' | 'bad_proof' | 'unknown_key' | 'unsafe'
    message: str
    key: ResolvedKey | None = None


def verify_proof(document: Mapping[str, Any], resolve: KeyResolver,
                 proof_purpose: str = "assertionMethod") -> ProofCheck:
    """Check the document's single eddsa-rdfc-2022 proof; says why in plain words when not."""
    proof = document.get("proof")
    if not isinstance(proof, Mapping):
        return ProofCheck(False, "no_proof", "It carries no single embedded proof (signature).")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return ProofCheck(False, "bad_proof", f"Its proof is of a kind this tool does not check "
                          f"({proof.get('type')}/{proof.get('cryptosuite')}).")
    if proof.get("proofPurpose") != proof_purpose:
        return ProofCheck(False, "bad_proof", f"Its proof is meant for "
                          f"{proof.get('proofPurpose')!r}, not for {proof_purpose!r}.")
    value = proof.get("proofValue")
    try:
        if not isinstance(value, str) or not value.startswith("z"):
            raise ValueError
        signature = base58.decode(value[1:])
    except ValueError:
        return ProofCheck(False, "bad_proof", "Its signature value is malformed.")
    vm = str(proof.get("verificationMethod", ""))
    key = resolve(vm)
    if key is None:
        return ProofCheck(False, "unknown_key",
                          f"It was signed with a key its issuer does not publish ({vm}).")
    if not key.assertion:
        return ProofCheck(False, "unknown_key", "It was signed with a key its issuer does not "
                          "allow for issuing credentials.", key)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in config and config["@context"] != unsecured.get("@context"):
        return ProofCheck(False, "bad_proof", "Its proof uses different JSON-LD contexts from "
                          "the credential.", key)
    config["@context"] = unsecured.get("@context")
    try:
        check_safe_once(unsecured)
        check_safe_once(config)
        hash_data = _hash_data(unsecured, config)
    except UnsafeDocument as exc:
        return ProofCheck(False, "unsafe", "It contains data its signature cannot cover: "
                          + "; ".join(exc.problems) + ".", key)
    except ContextNotBundled as exc:
        return ProofCheck(False, "unsafe", str(exc), key)
    except (JsonLdError, TypeError, ValueError) as exc:
        return ProofCheck(False, "unsafe", f"It is not valid JSON-LD ({exc}).", key)
    try:
        key.public_key.verify(signature, hash_data)
    except InvalidSignature:
        return ProofCheck(False, "bad_proof", "The signature does not match: it was changed "
                          "after it was issued, or not signed by this key.", key)
    return ProofCheck(True, "ok", "The signature is valid.", key)
