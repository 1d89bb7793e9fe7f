"""Markdown to sanitised HTML, done once at load time.

CommonMark with raw HTML disabled (it shows as text), then an nh3 allow-list as a second line of
defence. While rendering we note what the validator must check: images (alt text, path) and
text that looks like an HTML tag the author expected to work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

# Element names only: "<Ctrl>+<C>" is legitimate text, "<b>" or "<script>" is an author mistake.
_HTML_TAG = re.compile(
    r"<!--|<(a|abbr|audio|b|big|blockquote|body|br|button|center|code|del|details|div|em|embed"
    r"|font|form|h[1-6]|head|hr|html|i|iframe|img|input|ins|kbd|li|link|mark|meta|object|ol|p"
    r"|pre|s|script|section|small|span|strong|style|sub|summary|sup|svg|table|td|th|tr|u|ul"
    r"|video)\b[^<>]*>",
    re.IGNORECASE,
)

_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "img",
         "hr", "h1", "h2", "h3", "h4", "h5", "h6"}
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    # The tool runs inside an LMS iframe: links open a new tab and cannot reach back to us.
    link_rel="noopener noreferrer",
    set_tag_attribute_values={"a": {"target": "_blank"}, "img": {"loading": "lazy"}},
)


@dataclass(frozen=True, slots=True)
class Found:
    """Something in the Markdown source; `line` counts from 0 within the text."""

    line: int
    value: str  # image: its src; raw HTML: the tag as written
    alt: str = ""


@dataclass(frozen=True, slots=True)
class Rendered:
    html: Markup
    images: tuple[Found, ...]
    raw_html: tuple[Found, ...]


class MarkdownRenderer:
    """Renders block or inline Markdown; `image_url` maps an image's src to its public URL."""

    def __init__(self) -> None:
        self._md = MarkdownIt("commonmark", {"html": False})

    def block(self, text: str, image_url: Callable[[str], str]) -> Rendered:
        return self._render(self._md.parse(text), image_url)

    def inline(self, text: str, image_url: Callable[[str], str]) -> Rendered:
        return self._render(self._md.parseInline(text), image_url)

    def _render(self, tokens: list[Token], image_url: Callable[[str], str]) -> Rendered:
        images: list[Found] = []
        raw: list[Found] = []
        for token in tokens:
            if token.type != "inline" or not token.children:
                continue  # code blocks and fences may show HTML on purpose
            line = token.map[0] if token.map else 0
            for child in token.children:
                if child.type in ("softbreak", "hardbreak"):
                    line += 1
                elif child.type == "text":
                    raw.extend(Found(line, m.group(0)) for m in _HTML_TAG.finditer(child.content))
                elif child.type == "image":
                    src = str(child.attrs.get("src", ""))
                    images.append(Found(line, src, child.content.strip()))
                    child.attrs["src"] = image_url(src)
        html = self._md.renderer.render(tokens, self._md.options, {})
        # nh3 has just sanitised the HTML, so marking it safe is what Markup is for here.
        return Rendered(Markup(_CLEANER.clean(html)), tuple(images), tuple(raw))  # noqa: S704
