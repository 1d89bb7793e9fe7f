"""Baked PNG/SVG round trips and the PNG rendering of each badge."""

from __future__ import annotations

import io
import re
import struct

import pytest
from PIL import Image

from lti_tool.badges import baking, ob2, ob3
from lti_tool.badges.definitions import badge_definitions

from .conftest import ALL_SLUGS


@pytest.fixture(scope="module")
def credential(make_award, web_issuer, urls):
    return ob3.issue(make_award("digital-level-up"), web_issuer, urls)


def _text_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    found, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind = png[offset + 4:offset + 8]
        if kind in (b"iTXt", b"tEXt", b"zTXt"):
            found.append((kind, png[offset + 8:offset + 8 + length]))
        offset += 12 + length
    return found


def _dominant_colour(png: bytes) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    return max((n, c[:3]) for n, c in image.getcolors(image.width * image.height)
               if c[3] == 255)[1]


@pytest.mark.parametrize("slug", ALL_SLUGS)
def test_each_badge_renders_to_a_png_that_looks_like_it(slug):
    badge = badge_definitions()[slug]
    png = baking.badge_png(badge, 256)
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    assert image.size == (256, 256)
    r, g, b = _dominant_colour(png)  # the badge's base colour dominates
    assert f"#{r:02x}{g:02x}{b:02x}" in set(re.findall(r'fill="(#[0-9a-f]{6})"',
                                                       badge.image_svg)) - {"#ffffff"}
    assert any(c[:3] == (255, 255, 255) for _, c in image.getcolors(256 * 256))  # white icon
    assert image.getpixel((0, 0))[3] == 0  # transparent outside the badge shape


def test_the_ten_badges_have_ten_different_main_colours():
    colours = {_dominant_colour(baking.badge_png(b, 64)) for b in badge_definitions().values()}
    assert len(colours) == 10


def test_png_baking_round_trip_uses_one_uncompressed_itxt_chunk(credential):
    png = baking.badge_png(badge_definitions()["digital-level-up"])
    baked = baking.bake_png(png, credential)
    rebaked = baking.bake_png(baked, credential)
    [(kind, data)] = _text_chunks(rebaked)
    assert kind == b"iTXt" and data.startswith(b"openbadgecredential\0\0\0")
    unbaked = baking.unbake_png(rebaked)
    assert unbaked.version == "ob3" and unbaked.json() == credential
    assert baking.unbake(rebaked).json() == credential
    Image.open(io.BytesIO(rebaked)).load()  # still a valid PNG (CRCs right)


def test_ob2_and_ob3_chunks_live_side_by_side(credential, make_award, urls):
    award = make_award("digital-level-up")
    assertion = ob2.assertion(credential_id=credential["id"], badge=award.badge,
                              recipient=award.recipient, issued_on=award.awarded_at, urls=urls)
    png = baking.bake_png(baking.badge_png(award.badge), assertion, "ob2")
    assert baking.unbake_png(png).version == "ob2"
    both = baking.bake_png(png, credential)
    assert [d.split(b"\0")[0] for _, d in _text_chunks(both)] == [b"openbadgecredential",
                                                                   b"openbadges"]
    assert baking.unbake_png(both).json() == credential


def test_svg_baking_round_trip(credential):
    svg = badge_definitions()["digital-level-up"].image_svg
    baked = baking.bake_svg(baking.bake_svg(svg, credential), credential)
    assert baked.count("<openbadges:credential>") == 1
    assert baked.count('xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"') == 1
    assert 'role="img"' in baked and "<title id=" in baked
    assert baking.unbake_svg(baked).json() == credential
    assert baking.unbake(baked.encode()).version == "ob3"
    Image.open(io.BytesIO(baking.render_png(baked, 64)))  # still renders


def test_svg_cdata_survives_a_closing_sequence_in_the_json(credential):
    tricky = {**credential, "description": "ends with ]]> inside"}
    svg = baking.bake_svg(badge_definitions()["pair-formed"].image_svg, tricky)
    assert baking.unbake_svg(svg).json() == tricky


def test_ob2_svg_has_the_verify_attribute(credential, make_award, urls):
    award = make_award("pair-formed")
    assertion = ob2.assertion(credential_id=credential["id"], badge=award.badge,
                              recipient=award.recipient, issued_on=award.awarded_at, urls=urls)
    svg = baking.bake_svg(award.badge.image_svg, assertion, "ob2")
    assert 'xmlns:openbadges="http://openbadges.org"' in svg
    assert f'<openbadges:assertion verify="{assertion["id"]}">' in svg
    assert baking.unbake_svg(svg).json() == assertion
    hosted_only = ('<svg xmlns="http://www.w3.org/2000/svg"><openbadges:assertion '
                   f'verify="{assertion["id"]}"/></svg>')
    unbaked = baking.unbake_svg(hosted_only)
    assert unbaked.version == "ob2" and unbaked.payload == assertion["id"]
    with pytest.raises(baking.NotBaked, match="reference"):
        unbaked.json()


def test_images_without_a_credential_get_clear_errors():
    png = baking.badge_png(badge_definitions()["pair-formed"], 32)
    with pytest.raises(baking.NotBaked, match="no badge credential"):
        baking.unbake_png(png)
    with pytest.raises(baking.NotBaked, match="no badge credential"):
        baking.unbake_svg(badge_definitions()["pair-formed"].image_svg)
    with pytest.raises(baking.NotAnImage):
        baking.unbake(b"GIF89a....")
    with pytest.raises(baking.NotAnImage, match="truncated"):
        baking.unbake_png(png[:40])
    with pytest.raises(baking.NotAnImage):
        baking.bake_svg("<html></html>", {})
