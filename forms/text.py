"""The text rule and length limits of triage/text.py, applied to every form's text fields.

security.md, "State, text and load": every text field has a length limit, the same in the
API and the pages, and refused characters (lone surrogates, NUL and other controls,
non-characters) are refused on the pages too, next to the field, before any service runs.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import Length, ValidationError

from triage import text
from triage.api.schemas import text_limit

# Form field names that differ from the API's (triage.text.FIELDS keys).
API_NAME = {"change_mobile": "change.mobile", "change_email": "change.email"}


def api_name(short_name: str) -> str:
    return API_NAME.get(short_name, short_name)


def limited(name: str, message: str | None = None) -> Length:
    """`Length(max=…)` with the API schemas' limit for field `name` (the `maxLength` of the
    OpenAPI document, triage/api/schemas.py); WTForms renders it as `maxlength` too."""
    return Length(max=text_limit(name), message=message)


class AcceptableText:
    """Validator: triage.text's character rule for the field (multi-line where it allows)."""

    def __init__(self, name: str) -> None:
        self.rule = text.field(name)

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if isinstance(field.data, str):
            why = text.text_problem(field.data, multiline=self.rule.multiline)
            if why:
                raise ValidationError(f"This {why}. Remove it and send the form again.")


class CheckedForm(FlaskForm):
    """A FlaskForm whose every text field (StringField and its kinds: text areas, emails,
    hidden and password fields) is checked by triage.text's rule before its own validators
    pass, so no form can let a refused character through by forgetting a validator."""

    def validate(self, extra_validators: dict[str, list[Any]] | None = None) -> bool:
        extra = {name: list(chain) for name, chain in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField) and name != "csrf_token":
                extra.setdefault(name, []).append(AcceptableText(api_name(field.short_name)))
        return super().validate(extra_validators=extra)
