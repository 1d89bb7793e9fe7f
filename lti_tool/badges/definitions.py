"""Milestone badge definitions: `content/badges/<slug>/badge.yaml` + `image.svg`, validated once.

Every problem is reported with its file and line, all at once, so an author fixes a file in one go.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own content files, not user input
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from . import digcomp

CONTENT_ROOT = Path(__file__).resolve().parents[2] / "content" / "badges"
LANGUAGES = ("en", "it", "pt")  # same as lti_tool.i18n.LANGUAGES; every badge is in all three
DEFAULT_LANGUAGE = "en"
SLUGS = ("pair-formed", "agreement-signed", "first-session", "two-way-feedback", "steady-rhythm",
         "midpoint-review", "learning-path", "digital-level-up", "reciprocal-learner",
         "program-completed")
_MODULE_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class BadgeContentError(Exception):
    """One or more badge files are invalid; `problems` holds 'file:line: message' strings."""

    def __init__(self, problems: list[str]):
        super().__init__("invalid badge content:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class BadgeText:
    name: str
    description: str
    criteria: str
    image_alt: str


@dataclass(frozen=True)
class Alignment:
    code: str
    name: str
    url: str = digcomp.FRAMEWORK_URL
    framework: str = digcomp.FRAMEWORK_NAME


@dataclass(frozen=True)
class BadgeDefinition:
    slug: str
    code: str
    version: int
    audience: str
    order: int
    competences: tuple[str, ...]
    rule: Mapping[str, Any]
    texts: Mapping[str, BadgeText]
    image_svg: str = field(repr=False)
    source: Path = field(repr=False)

    def text(self, lang: str | None) -> BadgeText:
        """Texts in `lang`, falling back to English for languages we do not offer."""
        return self.texts.get(lang or DEFAULT_LANGUAGE) or self.texts[DEFAULT_LANGUAGE]

    @property
    def alignments(self) -> tuple[Alignment, ...]:
        return tuple(Alignment(c, digcomp.NAMES[c]) for c in self.competences)


# -- schemas (content boundary) -----------------------------------------------------------

def _text() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TextSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    description = _text()
    criteria = _text()
    image_alt = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TextsSchema(Schema):
    en = fields.Nested(TextSchema, required=True)
    it = fields.Nested(TextSchema, required=True)
    pt = fields.Nested(TextSchema, required=True)


class DigcompSchema(Schema):
    framework = fields.String(required=True, validate=validate.Equal(digcomp.FRAMEWORK_VERSION))
    competences = fields.List(
        fields.String(validate=validate.OneOf(list(digcomp.NAMES),
                                              error="not a DigComp 2.2 area or competence id")),
        required=True, validate=validate.Length(min=1))


class BadgeSchema(Schema):
    slug = fields.String(required=True, validate=validate.OneOf(SLUGS))
    code = fields.String(required=True, validate=validate.Regexp(r"^B([1-9]|10)$"))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    audience = fields.String(required=True, validate=validate.OneOf(("both", "mentor", "mentee")))
    order = fields.Integer(required=True, strict=True)
    digcomp = fields.Nested(DigcompSchema)
    rule = fields.Dict(required=True)
    text = fields.Nested(TextsSchema, required=True)


def _count(minimum: int = 1) -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=minimum))


def _flag() -> fields.Boolean:
    return fields.Boolean(required=True, truthy={True}, falsy={False})


def _module_slugs() -> fields.List:
    return fields.List(fields.String(validate=validate.Regexp(_MODULE_SLUG)), required=True,
                       validate=validate.Length(min=1))


# Rule parameters per milestone: the knobs the rule code reads (program.md §4.3).
RULE_SCHEMAS: dict[str, type[Schema]] = {
    "pair-formed": Schema.from_dict({}, name="PairFormedRule"),
    "agreement-signed": Schema.from_dict({
        "within_days_of_pair": _count(), "min_mentee_goals": _count(),
        "min_mentor_goals": _count(), "min_shared_channels": _count()}, name="AgreementRule"),
    "first-session": Schema.from_dict({
        "min_minutes": _count(), "within_days_of_pair": _count(),
        "late_still_awarded": _flag()}, name="FirstSessionRule"),
    "two-way-feedback": Schema.from_dict({
        "feedback_kinds": fields.List(fields.String(validate=validate.OneOf(("sbi", "feedforward"))),
                                      required=True, validate=validate.Length(min=1)),
        "per_direction": _count(), "requires_acknowledgement": _flag()}, name="FeedbackRule"),
    "steady-rhythm": Schema.from_dict({
        "sessions": _count(2), "max_gap_days": _count()}, name="RhythmRule"),
    "midpoint-review": Schema.from_dict({
        "after_share_of_program": fields.Float(required=True,
                                               validate=validate.Range(min=0, max=1)),
        "requires_goal_status_update": _flag()}, name="MidpointRule"),
    "learning-path": Schema.from_dict({
        "mentee_min_digital_modules": _count(), "mentor_modules": _module_slugs(),
        "shared_any_of": _module_slugs()}, name="LearningPathRule"),
    "digital-level-up": Schema.from_dict({
        "min_step_gain": _count(), "scale_steps": _count(2),
        "requires_mentor_attestation": _flag(), "competence_from_agreement": _flag()},
        name="LevelUpRule"),
    "reciprocal-learner": Schema.from_dict({"confirmed_entries": _count()}, name="ReciprocalRule"),
    "program-completed": Schema.from_dict({
        "requires_badges": fields.List(fields.String(validate=validate.OneOf(SLUGS)),
                                       required=True),
        "min_sessions": _count(), "requires_closing_surveys": _flag(),
        "requires_final_goal_review": _flag()}, name="CompletionRule"),
}


# -- loading ------------------------------------------------------------------------------

def _flatten(messages: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(messages, dict):
        return [item for key, sub in messages.items() for item in _flatten(sub, (*path, key))]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(path, m) for m in messages]
    if isinstance(messages, list):
        return [item for i, sub in enumerate(messages) for item in _flatten(sub, (*path, i))]
    return [(path, str(messages))]


def _line(node: yaml.Node | None, path: tuple[Any, ...]) -> int:
    """1-based line of the deepest node along `path` (the parent's line for a missing key)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if match is None:
                break
            node = match[1]
            line = match[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _check_svg(path: Path, slug: str) -> tuple[str, list[str]]:
    problems: list[str] = []
    if not path.is_file():
        return "", [f"{path}:1: image.svg is missing"]
    text = path.read_text(encoding="utf-8")
    try:
        root = ET.fromstring(text)  # noqa: S314 - our own content file
    except ET.ParseError as exc:
        return text, [f"{path}:{exc.position[0]}: not well-formed XML: {exc}"]
    ns = "{http://www.w3.org/2000/svg}"
    if root.tag != f"{ns}svg":
        problems.append(f"{path}:1: the root element must be <svg> in the SVG namespace")
    if root.get("role") != "img":
        problems.append(f'{path}:1: <svg> needs role="img" for screen readers')
    if root.find(f"{ns}title") is None or not (root.findtext(f"{ns}title") or "").strip():
        problems.append(f"{path}:1: <svg> needs a non-empty <title> as its accessible name")
    # Badge images are baked and shown offline: nothing may be fetched or run.
    for pattern, why in ((r"<script", "scripts"), (r"<image\b", "embedded raster images"),
                         (r"(href|src)\s*=\s*[\"'](?!#)", "external references"),
                         (r"url\(\s*['\"]?(?!#)", "external url() references"),
                         (r"<!ENTITY|<!DOCTYPE", "DTDs or entities"), (r"<text\b", "text (fonts "
                          "differ between renderers; draw shapes instead)")):
        match = re.search(pattern, text, flags=re.IGNORECASE)
        if match:
            line = text.count("\n", 0, match.start()) + 1
            problems.append(f"{path}:{line}: {why} are not allowed in badge images")
    if slug and f'id="{slug}-title"' not in text:
        problems.append(f'{path}:1: give the <title> the id "{slug}-title" (ids must be unique '
                        "when several badges are shown on one page)")
    return text, problems


def _load_one(folder: Path) -> tuple[BadgeDefinition | None, list[str]]:
    path = folder / "badge.yaml"
    if not path.is_file():
        return None, [f"{path}:1: badge.yaml is missing"]
    source = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [f"{path}:{mark.line + 1 if mark else 1}: YAML syntax error: {exc}"]
    if not isinstance(raw, dict):
        return None, [f"{path}:1: expected a mapping of badge fields"]
    problems: list[str] = []
    try:
        data = BadgeSchema().load(raw)
    except ValidationError as exc:
        return None, [f"{path}:{_line(node, p)}: {'.'.join(map(str, p))}: {m}"
                      for p, m in _flatten(exc.messages)]
    if data["slug"] != folder.name:
        problems.append(f"{path}:{_line(node, ('slug',))}: slug {data['slug']!r} must equal the "
                        f"folder name {folder.name!r}")
    rule: dict[str, Any] = {}
    try:
        rule = RULE_SCHEMAS[data["slug"]]().load(data["rule"])
    except ValidationError as exc:
        problems += [f"{path}:{_line(node, ('rule', *p))}: rule.{'.'.join(map(str, p))}: {m}"
                     for p, m in _flatten(exc.messages)]
    svg, svg_problems = _check_svg(folder / "image.svg", data["slug"])
    problems += svg_problems
    if problems:
        return None, problems
    texts = {lang: BadgeText(**data["text"][lang]) for lang in LANGUAGES}
    competences = tuple(data["digcomp"]["competences"]) if data.get("digcomp") else ()
    return BadgeDefinition(
        slug=data["slug"], code=data["code"], version=data["version"], audience=data["audience"],
        order=data["order"], competences=competences,
        rule=MappingProxyType({k: tuple(v) if isinstance(v, list) else v for k, v in rule.items()}),
        texts=MappingProxyType(texts), image_svg=svg, source=path), []


def load_definitions(root: Path = CONTENT_ROOT) -> dict[str, BadgeDefinition]:
    """Load and validate every badge under `root`; raise BadgeContentError listing all problems."""
    problems: list[str] = []
    found: dict[str, BadgeDefinition] = {}
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for folder in folders:
        badge, errors = _load_one(folder)
        problems += errors
        if badge is not None:
            found[badge.slug] = badge
    for slug in SLUGS:
        if slug not in found and not any(f"/{slug}/" in p for p in problems):
            problems.append(f"{root / slug / 'badge.yaml'}:1: milestone badge {slug!r} is missing")
    codes = [b.code for b in found.values()]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"{root}:1: badge code {code} is used by more than one badge")
    if problems:
        raise BadgeContentError(problems)
    return dict(sorted(found.items(), key=lambda kv: kv[1].order))


@cache
def badge_definitions(root: Path = CONTENT_ROOT) -> Mapping[str, BadgeDefinition]:
    """All badge definitions under `root` (CONTENT_DIR/badges), loaded once per process."""
    return MappingProxyType(load_definitions(root))


def get_badge(slug: str) -> BadgeDefinition:
    """The definition of one milestone badge; KeyError for an unknown slug."""
    return badge_definitions()[slug]
