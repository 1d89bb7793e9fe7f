"""Form input of the badge pages (marshmallow at the boundary)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from ..errors import ValidationFailed


class RevokeForm(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = fields.String(required=True, validate=validate.Length(
        min=3, max=500, error=_l("Give a reason of 3 to 500 characters: the learner and anyone "
                                 "who checks the badge will see it.")),
        error_messages={"required": _l("Say why the badge is revoked.")})

    @pre_load
    def _strip(self, data: Any, **_kw: Any) -> Any:
        out = dict(data)
        if isinstance(out.get("reason"), str):
            out["reason"] = out["reason"].strip()
        return out


class VisibilityForm(Schema):
    class Meta:
        unknown = EXCLUDE

    show_name = fields.Boolean(load_default=False, truthy={"1", "on", "true", "yes"},
                               falsy={"0", "off", "false", "no", ""})


def load(schema: Schema, data: Any) -> dict[str, Any]:
    """Validated form data, or a 422 with a message per field."""
    try:
        result: dict[str, Any] = schema.load(dict(data))
    except ValidationError as exc:
        messages = {k: [str(m) for m in v] if isinstance(v, list) else [str(v)]
                    for k, v in exc.normalized_messages().items()}
        first = next(iter(messages.values()))[0]
        raise ValidationFailed(first, fields=messages) from exc
    return result
