"""Offline JSON-LD for signing: bundled contexts only, RDFC-1.0 canonical N-Quads, and a
"safe mode" check that refuses documents whose meaning a verifier would read differently.

Why the safe mode: a term that no @context defines is silently dropped by expansion, so it
is not signed (anyone could change it), and JavaScript verifiers in safe mode reject such a
document outright. A relative IRI or @type is worse: pyld keeps it, jsonld.js drops it, so the
signature can never verify elsewhere (shared/docs/badges.md §4, finding 2).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld
from pyld.jsonld import JsonLdError

CONTEXTS_DIR = Path(__file__).with_name("contexts")

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
OB_V2 = "https://w3id.org/openbadges/v2"

# Expansion maps every undefined term under this prefix, so the check can name it.
_UNDEFINED = "urn:lti-tool:undefined-term:"
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class ContextNotBundled(LookupError):
    """A document referenced a JSON-LD context the tool does not ship (nothing is fetched)."""


class UnsafeDocument(ValueError):
    """The document is not safe to sign; `problems` names every offending term or IRI."""

    def __init__(self, problems: list[str]):
        super().__init__("refusing to sign: " + "; ".join(problems))
        self.problems = problems


@cache
def bundled_contexts() -> Mapping[str, Any]:
    """URL -> parsed context document, for every context in contexts/index.json."""
    index = json.loads((CONTEXTS_DIR / "index.json").read_text(encoding="utf-8"))
    return {url: json.loads((CONTEXTS_DIR / name).read_text(encoding="utf-8"))
            for url, name in index.items()}


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """pyld document loader that serves only the bundled contexts and never touches the network."""
    doc = bundled_contexts().get(url)
    if doc is None:
        raise ContextNotBundled(
            f"JSON-LD context {url!r} is not bundled with the tool, and contexts are never "
            f"fetched; bundled: {', '.join(bundled_contexts())}")
    # tag 'static' lets pyld keep the processed context for the process lifetime; without it
    # pyld reloads and reprocesses every context on every call (3x slower signing).
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(doc),
            "tag": "static"}


def _unwrap(exc: JsonLdError) -> Exception:
    """pyld wraps loader errors several times; surface ours so the message stays clear."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ContextNotBundled):
            return seen
        seen = getattr(seen, "cause", None) or seen.__cause__
    return exc


# -- processed contexts, once ---------------------------------------------------------------
# pyld keeps processed contexts per "parent" context, but a type-scoped context (the OB context
# scopes Achievement, Profile, IdentityObject, … this way) is applied to a fresh, never-cached
# copy of its parent each time, so pyld re-processes those contexts on every call: about half
# of a credential's canonicalisation. Processed contexts are immutable (frozendict), and for
# the same parent, the same local context and the same flags the result is the same, so
# _Processor remembers them. tests/badges/test_processed_contexts.py checks that the output is identical
# to plain pyld's for every badge template; the conformance tests verify it in JavaScript.

_processed: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_MAX_PROCESSED = 4096


class _Processor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    def _process_context(self, active_ctx: Any, local_ctx: Any, options: Any,
                         override_protected: bool = False, propagate: bool = True,
                         validate_scoped: bool = True, cycles: Any = None) -> Any:
        key: tuple[Any, ...] | None = None
        if cycles is None and isinstance(active_ctx, jsonld.frozendict) and "_uuid" in active_ctx:
            if isinstance(local_ctx, str):
                local: Any = local_ctx
            elif isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
                local = tuple(local_ctx)
            else:  # an inline context object: the very same object (it is kept alive below)
                local = id(local_ctx)
            key = (active_ctx["_uuid"], local, override_protected, propagate, validate_scoped,
                   options.get("base"), options.get("processingMode"))
            hit = _processed.get(key)
            if hit is not None and (not isinstance(local, int) or hit[0] is local_ctx):
                return hit[1]
        result = super()._process_context(active_ctx, local_ctx, options, override_protected,
                                          propagate, validate_scoped, cycles)
        if key is not None and isinstance(result, jsonld.frozendict):
            if len(_processed) >= _MAX_PROCESSED:
                _processed.clear()
            _processed[key] = (local_ctx, result)
        return result


def canonicalize(doc: Mapping[str, Any]) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document."""
    try:
        return str(_Processor().normalize(dict(doc), {
            "algorithm": "URDNA2015", "format": "application/n-quads", "base": None,
            "documentLoader": document_loader}))
    except JsonLdError as exc:
        raise _unwrap(exc) from exc


def expand(doc: Mapping[str, Any]) -> list[Any]:
    try:
        return list(_Processor().expand(dict(doc), {"documentLoader": document_loader,
                                                    "base": None}))
    except JsonLdError as exc:
        raise _unwrap(exc) from exc


def find_unsafe(doc: Mapping[str, Any]) -> list[str]:
    """Plain-language problems that make `doc` unsafe to sign (empty list = safe)."""
    problems: list[str] = []
    _find_nulls(doc, "", problems)
    contexts = doc.get("@context")
    stack = contexts if isinstance(contexts, list) else [contexts] if contexts else []
    probe = {**doc, "@context": [*stack, {"@vocab": _UNDEFINED}]}
    dropped: list[str | None] = []
    try:
        # base None: pyld would otherwise resolve relative IRIs against http://example.org/base/
        expanded = _Processor(on_property_dropped=dropped.append).expand(
            probe, {"documentLoader": document_loader, "base": None})
    except JsonLdError as exc:
        cause = _unwrap(exc)
        if isinstance(cause, ContextNotBundled):
            raise cause from exc
        return [*problems, f"JSON-LD error: {exc}"]
    problems += [f"term {d!r} is dropped by JSON-LD expansion" for d in dropped]
    _walk_expanded(expanded, problems)
    return list(dict.fromkeys(problems))


def _find_nulls(value: Any, path: str, problems: list[str]) -> None:
    # JSON-LD drops null values silently: they would be shown but not signed.
    if value is None:
        problems.append(f"{path or 'document'} is null (nulls are not signed; leave the key out)")
    elif isinstance(value, dict):
        for key, sub in value.items():
            _find_nulls(sub, f"{path}.{key}" if path else key, problems)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            _find_nulls(sub, f"{path}[{i}]", problems)


def _walk_expanded(value: Any, problems: list[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _walk_expanded(item, problems)
        return
    if not isinstance(value, dict):
        return
    for key, sub in value.items():
        if key.startswith(_UNDEFINED):
            problems.append(f"term {key[len(_UNDEFINED):]!r} is not defined by any @context")
        elif key == "@type":
            for t in sub if isinstance(sub, list) else [sub]:
                if isinstance(t, str) and t.startswith(_UNDEFINED):
                    problems.append(f"type {t[len(_UNDEFINED):]!r} is not defined by any @context")
                elif isinstance(t, str) and not _ABSOLUTE_IRI.match(t):
                    problems.append(f"type {t!r} is a relative IRI")
        elif key == "@id" and isinstance(sub, str):
            if sub.startswith(_UNDEFINED):
                problems.append(f"value {sub[len(_UNDEFINED):]!r} is not a term any @context "
                                "defines")
            elif not sub.startswith("_:") and not _ABSOLUTE_IRI.match(sub):
                problems.append(f"IRI {sub!r} is relative (use an absolute https:, urn: or did: "
                                "IRI)")
        if key != "@value":
            _walk_expanded(sub, problems)


def check_safe(doc: Mapping[str, Any]) -> None:
    """Raise UnsafeDocument naming every undefined term, relative IRI or null in `doc`."""
    problems = find_unsafe(doc)
    if problems:
        raise UnsafeDocument(problems)


# -- once per document shape --------------------------------------------------------------
# The check depends only on a document's shape: its keys, its types and contexts, and which
# strings are IRIs of which scheme. Credentials of one badge template share a shape, so the
# check (~2 ms) runs once per template and issuing stays at the cost of canonicalization.

_checked: set[str] = set()
_checked_lock = threading.Lock()
_MAX_SHAPES = 4096


def _shape(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _shape(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(v, key) for v in value]
    if isinstance(value, str):
        if key in ("@context", "type", "@type", "@vocab"):
            return value
        match = _ABSOLUTE_IRI.match(value)
        # IRIs never contain whitespace: prose like "Note: ..." is text, not an IRI.
        return f"iri:{match.group(0)}" if match and not re.search(r"\s", value) else "str"
    return type(value).__name__


def shape_key(doc: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(_shape(doc), sort_keys=True).encode()).hexdigest()


def check_safe_once(doc: Mapping[str, Any]) -> None:
    """check_safe(), skipped when a document of the same shape already passed."""
    key = shape_key(doc)
    if key in _checked:
        return
    check_safe(doc)
    with _checked_lock:
        if len(_checked) >= _MAX_SHAPES:
            _checked.clear()
        _checked.add(key)
