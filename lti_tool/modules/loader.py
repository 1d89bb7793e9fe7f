"""Load content/modules once: parse YAML keeping line marks, validate, render Markdown, build.

Bad content never raises: every problem becomes a `Problem` with file, line and a hint, and a
module with any problem is left out of the library.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from markupsafe import Markup
from marshmallow import Schema, ValidationError

from .library import (
    LearningModule,
    LessonStep,
    Library,
    Localized,
    LocalizedHtml,
    Option,
    PairActivityStep,
    Problem,
    QuizQuestion,
    QuizStep,
    ReflectionStep,
    SelfAssessmentStep,
    Step,
)
from .render import MarkdownRenderer
from .schemas import (
    IMAGE_RE,
    LANGUAGES,
    README,
    ErrorPath,
    LanguageSchema,
    ModuleSchema,
    flatten_errors,
    format_path,
)

DEFAULT_ASSET_PREFIX = "/content"
# An SVG opened directly runs in our origin, so scripts and event handlers have no place in one.
# libyaml is several times faster than the pure-Python parser and keeps the same line marks.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UNSAFE_SVG = re.compile(r"<script|<foreignObject|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


def load_library(content_dir: str | os.PathLike[str], *,
                 asset_url_prefix: str = DEFAULT_ASSET_PREFIX,
                 languages: Sequence[str] = LANGUAGES) -> Library:
    """Load and validate every module under `content_dir`/modules. Never raises for bad content.

    Image URLs become `<asset_url_prefix>/<slug>/images/<file>`.
    """
    root = Path(content_dir)
    modules_dir = root / "modules"
    if not modules_dir.is_dir():
        problem = Problem(str(modules_dir), None, "the modules folder does not exist",
                          "point CONTENT_DIR (or --dir) at the folder that holds modules/")
        return Library(str(root), (), (problem,), ())
    renderer = MarkdownRenderer()
    problems: list[Problem] = []
    modules: list[LearningModule] = []
    hidden: list[str] = []
    codes: dict[str, str] = {}
    for folder in sorted(p for p in modules_dir.iterdir()
                         if p.is_dir() and not p.name.startswith((".", "_"))):
        loader = _ModuleLoader(folder, renderer, asset_url_prefix, languages)
        try:
            module = loader.load()
        except Exception as exc:  # noqa: BLE001 - a bug here must hide one module, not stop the tool
            loader.add(folder, None, f"could not be loaded: {exc!r}",
                       "report this to the developers with the module's files")
            module = None
        if module is not None and module.code in codes:
            loader.add(folder / "module.yaml", loader.code_line,
                       f"code: {module.code} is already used by {codes[module.code]}",
                       "give every module its own syllabus code")
            module = None
        problems.extend(loader.problems)
        if module is None:
            hidden.append(folder.name)
        else:
            codes[module.code] = module.slug
            modules.append(module)
    modules.sort(key=lambda m: (m.order, m.slug))
    return Library(str(root), tuple(modules), tuple(problems), tuple(hidden))


@dataclass(frozen=True, slots=True)
class _Doc:
    path: Path
    data: Any
    node: yaml.Node


class _ModuleLoader:
    """Loads one module folder, collecting problems instead of raising."""

    def __init__(self, folder: Path, renderer: MarkdownRenderer, asset_url_prefix: str,
                 languages: Sequence[str]) -> None:
        self.folder = folder
        self.renderer = renderer
        self.url_base = f"{asset_url_prefix.rstrip('/')}/{folder.name}/"
        self.languages = tuple(languages)
        self.problems: list[Problem] = []
        self.code_line: int | None = None
        images = folder / "images"
        self.image_files = ({p.name for p in images.iterdir() if p.is_file()}
                            if images.is_dir() else set())
        self.used_images: set[str] = set()

    def add(self, path: Path, line: int | None, message: str, hint: str) -> None:
        self.problems.append(Problem(str(path), line, message, hint))

    def load(self) -> LearningModule | None:
        module_doc = self._read(self.folder / "module.yaml",
                                f"create module.yaml with the module's structure (see {README})")
        docs = {lang: self._read(self.folder / f"{lang}.yaml",
                                 f"add {lang}.yaml with the {lang} texts for every step")
                for lang in self.languages}
        self._check_stray_files()
        if module_doc is None:
            return None
        self.code_line = _line(module_doc.node, ("code",))
        structure = self._validate(module_doc, ModuleSchema(folder=self.folder.name))
        if structure is None:
            return None
        self._check_step_images(module_doc, structure)
        texts: dict[str, tuple[dict[str, Any], _Doc]] = {}
        for lang, doc in docs.items():
            data = None if doc is None else self._validate(doc, LanguageSchema(structure))
            if data is not None and doc is not None:
                texts[lang] = (data, doc)
        # Build even when something failed, so that rendering reports its problems too.
        module = self._build(structure, texts)
        self._check_svgs()
        return None if self.problems else module

    # --- reading and validating ------------------------------------------------------------

    def _read(self, path: Path, missing_hint: str) -> _Doc | None:
        if not path.is_file():
            self.add(path, None, f"{path.name} is missing", missing_hint)
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.add(path, None, "is not UTF-8 text", "save the file as UTF-8 in your editor")
            return None
        except OSError as exc:
            self.add(path, None, f"cannot be read: {exc.strerror}", "check the file's permissions")
            return None
        loader = None
        try:
            loader = _YamlLoader(text)
            node = loader.get_single_node()
            if node is None:
                self.add(path, 1, "the file is empty", f"write the content described in {README}")
                return None
            self._check_duplicate_keys(path, node)
            return _Doc(path, loader.construct_document(node), node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = f"YAML syntax error: {exc.problem or exc.context}"
            if exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
                message += f" ({exc.context} on line {exc.context_mark.line + 1})"
            lines = text.splitlines()
            bad_line = lines[mark.line] if mark and mark.line < len(lines) else ""
            self.add(path, mark.line + 1 if mark else None, message,
                     _yaml_hint(str(exc.problem), bad_line))
            return None
        except yaml.reader.ReaderError as exc:
            self.add(path, text.count("\n", 0, exc.position) + 1,
                     f"character {exc.character!r} is not allowed in YAML",
                     "remove it; it is often an invisible control character pasted from elsewhere")
            return None
        except yaml.YAMLError as exc:
            self.add(path, None, f"YAML error: {exc}", _yaml_hint("", ""))
            return None
        finally:
            if loader is not None:
                loader.dispose()

    def _check_duplicate_keys(self, path: Path, root: yaml.Node) -> None:
        # PyYAML silently keeps the last of two equal keys; an author never means that.
        # Iterative with a visited set: an alias can make the node graph cyclic (&a [*a]).
        stack, visited = [root], set()
        while stack:
            node = stack.pop()
            if id(node) in visited:
                continue
            visited.add(id(node))
            if isinstance(node, yaml.MappingNode):
                keys: set[str] = set()
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                        if key.value in keys:
                            self.add(path, key.start_mark.line + 1, f"duplicate key {key.value!r}",
                                     "each key may appear once at this level; remove or rename one")
                        keys.add(key.value)
                    stack.append(value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)

    def _validate(self, doc: _Doc, schema: Schema) -> dict[str, Any] | None:
        if not isinstance(doc.data, dict):
            self.add(doc.path, doc.node.start_mark.line + 1, "the file must be a mapping",
                     f"write `key: value` lines as in {README}")
            return None
        try:
            data: dict[str, Any] = schema.load(doc.data)
            return data
        except ValidationError as exc:
            for path, message, hint in flatten_errors(exc.messages):
                where = format_path(path)
                self.add(doc.path, _line(doc.node, path),
                         f"{where}: {message}" if where else message, hint)
            return None

    def _check_stray_files(self) -> None:
        known = ["module.yaml", *(f"{lang}.yaml" for lang in self.languages)]
        for path in sorted(self.folder.iterdir()):
            if path.suffix in (".yaml", ".yml") and path.name not in known:
                self.add(path, None, f"unexpected file {path.name}",
                         f"the YAML files are {', '.join(known)}; rename or remove it")

    def _check_step_images(self, doc: _Doc, structure: dict[str, Any]) -> None:
        for i, step in enumerate(structure["steps"]):
            if step.get("image"):
                self._use_image(step["image"], doc.path, _line(doc.node, ("steps", i, "image")))

    def _use_image(self, src: str, path: Path, line: int | None) -> None:
        if not IMAGE_RE.fullmatch(src):
            self.add(path, line, f"image {src!r} is not in the module's images/ folder",
                     f"write ![what it shows](images/<name>.svg) and put the file in "
                     f"{self.folder / 'images'}")
            return
        name = src.removeprefix("images/")
        if name not in self.image_files:
            self.add(path, line, f"image file {src} does not exist",
                     f"add {self.folder / src} or fix the file name (names are case-sensitive)")
        else:
            self.used_images.add(name)

    def _check_svgs(self) -> None:
        for name in sorted(n for n in self.used_images if n.endswith(".svg")):
            path = self.folder / "images" / name
            text = path.read_text(encoding="utf-8", errors="replace")
            match = _UNSAFE_SVG.search(text)
            if match:
                self.add(path, text.count("\n", 0, match.start()) + 1,
                         f"the SVG contains {match.group(0).strip()!r}",
                         "export the drawing again without scripts, event handlers or HTML")

    # --- building ---------------------------------------------------------------------------

    def _build(self, mod: dict[str, Any], texts: dict[str, tuple[dict[str, Any], _Doc]]
               ) -> LearningModule:
        def plain(path: ErrorPath) -> Localized:
            return MappingProxyType({lang: _value(t, path) for lang, (t, _) in texts.items()})

        def html(path: ErrorPath, inline: bool = False) -> LocalizedHtml:
            return MappingProxyType({lang: self._html(doc, path, _value(t, path), inline)
                                     for lang, (t, doc) in texts.items()})

        steps: list[Step] = []
        for s in mod["steps"]:
            sid, kind = s["id"], s["kind"]
            at: ErrorPath = ("steps", sid)
            title = plain((*at, "title"))
            if kind == "lesson":
                image = s.get("image")
                steps.append(LessonStep(sid, title, html((*at, "body")),
                                        self.url_base + image if image else None,
                                        plain(("image_alt",)) if image else MappingProxyType({})))
            elif kind == "self-assessment":
                steps.append(SelfAssessmentStep(sid, title, html((*at, "body")),
                                                tuple(s["competences"])))
            elif kind == "quiz":
                questions = []
                for q in s["questions"]:
                    qat = (*at, "questions", q["id"])
                    options = tuple(Option(o, o in q["correct"],
                                           html((*qat, "options", o, "text"), inline=True),
                                           html((*qat, "options", o, "feedback")))
                                    for o in q["options"])
                    questions.append(QuizQuestion(q["id"], q["multiple"], html((*qat, "prompt")),
                                                  options))
                steps.append(QuizStep(sid, title, s["pass_mark"], tuple(questions)))
            elif kind == "reflection":
                steps.append(ReflectionStep(sid, title, html((*at, "prompt"))))
            else:
                steps.append(PairActivityStep(sid, title, html((*at, "body"))))
        digcomp = mod.get("digcomp") or {}
        return LearningModule(
            slug=mod["slug"], code=mod["code"], track=mod["track"], audience=mod["audience"],
            digcomp_framework=digcomp.get("framework"),
            competences=tuple(digcomp.get("competences", ())),
            minutes=mod["minutes"], version=mod["version"], order=mod["order"],
            languages=tuple(texts), title=plain(("title",)), summary=plain(("summary",)),
            objectives=MappingProxyType({lang: tuple(t["objectives"])
                                         for lang, (t, _) in texts.items()}),
            steps=tuple(steps), images=frozenset(self.used_images),
        )

    def _html(self, doc: _Doc, path: ErrorPath, text: str, inline: bool) -> Markup:
        render = self.renderer.inline if inline else self.renderer.block
        rendered = render(text, lambda src: self.url_base + src)
        node, first = _text_start(doc.node, path)
        where = format_path(path)
        for image in rendered.images:
            line = first + image.line
            self._use_image(image.value, doc.path, line)
            if not image.alt:
                self.add(doc.path, line, f"{where}: image {image.value} has no alt text",
                         "describe the image between the brackets: ![A phone showing a code]"
                         f"({image.value})")
        for raw in rendered.raw_html:
            self.add(doc.path, first + raw.line, f"{where}: raw HTML {raw.value} is shown as text",
                     "use Markdown instead: **bold**, *italic*, - lists, [link](https://...); "
                     "write <Ctrl> style keys in `backticks`")
        return rendered.html


def _value(data: Any, path: ErrorPath) -> Any:
    for key in path:
        data = data[key]
    return data


def _locate(root: yaml.Node, path: ErrorPath) -> tuple[int, yaml.Node | None]:
    """The 0-based line of the deepest existing part of `path`, and its node if fully found.

    For a mapping key the line is the key's, so "unknown field" points at the field itself.
    """
    node: yaml.Node = root
    line = root.start_mark.line
    for key in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                    line, child = k.start_mark.line, v
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            child = node.value[key]
            line = child.start_mark.line
        if child is None:
            return line, None
        node = child
    return line, node


def _line(root: yaml.Node, path: ErrorPath) -> int:
    return _locate(root, path)[0] + 1


def _text_start(root: yaml.Node, path: ErrorPath) -> tuple[yaml.Node | None, int]:
    """The 1-based file line of the first line of the text at `path`.

    Block scalars (| and >) start on the line after their indicator; folded or flow text
    lines only map approximately, which is still close enough to find the spot.
    """
    line, node = _locate(root, path)
    if isinstance(node, yaml.ScalarNode):
        line = node.start_mark.line + (1 if node.style in ("|", ">") else 0)
    return node, line + 1


def _yaml_hint(problem: str, line: str) -> str:
    if "\t" in line[: len(line) - len(line.lstrip())]:
        return "indent with spaces, never tabs"
    if "mapping values are not allowed" in problem:
        return "put text that contains ': ' in quotes, or write it as a block after `|`"
    if "could not find expected ':'" in problem:
        return "a key needs a colon after it; text that spans lines needs `|` or quotes"
    return ("check the indentation (spaces only) and quote text with special characters "
            "such as : # [ ] { }")
