"""marshmallow schemas for content files: `module.yaml` (structure) and `<lang>.yaml` (texts).

The format is specified in content/README.md. Every message we raise is a `Hinted` string that
also says how to fix the problem; `flatten_errors` turns marshmallow's nested error dicts into
(path, message, hint) triples that the loader maps to file lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

LANGUAGES = ("en", "it", "pt")
TRACKS = ("program", "mentoring-practice", "feedback-culture", "digital-skills")
AUDIENCES = ("mentor", "mentee", "both")
STEP_KINDS = ("lesson", "self-assessment", "quiz", "reflection", "pair-activity")
DIGCOMP_FRAMEWORK = "2.2"
# DigComp 2.2 has five areas with 3, 6, 4, 4 and 4 competences: 21 in all.
DIGCOMP_COMPETENCES = tuple(
    f"{area}.{n}" for area, count in ((1, 3), (2, 6), (3, 4), (4, 4), (5, 4))
    for n in range(1, count + 1)
)
QUIZ_QUESTIONS = 3
QUIZ_PASS_MARK = 2
MINUTES = (5, 10)
ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CODE_RE = re.compile(r"P[1-3]|M[1-4]|F[1-4]|D[1-9]")
IMAGE_RE = re.compile(r"images/[A-Za-z0-9][A-Za-z0-9._-]*\.(?:svg|png|jpe?g|webp|gif)")
README = "content/README.md"

ErrorPath = tuple[str | int, ...]


class Hinted(str):
    """An error message that also carries how to fix it (marshmallow keeps str subclasses)."""

    hint: str

    def __new__(cls, message: str, hint: str) -> Hinted:
        obj = super().__new__(cls, message)
        obj.hint = hint
        return obj


def fail(message: str, hint: str) -> ValidationError:
    return ValidationError(Hinted(message, hint))


def add_error(errors: dict[Any, Any], path: ErrorPath, message: Hinted) -> None:
    """Put `message` at `path` in a marshmallow-style nested error dict."""
    node = errors
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node.setdefault(path[-1], []).append(message)


# --- field validators (they raise Hinted messages so every problem says how to fix it) ------

def _valid_id(value: str) -> None:
    if not ID_RE.fullmatch(value):
        raise fail(f"{value!r} is not a valid id",
                   "use lowercase letters, digits and single hyphens, e.g. check-in-2")


def _valid_code(value: str) -> None:
    if not CODE_RE.fullmatch(value):
        raise fail(f"{value!r} is not a syllabus code", "use P1-P3, M1-M4, F1-F4 or D1-D9")


def _one_of(choices: Sequence[str]) -> Callable[[str], None]:
    def check(value: str) -> None:
        if value not in choices:
            raise fail(f"{value!r} is not allowed", "use one of: " + ", ".join(choices))
    return check


def _competence(value: str) -> None:
    if value not in DIGCOMP_COMPETENCES:
        raise fail(f"{value!r} is not a DigComp 2.2 competence",
                   'use an id from "1.1" to "5.4": 1.1-1.3, 2.1-2.6, 3.1-3.4, 4.1-4.4, 5.1-5.4')


def _between(low: int, high: int | None) -> Callable[[int], None]:
    def check(value: int) -> None:
        if value < low or (high is not None and value > high):
            raise fail(f"{value} is out of range",
                       f"use a whole number from {low} to {high}" if high is not None
                       else f"use a whole number of at least {low}")
    return check


def _image_path(value: str) -> None:
    if not IMAGE_RE.fullmatch(value):
        raise fail(f"{value!r} is not an image path",
                   "write images/<name>.svg (or .png, .jpg, .webp, .gif); the file lives in the "
                   "module's images/ folder")


def _not_blank(value: str) -> None:
    if not value.strip():
        raise fail("is empty", "write the text after the colon")


def _unique_list(what: str) -> Callable[[list[str]], None]:
    def check(values: list[str]) -> None:
        if not values:
            raise fail(f"needs at least one {what}", f"list one or more {what}s")
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise fail(f"repeats {what} {', '.join(dupes)}", f"list each {what} once")
    return check


def _text(**kwargs: Any) -> fields.String:
    return fields.String(required=True, validate=_not_blank, **kwargs)


def _integer(check: Callable[[int], None]) -> fields.Integer:
    # strict: YAML `minutes: 7.5` or `"7"` is a mistake, not something to round or parse
    return fields.Integer(required=True, strict=True, validate=check)


class _Strict(Schema):
    """Unknown fields are errors; the message lists the fields allowed at that place."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        allowed = ", ".join(f.data_key or name for name, f in self.load_fields.items())
        self.error_messages = {
            **self.error_messages,
            "unknown": Hinted("unknown field",
                              f"remove it or fix its spelling; allowed here: {allowed}"),
        }


# --- module.yaml -----------------------------------------------------------------------------

class DigCompSchema(_Strict):
    framework = fields.String(required=True, validate=_one_of((DIGCOMP_FRAMEWORK,)))
    competences = fields.List(fields.String(validate=_competence), required=True,
                              validate=_unique_list("competence"))


class _StepSchema(_Strict):
    id = fields.String(required=True, validate=_valid_id)
    kind = fields.String(required=True)


class LessonSchema(_StepSchema):
    image = fields.String(validate=_image_path)


class SelfAssessmentSchema(_StepSchema):
    competences = fields.List(fields.String(validate=_competence), required=True,
                              validate=_unique_list("competence"))


class QuestionSchema(_Strict):
    id = fields.String(required=True, validate=_valid_id)
    multiple = fields.Boolean(load_default=False)
    options = fields.List(fields.String(validate=_valid_id), required=True,
                          validate=_unique_list("option"))
    correct = fields.List(fields.String(), required=True, validate=_unique_list("option"))

    @validates_schema
    def _check_correct(self, data: dict[str, Any], **kwargs: Any) -> None:
        unknown = [c for c in data["correct"] if c not in data["options"]]
        if unknown:
            raise ValidationError({"correct": [Hinted(
                f"{', '.join(unknown)} is not among the options",
                "list only ids from `options`: " + ", ".join(data["options"]))]})
        if len(data["options"]) < 2:
            raise ValidationError({"options": [Hinted("needs at least two options",
                                                      "add another option")]})
        if not data["multiple"] and len(data["correct"]) != 1:
            raise ValidationError({"correct": [Hinted(
                "a single-choice question has exactly one correct option",
                "keep one id in `correct`, or set `multiple: true`")]})


class QuizSchema(_StepSchema):
    pass_mark = _integer(_between(1, None))
    questions = fields.List(fields.Nested(QuestionSchema), required=True)

    @validates_schema
    def _check_questions(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[Any, Any] = {}
        seen: set[str] = set()
        for i, q in enumerate(data["questions"]):
            if q["id"] in seen:
                add_error(errors, ("questions", i, "id"), Hinted(
                    f"question id {q['id']!r} is used twice", "give every question its own id"))
            seen.add(q["id"])
        if data["pass_mark"] > len(data["questions"]):
            add_error(errors, ("pass_mark",), Hinted(
                f"{data['pass_mark']} is more than the {len(data['questions'])} questions",
                f"use a pass mark of at most {len(data['questions'])}"))
        if errors:
            raise ValidationError(errors)


class _PlainStepSchema(_StepSchema):
    pass


STEP_SCHEMAS: dict[str, type[_StepSchema]] = {
    "lesson": LessonSchema,
    "self-assessment": SelfAssessmentSchema,
    "quiz": QuizSchema,
    "reflection": _PlainStepSchema,
    "pair-activity": _PlainStepSchema,
}


class StepField(fields.Field[dict[str, Any]]):
    """One step, validated by the schema of its `kind` (marshmallow has no tagged unions)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise fail("a step must be a mapping",
                       "start the step with `- id: ...` and `kind: ...`")
        kind = value.get("kind")
        schema = STEP_SCHEMAS.get(kind) if isinstance(kind, str) else None
        if schema is None:
            message = "is missing" if kind is None else f"unknown step kind {kind!r}"
            hint = "use one of: " + ", ".join(STEP_KINDS)
            raise ValidationError({"kind": [Hinted(message, hint)]})
        result: dict[str, Any] = schema().load(value)
        return result


class ModuleSchema(_Strict):
    """module.yaml. `folder` is the module's folder name, which the slug must equal."""

    slug = fields.String(required=True, validate=_valid_id)
    code = fields.String(required=True, validate=_valid_code)
    track = fields.String(required=True, validate=_one_of(TRACKS))
    audience = fields.String(required=True, validate=_one_of(AUDIENCES))
    digcomp = fields.Nested(DigCompSchema)
    minutes = _integer(_between(*MINUTES))
    version = _integer(_between(1, None))
    order = _integer(_between(0, None))
    steps = fields.List(StepField(), required=True)

    def __init__(self, folder: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.folder = folder

    @validates_schema
    def _check_module(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[Any, Any] = {}
        if self.folder is not None and data["slug"] != self.folder:
            add_error(errors, ("slug",), Hinted(
                f"slug {data['slug']!r} differs from the folder name {self.folder!r}",
                "make the slug and the folder name the same"))
        if not data["slug"].startswith(data["code"].lower() + "-"):
            add_error(errors, ("code",), Hinted(
                f"code {data['code']} does not match the slug {data['slug']!r}",
                f"the slug starts with the code in lowercase: {data['code'].lower()}-..."))
        steps = data["steps"]
        seen: set[str] = set()
        for i, step in enumerate(steps):
            if step["id"] in seen:
                add_error(errors, ("steps", i, "id"), Hinted(
                    f"step id {step['id']!r} is used twice", "give every step its own id"))
            seen.add(step["id"])
        kinds = [s["kind"] for s in steps]
        rules = (("lesson", kinds.count("lesson") >= 1, "at least one lesson"),
                 ("quiz", kinds.count("quiz") == 1, "exactly one quiz"),
                 ("pair-activity", kinds.count("pair-activity") == 1, "exactly one pair-activity"))
        for kind, ok, wanted in rules:
            if not ok:
                add_error(errors, ("steps",), Hinted(
                    f"has {kinds.count(kind)} {kind} step(s); a module needs {wanted}",
                    f"add or remove steps of kind {kind}"))
        for i, step in enumerate(steps):
            if step["kind"] != "quiz":
                continue
            if len(step["questions"]) != QUIZ_QUESTIONS:
                add_error(errors, ("steps", i, "questions"), Hinted(
                    f"has {len(step['questions'])} questions; a quiz has exactly {QUIZ_QUESTIONS}",
                    f"write exactly {QUIZ_QUESTIONS} questions"))
            elif step["pass_mark"] != QUIZ_PASS_MARK:
                add_error(errors, ("steps", i, "pass_mark"), Hinted(
                    f"is {step['pass_mark']}; every module's quiz passes with {QUIZ_PASS_MARK}",
                    f"write pass_mark: {QUIZ_PASS_MARK}"))
        if errors:
            raise ValidationError(errors)


# --- <lang>.yaml: texts for exactly the ids of module.yaml ------------------------------------

SchemaFactory = Callable[[], Schema]


class TextsById(fields.Field[dict[str, Any]]):
    """A mapping from ids to texts; the ids must be exactly those of module.yaml.

    `expected(schema)` returns, for the schema this field is bound to, each expected id with
    the schema that validates its texts.
    """

    def __init__(self, what: str, expected: Callable[[Any], Mapping[str, SchemaFactory]],
                 **kwargs: Any) -> None:
        super().__init__(required=True, **kwargs)
        self.what = what
        self.expected = expected

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> dict[str, Any]:
        expected = self.expected(self.parent)
        if not isinstance(value, Mapping):
            raise fail(f"must map each {self.what} id to its texts",
                       f"write one `<{self.what} id>:` line per {self.what}, texts indented below")
        errors: dict[Any, Any] = {}
        result: dict[str, Any] = {}
        for key, texts in value.items():
            if key not in expected:
                add_error(errors, (str(key),), Hinted(
                    f"module.yaml has no {self.what} {key!r}",
                    "remove it or rename it to one of: " + ", ".join(expected)))
                continue
            try:
                result[key] = expected[key]().load(texts)
            except ValidationError as exc:
                errors[key] = exc.messages
        for key in expected:
            if key not in value:
                add_error(errors, (key,), Hinted(
                    f"the text for {self.what} {key!r} is missing",
                    f"add `{key}:` with its texts, as for the other {self.what}s"))
        if errors:
            raise ValidationError(errors)
        return result


class OptionTextSchema(_Strict):
    text = _text()
    feedback = _text()


class QuestionTextSchema(_Strict):
    prompt = _text()
    options = TextsById("option", lambda s: {o: OptionTextSchema for o in s.question["options"]})

    def __init__(self, question: Mapping[str, Any], **kwargs: Any) -> None:
        self.question = question
        super().__init__(**kwargs)


class QuizTextSchema(_Strict):
    title = _text()
    questions = TextsById("question", lambda s: {
        q["id"]: partial(QuestionTextSchema, q) for q in s.quiz["questions"]})

    def __init__(self, quiz: Mapping[str, Any], **kwargs: Any) -> None:
        self.quiz = quiz
        super().__init__(**kwargs)


class BodyTextSchema(_Strict):
    """lesson, self-assessment and pair-activity: a title and a Markdown body."""

    title = _text()
    body = _text()


class ReflectionTextSchema(_Strict):
    title = _text()
    prompt = _text()


def _step_texts(step: Mapping[str, Any]) -> SchemaFactory:
    if step["kind"] == "quiz":
        return partial(QuizTextSchema, step)
    if step["kind"] == "reflection":
        return ReflectionTextSchema
    return BodyTextSchema


class LanguageSchema(_Strict):
    """<lang>.yaml, checked against the already validated module.yaml data."""

    title = _text()
    summary = _text()
    objectives = fields.List(fields.String(validate=_not_blank), required=True,
                             validate=_unique_list("objective"))
    image_alt = fields.String(validate=_not_blank)
    steps = TextsById("step", lambda s: {st["id"]: _step_texts(st) for st in s.module["steps"]})

    def __init__(self, module: Mapping[str, Any], **kwargs: Any) -> None:
        self.module = module
        super().__init__(**kwargs)

    @validates_schema
    def _check_image_alt(self, data: dict[str, Any], **kwargs: Any) -> None:
        has_image = any(s.get("image") for s in self.module["steps"])
        if has_image and "image_alt" not in data:
            raise ValidationError({"image_alt": [Hinted(
                "is missing: a step has an image",
                "add `image_alt:` describing the image for people who cannot see it")]})
        if not has_image and "image_alt" in data:
            raise ValidationError({"image_alt": [Hinted(
                "is set but no step in module.yaml has an `image`",
                "remove image_alt, or add `image:` to the lesson it describes")]})


# --- errors -> (path, message, hint) ---------------------------------------------------------

# marshmallow's own messages, rephrased with a fix.
_STANDARD: dict[str, tuple[str, str]] = {
    "Missing data for required field.": ("is missing", f"add it (see {README})"),
    "Field may not be null.": ("is empty", "write a value after the colon"),
    "Not a valid string.": ("must be text", 'put it in quotes, e.g. "4.1" or "no": YAML reads '
                            "unquoted numbers and yes/no/on/off as something else"),
    "Not a valid integer.": ("must be a whole number", "write digits only, e.g. 8"),
    "Not a valid boolean.": ("must be true or false", "write true or false"),
    "Not a valid list.": ("must be a list", "write [a, b] or one `- item` per line"),
    "Invalid input type.": ("must be a mapping", "write `key: value` lines indented below it"),
}


def flatten_errors(messages: Any, path: ErrorPath = ()) -> Iterator[tuple[ErrorPath, str, str]]:
    """Walk marshmallow's nested error messages; yield (path, message, hint) for each one."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from flatten_errors(value, path if key == "_schema" else (*path, key))
    elif isinstance(messages, list):
        for message in messages:
            yield from flatten_errors(message, path)
    elif isinstance(messages, Hinted):
        yield path, str(messages), messages.hint
    else:
        text, hint = _STANDARD.get(str(messages), (str(messages), f"see {README}"))
        yield path, text, hint


def format_path(path: ErrorPath) -> str:
    """('steps', 2, 'questions', 0, 'correct') -> 'steps[2].questions[0].correct'."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out
