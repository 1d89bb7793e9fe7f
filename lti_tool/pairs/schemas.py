"""marshmallow input schemas for every pairs form (the HTTP boundary).

Forms arrive as flat fields; each schema checks them, keys its errors by the form field's name
(so the page can link a message to its input), and turns them into the shape the services take.
Messages are lazy gettext strings turned into the request's language when a schema is built.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema
from werkzeug.datastructures import MultiDict

from ..errors import ValidationFailed
from .availability import ALL_SLOTS
from .vocabulary import (
    CADENCES,
    CAREER_STAGES,
    CHANNELS,
    COMPETENCES,
    FEEDBACK_ACTIONS,
    FEEDBACK_KINDS,
    GOAL_ROWS,
    LANGUAGES,
    LEVELS,
    RESPONSE_TIMES,
    ROLE_PREFERENCES,
    SESSION_MINUTES,
    STYLE_ITEMS,
    TOPICS,
    WANT_ROWS,
)

_REQUIRED = _l("Please fill in this field.")
_CHOOSE = _l("Please choose one of the options.")
_NUMBER = _l("Please enter a whole number.")
_TOO_LONG = _l("Please keep this under {max} characters.")
_SKIP = ("ltik", "csrf_token")


def offer_field(competence: str) -> str:
    """Form name of the 'my level' select for a competence: '2.1' → 'offer_2_1'."""
    return "offer_" + competence.replace(".", "_")


def timezones() -> list[str]:
    """Zones a person can pick: region/city names, without legacy aliases."""
    return sorted(z for z in available_timezones()
                  if "/" in z and z.split("/")[0] in {"Africa", "America", "Antarctica", "Asia",
                                                      "Atlantic", "Australia", "Europe",
                                                      "Indian", "Pacific"})


# --- field factories: every field carries translatable messages -------------------------------

def _text(*, required: bool = False, max_len: int = 2000) -> fields.String:
    return fields.String(required=required, validate=validate.Length(max=max_len,
                                                                     error=_TOO_LONG),
                         error_messages={"required": _REQUIRED, "invalid": _REQUIRED})


def _choice(choices: Iterable[Any], *, required: bool = False, integer: bool = False) -> Any:
    cls = fields.Integer if integer else fields.String
    return cls(required=required, validate=validate.OneOf(tuple(choices), error=_CHOOSE),
               error_messages={"required": _CHOOSE, "invalid": _CHOOSE})


def _int(lo: int, hi: int, *, required: bool = False, message: Any = None) -> fields.Integer:
    msg = message or _l("Please enter a number from {min} to {max}.")
    return fields.Integer(required=required, strict=False,
                          validate=validate.Range(min=lo, max=hi, error=msg),
                          error_messages={"required": _REQUIRED, "invalid": _NUMBER})


def _many(choices: Iterable[str], *, least: int = 0, message: Any = None) -> fields.List:
    # A blank form drops the key, and marshmallow skips validators on defaults: so a list that
    # needs entries is `required`, with the same message as too few entries.
    if least:
        return fields.List(_choice(choices), required=True,
                           validate=validate.Length(min=least, error=message or _CHOOSE),
                           error_messages={"invalid": _CHOOSE, "required": message or _CHOOSE})
    return fields.List(_choice(choices), load_default=list, error_messages={"invalid": _CHOOSE})


def _date(*, required: bool = True) -> fields.Date:
    return fields.Date(required=required, format="iso", error_messages={
        "required": _l("Please enter a date."),
        "invalid": _l("Please enter a date like 2025-03-31 (year-month-day).")})


def _flag() -> fields.Boolean:
    return fields.Boolean(load_default=False, error_messages={"invalid": _CHOOSE})


def _materialize(field: fields.Field) -> None:
    """Turn lazy messages into strings of the current language (marshmallow wants str)."""
    field.error_messages = {k: str(v) for k, v in field.error_messages.items()}
    validators = []
    for v in field.validators:
        v = copy.copy(v)
        message = getattr(v, "error", None)
        if message is not None:
            setattr(v, "error", str(message))  # noqa: B010
        validators.append(v)
    field.validators = validators
    inner = getattr(field, "inner", None)
    if isinstance(inner, fields.Field):
        _materialize(inner)


class FormSchema(Schema):
    """Base for form schemas: unknown fields (tokens, buttons) are ignored."""

    class Meta:
        unknown = EXCLUDE

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        for field in self.fields.values():
            _materialize(field)


def form_data(form: Mapping[str, Any], lists: Iterable[str] = ()) -> dict[str, Any]:
    """Flat dict from a form: blank fields dropped (= missing), list fields from getlist."""
    multi = form if isinstance(form, MultiDict) else MultiDict(form)
    keep = set(lists)
    data: dict[str, Any] = {}
    for key in multi:
        if key in _SKIP:
            continue
        if key in keep:
            data[key] = [v.strip() for v in multi.getlist(key) if v.strip()]
        else:
            value = (multi.get(key) or "").strip()
            if value:
                data[key] = value
    return data


def flatten(messages: Any) -> dict[str, str]:
    """marshmallow's nested error dict → {form field: one sentence (or several joined)}."""
    out: dict[str, str] = {}

    def texts(node: Any) -> list[str]:
        if isinstance(node, Mapping):
            return [t for v in node.values() for t in texts(v)]
        if isinstance(node, list | tuple):
            return [t for v in node for t in texts(v)]
        return [str(node)]

    for key, node in (messages.items() if isinstance(messages, Mapping) else []):
        out[str(key)] = " ".join(dict.fromkeys(texts(node)))
    return out


def load_form(schema: Schema, form: Mapping[str, Any]) -> Any:
    """Validate a submitted form, or raise ValidationFailed with per-field messages."""
    lists = [n for n, f in schema.fields.items() if isinstance(f, fields.List)]
    try:
        return schema.load(form_data(form, lists))
    except ValidationError as exc:
        raise ValidationFailed(_("Please correct the highlighted fields."),
                               fields=flatten(exc.messages)) from exc


# --- profile -----------------------------------------------------------------------------------

class _ProfileBase(FormSchema):
    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict[str, Any], **_kw: Any) -> None:
        errors: dict[str, list[str]] = {}
        role = data.get("role_preference")
        seen: set[str] = set()
        wants = 0
        for i in range(1, WANT_ROWS + 1):
            comp, target = data.get(f"want_{i}_competence"), data.get(f"want_{i}_target")
            now = data.get(f"want_{i}_now")
            if comp and not target:
                errors[f"want_{i}_target"] = [_("Choose the level you want to reach.")]
            if (target or now) and not comp:
                errors[f"want_{i}_competence"] = [_("Choose the skill you want to learn.")]
            if comp and comp in seen:
                errors[f"want_{i}_competence"] = [_("You chose this skill twice.")]
            if comp and target and now and now >= target:
                errors[f"want_{i}_target"] = [
                    _("Choose a level higher than the level you have now.")]
            if comp:
                seen.add(comp)
                wants += 1
        if role in ("mentee", "either") and wants == 0 and "want_1_competence" not in errors:
            errors["want_1_competence"] = [_("Choose at least one skill you want to learn.")]
        offers = [c for c in COMPETENCES if data.get(offer_field(c))]
        if role in ("mentor", "either") and not offers:
            errors["offers"] = [_("Choose your level for at least one skill you can teach.")]
        if data.get("timezone") and not _valid_zone(data["timezone"]):
            errors["timezone"] = [_("Choose your time zone from the list.")]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _shape(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        wants = []
        for i in range(1, WANT_ROWS + 1):
            comp = data.pop(f"want_{i}_competence", None)
            target = data.pop(f"want_{i}_target", None)
            now = data.pop(f"want_{i}_now", None)
            if comp:
                wants.append([comp, target, now])
        offers = {}
        for c in COMPETENCES:
            level = data.pop(offer_field(c), None)
            if level:
                offers[c] = level
        data["wants"], data["offers"] = wants, offers
        for key in ("department", "team", "site"):
            data.setdefault(key, "")
        data.setdefault("manager_email", None)
        for key in STYLE_ITEMS:
            data.setdefault(key, None)
        return data


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_profile_fields: dict[str, Any] = {
    "role_preference": _choice(ROLE_PREFERENCES, required=True),
    "teach_back_offers": _many(TOPICS),
    "teach_back_wants": _many(TOPICS),
    "channels": _many(CHANNELS, least=1, message=_l("Choose at least one way to keep in touch.")),
    "response_time": _choice(RESPONSE_TIMES, required=True),
    "cadence": _choice(CADENCES, required=True),
    "slots": _many(ALL_SLOTS, least=1,
                   message=_l("Tick at least one time of the week when you are free.")),
    "timezone": _text(required=True, max_len=64),
    "hours_needed": _int(1, 10, message=_l("Please enter from {min} to {max} hours.")),
    "career_stage": _choice(CAREER_STAGES, required=True, integer=True),
    "department": _text(max_len=120),
    "team": _text(max_len=120),
    "site": _text(max_len=120),
    "manager_email": fields.String(validate=[
        validate.Length(max=320, error=_TOO_LONG),
        validate.Email(error=_l("Please enter an e-mail address like name@example.org."))]),
    "languages": _many(LANGUAGES, least=1, message=_l("Choose at least one language.")),
    "in_person_only": _flag(),
    "capacity": _int(1, 3, message=_l("Choose from {min} to {max} mentees.")),
    "paused": _flag(),
    **{item: _choice(LEVELS, integer=True) for item in STYLE_ITEMS},
    **{offer_field(c): _choice(LEVELS, integer=True) for c in COMPETENCES},
}
for _i in range(1, WANT_ROWS + 1):
    _profile_fields[f"want_{_i}_competence"] = _choice(COMPETENCES)
    _profile_fields[f"want_{_i}_target"] = _choice(LEVELS, integer=True)
    _profile_fields[f"want_{_i}_now"] = _choice(LEVELS, integer=True)

ProfileSchema = _ProfileBase.from_dict(_profile_fields, name="ProfileSchema")


def profile_form_values(profile: Any) -> MultiDict[str, Any]:
    """The profile form's fields for an existing profile (the inverse of ProfileSchema)."""
    pairs: list[tuple[str, Any]] = [
        ("role_preference", profile.role_preference), ("response_time", profile.response_time),
        ("cadence", profile.cadence), ("timezone", profile.timezone),
        ("hours_needed", profile.hours_needed), ("career_stage", profile.career_stage),
        ("department", profile.department), ("team", profile.team), ("site", profile.site),
        ("manager_email", profile.manager_email or ""), ("capacity", profile.capacity),
        ("in_person_only", "1" if profile.in_person_only else ""),
        ("paused", "1" if profile.paused else ""),
    ]
    for item in STYLE_ITEMS:
        if getattr(profile, item):
            pairs.append((item, getattr(profile, item)))
    for key in ("teach_back_offers", "teach_back_wants", "channels", "slots", "languages"):
        pairs.extend((key, v) for v in getattr(profile, key))
    for comp, level in profile.offers.items():
        pairs.append((offer_field(comp), level))
    for i, (comp, target, *rest) in enumerate(profile.wants, start=1):
        pairs += [(f"want_{i}_competence", comp), (f"want_{i}_target", target)]
        if rest and rest[0]:
            pairs.append((f"want_{i}_now", rest[0]))
    return MultiDict([(k, str(v)) for k, v in pairs])


# --- matching (instructor) ----------------------------------------------------------------------

class MatchRunSchema(FormSchema):
    mode = _choice(("quality", "participation"), required=True)
    floor = _int(0, 100, required=True)


class ManualPairSchema(FormSchema):
    mentor_id = fields.Integer(required=True, error_messages={"required": _CHOOSE,
                                                              "invalid": _CHOOSE})
    mentee_id = fields.Integer(required=True, error_messages={"required": _CHOOSE,
                                                              "invalid": _CHOOSE})
    reason = fields.String(required=True, validate=validate.Length(
        min=5, max=1000, error=_l("Please give a reason of {min} to {max} characters.")),
        error_messages={"required": _l("Please say why you pair these two people.")})

    @validates_schema(skip_on_field_errors=False)
    def _two_people(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("mentor_id") and data.get("mentor_id") == data.get("mentee_id"):
            raise ValidationError({"mentee_id": [_("Choose two different people.")]})


class ReasonSchema(FormSchema):
    reason = fields.String(required=True, validate=validate.Length(
        min=5, max=1000, error=_l("Please give a reason of {min} to {max} characters.")),
        error_messages={"required": _l("Please give a reason.")})


class OptionalReasonSchema(FormSchema):
    reason = _text(max_len=1000)


# --- proposal answer ----------------------------------------------------------------------------

class RespondSchema(FormSchema):
    answer = _choice(("accept", "decline", "info"), required=True)
    question = _text(max_len=1000)

    @validates_schema(skip_on_field_errors=False)
    def _question(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("answer") == "info" and not data.get("question"):
            raise ValidationError({"question": [_("Please write what you would like to know.")]})


# --- agreement ----------------------------------------------------------------------------------

class _AgreementBase(FormSchema):
    @validates_schema(skip_on_field_errors=False)
    def _goals(self, data: dict[str, Any], **_kw: Any) -> None:
        errors: dict[str, list[str]] = {}
        mentee = mentor = 0
        for i in range(1, GOAL_ROWS + 1):
            text = data.get(f"mentee_goal_{i}_text")
            comp = data.get(f"mentee_goal_{i}_competence")
            level = data.get(f"mentee_goal_{i}_target")
            if text:
                mentee += 1
                if not comp:
                    errors[f"mentee_goal_{i}_competence"] = [
                        _("Choose the digital skill this goal is about.")]
                if not level:
                    errors[f"mentee_goal_{i}_target"] = [_("Choose the level to reach.")]
            elif comp or level:
                errors[f"mentee_goal_{i}_text"] = [_("Please describe this goal in a few words.")]
            if data.get(f"mentor_goal_{i}_text"):
                mentor += 1
        if not mentee and "mentee_goal_1_text" not in errors:
            errors["mentee_goal_1_text"] = [_("Write at least one digital goal for the mentee.")]
        if not mentor:
            errors["mentor_goal_1_text"] = [
                _("Write at least one goal for what the mentor wants to learn.")]
        if not data.get("confidentiality"):
            errors["confidentiality"] = [
                _("Please tick this box: you both keep what you share private.")]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _shape(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        goals: list[dict[str, Any]] = []
        for i in range(1, GOAL_ROWS + 1):
            text = data.pop(f"mentee_goal_{i}_text", None)
            comp = data.pop(f"mentee_goal_{i}_competence", None)
            level = data.pop(f"mentee_goal_{i}_target", None)
            if text:
                goals.append({"direction": "mentee", "text": text, "competence_id": comp,
                              "target_level": level})
        for i in range(1, GOAL_ROWS + 1):
            text = data.pop(f"mentor_goal_{i}_text", None)
            if text:
                goals.append({"direction": "mentor", "text": text, "competence_id": None,
                              "target_level": None})
        data["goals"] = goals
        data.setdefault("ground_rules", "")
        return data


_agreement_fields: dict[str, Any] = {
    "base_revision": fields.Integer(required=True, error_messages={
        "required": _l("The form is incomplete. Reload the page."),
        "invalid": _l("The form is incomplete. Reload the page.")}),
    "cadence": _choice(CADENCES, required=True),
    "channels": _many(CHANNELS, least=1, message=_l("Choose at least one way to keep in touch.")),
    "confidentiality": _flag(),
    "ground_rules": _text(max_len=4000),
}
for _i in range(1, GOAL_ROWS + 1):
    _agreement_fields[f"mentee_goal_{_i}_text"] = _text(max_len=500)
    _agreement_fields[f"mentee_goal_{_i}_competence"] = _choice(COMPETENCES)
    _agreement_fields[f"mentee_goal_{_i}_target"] = _choice(LEVELS, integer=True)
    _agreement_fields[f"mentor_goal_{_i}_text"] = _text(max_len=500)

AgreementSchema = _AgreementBase.from_dict(_agreement_fields, name="AgreementSchema")


def agreement_form_values(version: Any) -> MultiDict[str, Any]:
    """The agreement form's fields for an existing version."""
    if version is None:
        return MultiDict()
    pairs: list[tuple[str, Any]] = [("cadence", version.cadence),
                                    ("ground_rules", version.ground_rules)]
    pairs += [("channels", c) for c in version.channels]
    if version.confidentiality:
        pairs.append(("confidentiality", "1"))
    for i, g in enumerate(version.goals_for("mentee"), start=1):
        pairs += [(f"mentee_goal_{i}_text", g.text),
                  (f"mentee_goal_{i}_competence", g.competence_id or ""),
                  (f"mentee_goal_{i}_target", g.target_level or "")]
    for i, g in enumerate(version.goals_for("mentor"), start=1):
        pairs.append((f"mentor_goal_{i}_text", g.text))
    return MultiDict([(k, str(v)) for k, v in pairs])


class SignSchema(FormSchema):
    base_revision = _agreement_fields["base_revision"]


# --- sessions -----------------------------------------------------------------------------------

class PlanSessionSchema(FormSchema):
    """Date and time are local to the person planning; `today` bounds the date."""

    on = _date()
    at = fields.Time(required=True, format="%H:%M", error_messages={
        "required": _l("Please enter a time."),
        "invalid": _l("Please enter a time like 14:30.")})
    minutes = _int(*SESSION_MINUTES, required=True,
                   message=_l("Please enter from {min} to {max} minutes."))
    meeting_url = fields.String(validate=[
        validate.Length(max=1024, error=_TOO_LONG),
        validate.URL(schemes={"https"}, require_tld=True,
                     error=_l("Please enter a meeting link that starts with https://"))])

    def __init__(self, *, today: date, timezone: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.today, self.timezone = today, timezone

    @validates_schema(skip_on_field_errors=False)
    def _future(self, data: dict[str, Any], **_kw: Any) -> None:
        on = data.get("on")
        if on and on < self.today:
            raise ValidationError({"on": [_("Choose today or a later date.")]})
        if on and on > self.today + timedelta(days=366):
            raise ValidationError({"on": [_("Choose a date within the next year.")]})

    @post_load
    def _shape(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        on, at = data.pop("on"), data.pop("at")
        local = datetime.combine(on, time(at.hour, at.minute), tzinfo=ZoneInfo(self.timezone))
        data["starts_at"] = local
        data.setdefault("meeting_url", None)
        return data


class LogSessionSchema(FormSchema):
    held_on = _date()
    minutes = _int(*SESSION_MINUTES, required=True,
                   message=_l("Please enter from {min} to {max} minutes."))
    topics = _text(max_len=4000)
    session_id = fields.Integer(load_default=None, error_messages={"invalid": _CHOOSE})

    def __init__(self, *, today: date, **kwargs: Any):
        super().__init__(**kwargs)
        self.today = today

    @validates_schema(skip_on_field_errors=False)
    def _past(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("held_on") and data["held_on"] > self.today:
            raise ValidationError({"held_on": [
                _("A session can be logged on the day it happened or later. Choose today or "
                  "an earlier date.")]})

    @post_load
    def _shape(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        data.setdefault("topics", "")
        return data


# --- feedback, check-ins, learning, attestation --------------------------------------------------

class FeedbackSchema(FormSchema):
    kind = _choice(FEEDBACK_KINDS, required=True)
    situation = _text()
    behaviour = _text()
    impact = _text()
    suggestion_1 = _text()
    suggestion_2 = _text()

    @validates_schema(skip_on_field_errors=False)
    def _parts(self, data: dict[str, Any], **_kw: Any) -> None:
        needed = {"sbi": ("situation", "behaviour", "impact"),
                  "feedforward": ("suggestion_1", "suggestion_2")}.get(data.get("kind", ""), ())
        missing = {name: [_("Please fill in this part.")] for name in needed
                   if not data.get(name)}
        if missing:
            raise ValidationError(missing)

    @post_load
    def _shape(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        keep = {"sbi": ("situation", "behaviour", "impact"),
                "feedforward": ("suggestion_1", "suggestion_2")}[data["kind"]]
        return {"kind": data["kind"], **{k: data.get(k, "") for k in keep}}


class AcknowledgeSchema(FormSchema):
    action = _choice(FEEDBACK_ACTIONS, required=True)
    action_note = _text(max_len=1000)

    @post_load
    def _shape(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        data.setdefault("action_note", "")
        return data


class CheckInSchema(FormSchema):
    happy = _choice(LEVELS, required=True, integer=True)
    learning = _choice(("yes", "no"), required=True)
    note = _text(max_len=2000)
    session_id = fields.Integer(load_default=None, error_messages={"invalid": _CHOOSE})

    @post_load
    def _shape(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        data["learning"] = data["learning"] == "yes"
        data.setdefault("note", "")
        return data


class LearningEntrySchema(FormSchema):
    text = fields.String(required=True, validate=validate.Length(
        min=3, max=2000, error=_l("Please write from {min} to {max} characters.")),
        error_messages={"required": _l("Please write what you learned.")})


class AttestationSchema(FormSchema):
    competence_id = _choice(COMPETENCES, required=True)
    level = _choice(LEVELS, integer=True)
    task = fields.String(required=True, validate=validate.Length(
        min=5, max=1000, error=_l("Please write from {min} to {max} characters.")),
        error_messages={"required": _l("Please describe the task you saw.")})
    observed_on = _date()

    def __init__(self, *, today: date, **kwargs: Any):
        super().__init__(**kwargs)
        self.today = today

    @validates_schema(skip_on_field_errors=False)
    def _past(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("observed_on") and data["observed_on"] > self.today:
            raise ValidationError({"observed_on": [_("Choose today or an earlier date.")]})

    @post_load
    def _shape(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        data.setdefault("level", None)
        return data
