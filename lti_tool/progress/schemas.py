"""marshmallow schemas for step submissions (the HTML forms of the step player).

The form's shape is checked here; whether the answers fit the module's content (known option
ids, one option for single choice, every competence rated) is checked by the services against
the loaded module, so a changed form is refused there with nothing recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from werkzeug.datastructures import MultiDict

from ..errors import ValidationFailed

QUIZ_PREFIX = "q-"
RATING_PREFIX = "rating-"
REFLECTION_MAX = 10_000
_KEY = fields.String(validate=validate.Length(min=1, max=100))


class _Post(Schema):
    class Meta:
        unknown = EXCLUDE  # ltik and csrf_token travel in the same form


class LessonPost(_Post):
    pass


class QuizPost(_Post):
    # A one-off key in the form: a double submit records one attempt.
    submission = fields.String(required=True, validate=[
        validate.Length(min=16, max=64), validate.Regexp(r"^[A-Za-z0-9_-]+$")])
    answers = fields.Dict(keys=_KEY, validate=validate.Length(max=50), load_default=dict,
                          values=fields.List(fields.String(validate=validate.Length(max=100)),
                                             validate=validate.Length(max=20)))


class ReflectionPost(_Post):
    text = fields.String(required=True, validate=validate.Length(min=1, max=REFLECTION_MAX))
    share = fields.Boolean(load_default=False)

    @pre_load
    def strip(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        if isinstance(data.get("text"), str):
            data = {**data, "text": data["text"].strip()}
        return data


class SelfAssessmentPost(_Post):
    ratings = fields.Dict(keys=_KEY, values=fields.Integer(strict=False,
                                                           validate=validate.Range(1, 5)),
                          validate=validate.Length(max=30), load_default=dict)


class PairActivityPost(_Post):
    pair_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    solo = fields.Boolean(load_default=False)


SCHEMAS: dict[str, type[_Post]] = {
    "lesson": LessonPost, "quiz": QuizPost, "reflection": ReflectionPost,
    "self-assessment": SelfAssessmentPost, "pair-activity": PairActivityPost,
}


def form_payload(kind: str, form: MultiDict[str, str]) -> dict[str, Any]:
    """Gather the form's fields into the shape the step's schema expects."""
    data: dict[str, Any] = {k: form.get(k) for k in ("submission", "text", "share", "pair_id",
                                                      "solo") if k in form}
    if kind == "quiz":
        data["answers"] = {k[len(QUIZ_PREFIX):]: [v for v in form.getlist(k) if v]
                           for k in form if k.startswith(QUIZ_PREFIX)}
    elif kind == "self-assessment":
        data["ratings"] = {k[len(RATING_PREFIX):]: form.get(k)
                           for k in form if k.startswith(RATING_PREFIX) and form.get(k)}
    return data


def load_step_post(kind: str, form: MultiDict[str, str]) -> dict[str, Any]:
    """Validate a step's form; ValidationFailed (422) with a message per field."""
    try:
        loaded: dict[str, Any] = SCHEMAS[kind]().load(form_payload(kind, form))
        return loaded
    except ValidationError as exc:
        raise ValidationFailed(_("Some answers need another look."),
                               fields=_friendly(exc.messages)) from exc


def _friendly(messages: Mapping[str, Any] | list[Any]) -> dict[str, Any]:
    if not isinstance(messages, Mapping):
        return {"form": [_("The form could not be read. Reload the page and try again.")]}
    out: dict[str, Any] = {}
    for name in messages:
        if name == "text":
            out[name] = [_("Write a few words (at most %(n)d characters) before you save.",
                           n=REFLECTION_MAX)]
        elif name == "ratings":
            out[name] = [_("Choose one of the five levels for every competence.")]
        else:
            out[name] = [_("The form could not be read. Reload the page and try again.")]
    return out
