"""Baked badges: a credential embedded in the badge image, and the PNG rendering of a badge.

PNG: one uncompressed iTXt chunk, keyword `openbadgecredential` (OB 3.0, the credential JSON)
or `openbadges` (OB 2.0, the hosted Assertion JSON); baking again replaces it.
SVG: `<openbadges:credential>` in namespace https://purl.imsglobal.org/ob/v3p0 (OB 3.0) or
`<openbadges:assertion verify="…">` in namespace http://openbadges.org (OB 2.0), JSON in CDATA.
SVGs are edited as text, never parsed into a tree: uploaded images may carry entities or
external references, and our own must keep their bytes (accessibility attributes) intact.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from xml.sax.saxutils import escape, unescape

from .definitions import BadgeDefinition

OB3_KEYWORD = "openbadgecredential"
OB2_KEYWORD = "openbadges"
OB3_SVG_NS = "https://purl.imsglobal.org/ob/v3p0"
OB2_SVG_NS = "http://openbadges.org"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT_CHUNKS = (b"iTXt", b"tEXt", b"zTXt")

Version = Literal["ob3", "ob2"]


class NotBaked(ValueError):
    """The image is fine but carries no badge credential."""


class NotAnImage(ValueError):
    """The bytes are not a PNG/SVG we can read."""


@dataclass(frozen=True)
class Baked:
    version: Version
    payload: str  # JSON text (or, for OB 2.0 hosted badges, possibly an Assertion URL)

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.payload)
        except ValueError as exc:
            raise NotBaked("The image carries a badge reference, not the badge itself "
                           f"({self.payload[:80]!r}).") from exc
        if not isinstance(value, dict):
            raise NotBaked("The image carries data that is not a badge credential.")
        return value


def _payload(credential: dict[str, Any] | str) -> str:
    return credential if isinstance(credential, str) else json.dumps(
        credential, ensure_ascii=False, separators=(",", ":"))


# -- PNG ----------------------------------------------------------------------------------

def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    if not png.startswith(_PNG_SIGNATURE):
        raise NotAnImage("This is not a PNG image.")
    chunks, offset = [], len(_PNG_SIGNATURE)
    while offset + 8 <= len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind = png[offset + 4:offset + 8]
        if offset + 12 + length > len(png):
            raise NotAnImage("The PNG image is truncated.")
        chunks.append((kind, png[offset + 8:offset + 8 + length]))
        offset += 12 + length
        if kind == b"IEND":
            return chunks
    raise NotAnImage("The PNG image has no end chunk (truncated?).")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _keyword(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("latin-1")


def bake_png(png: bytes, credential: dict[str, Any] | str, version: Version = "ob3") -> bytes:
    """Embed a credential (OB 3.0) or hosted Assertion (OB 2.0) in a PNG, replacing any old one."""
    keyword = OB3_KEYWORD if version == "ob3" else OB2_KEYWORD
    chunks = [(k, d) for k, d in _chunks(png) if not (k in _TEXT_CHUNKS and _keyword(d) == keyword)]
    # keyword, NUL, compression flag 0 + method 0, empty language tag and translated keyword.
    itxt = keyword.encode("latin-1") + b"\0\0\0" + b"\0" + b"\0" + _payload(credential).encode()
    out = [_PNG_SIGNATURE]
    for kind, data in chunks:
        out.append(_chunk(kind, data))
        if kind == b"IHDR":  # early in the file, before the image data
            out.append(_chunk(b"iTXt", itxt))
    return b"".join(out)


def unbake_png(png: bytes) -> Baked:
    """The credential embedded in a baked PNG (OB 3.0 preferred when both are present)."""
    found: dict[str, str] = {}
    for kind, data in _chunks(png):
        if kind not in _TEXT_CHUNKS or _keyword(data) not in (OB3_KEYWORD, OB2_KEYWORD):
            continue
        keyword, rest = _keyword(data), data.split(b"\0", 1)[1]
        if kind == b"tEXt":  # legacy OB 1.x/2.0 bakers: latin-1 text, usually a URL
            found[keyword] = rest.decode("latin-1")
        elif kind == b"iTXt":
            compressed, body = rest[0], rest[2:]
            _lang, _translated, text = body.split(b"\0", 2)
            found[keyword] = (zlib.decompress(text) if compressed else text).decode("utf-8")
        else:  # zTXt: method byte, then zlib data
            found[keyword] = zlib.decompress(rest[1:]).decode("latin-1")
    if OB3_KEYWORD in found:
        return Baked("ob3", found[OB3_KEYWORD])
    if OB2_KEYWORD in found:
        return Baked("ob2", found[OB2_KEYWORD])
    raise NotBaked("This PNG image has no badge credential baked into it.")


# -- SVG ----------------------------------------------------------------------------------

_ROOT = re.compile(r"<svg\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.IGNORECASE)
_BAKED = re.compile(
    r"<openbadges:(credential|assertion)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)"
    r"(?:/>|>(.*?)</openbadges:\1\s*>)", re.DOTALL)
_NS_ATTR = re.compile(r"\s+xmlns:openbadges\s*=\s*(\"[^\"]*\"|'[^']*')")


def _cdata(text: str) -> str:
    # "]]>" cannot appear inside CDATA: split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(svg: str, credential: dict[str, Any] | str, version: Version = "ob3", *,
             verify_url: str | None = None) -> str:
    """Embed a credential (OB 3.0) or hosted Assertion (OB 2.0) in an SVG, replacing any old one.

    OB 2.0 wants `verify` = the hosted Assertion URL; it defaults to the Assertion's id.
    """
    svg = _BAKED.sub("", svg)
    root = _ROOT.search(svg)
    if root is None:
        raise NotAnImage("This is not an SVG image (no <svg> element).")
    payload = _payload(credential)
    if version == "ob3":
        namespace = OB3_SVG_NS
        element = f"<openbadges:credential>{_cdata(payload)}</openbadges:credential>"
    else:
        namespace = OB2_SVG_NS
        url = verify_url or (credential.get("id") if isinstance(credential, dict) else None)
        verify = f' verify="{escape(str(url), {chr(34): "&quot;"})}"' if url else ""
        element = f"<openbadges:assertion{verify}>{_cdata(payload)}</openbadges:assertion>"
    tag = _NS_ATTR.sub("", root.group(0))
    if tag.endswith("/>"):
        raise NotAnImage("This SVG image is empty.")
    tag = tag[:-1].rstrip() + f' xmlns:openbadges="{namespace}">'
    return svg[:root.start()] + tag + "\n  " + element + svg[root.end():]


def unbake_svg(svg: str | bytes) -> Baked:
    """The credential embedded in a baked SVG."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    if _ROOT.search(text) is None:
        raise NotAnImage("This is not an SVG image (no <svg> element).")
    match = _BAKED.search(text)
    if match is None:
        raise NotBaked("This SVG image has no badge credential baked into it.")
    kind, attrs, body = match.group(1), match.group(2), (match.group(3) or "").strip()
    if body.startswith("<![CDATA["):
        body = "".join(re.findall(r"<!\[CDATA\[(.*?)\]\]>", body, re.DOTALL))
    else:
        body = unescape(body, {"&quot;": '"', "&apos;": "'"})
    if not body:
        verify = re.search(r"verify\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", attrs)
        body = unescape((verify.group(1) or verify.group(2)) if verify else "",
                        {"&quot;": '"', "&apos;": "'"})
    if not body:
        raise NotBaked("The SVG's badge element is empty.")
    return Baked("ob3" if kind == "credential" else "ob2", body.strip())


def unbake(image: bytes) -> Baked:
    """Unbake a PNG or SVG, whichever `image` is."""
    if image.startswith(_PNG_SIGNATURE):
        return unbake_png(image)
    try:
        return unbake_svg(image.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NotAnImage("This is neither a PNG nor an SVG image.") from exc


# -- rendering ----------------------------------------------------------------------------

@lru_cache(maxsize=64)
def render_png(svg: str, size: int = 512) -> bytes:
    """Rasterise a badge SVG (cairosvg + libcairo2); cached per (svg, size)."""
    import cairosvg  # imported late: needs the system cairo library, only for images

    # unsafe=False (cairosvg's default, spelled out): no external files, no XML entities.
    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=size,
                           output_height=size, unsafe=False)
    return bytes(png)


def badge_png(badge: BadgeDefinition, size: int = 512) -> bytes:
    """The badge's image as PNG, rendered from its SVG."""
    return render_png(badge.image_svg, size)
