"""The text rule and length limits of triage/text.py, applied to every form's text fields.

security.md, "State, text and load": every text field has a length limit, the same in the
API and the pages, and refused characters (lone surrogates, NUL and other controls,
non-characters) are refused on the pages too, next to the field, before any service runs.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import Length, ValidationError

from triage import text
from triage.api.schemas import text_limit
from triage.i18n import DEFAULT, current_language

# Form field names that differ from the API's (triage.text.FIELDS keys).
API_NAME = {"change_mobile": "change.mobile", "change_email": "change.email"}


def api_name(short_name: str) -> str:
    return API_NAME.get(short_name, short_name)


def limited(name: str, message: str | None = None) -> Length:
    """`Length(max=…)` with the API schemas' limit for field `name` (the `maxLength` of the
    OpenAPI document, triage/api/schemas.py); WTForms renders it as `maxlength` too."""
    return Length(max=text_limit(name), message=message)


# triage.text's words for a refused character: "contains control characters (U+0001, NUL,
# at position 6)", "contains a lone UTF-16 surrogate (U+D800, at position 5)".
_REFUSED = re.compile(
    r"contains .*\(U\+(?P<code>[0-9A-F]{4,6})\b.*, at position (?P<position>\d+)\)"
)


def check_this() -> str:
    """What a page says next to a field whose problem has no sentence in the customer's
    language: a general request, never the service's English words."""
    return gettext("Please check this answer.")


def refused_sentence(why: str) -> str:
    """A refused character (triage.text's "contains …" words, `why`) as a sentence in the
    request's language. English keeps the rule's own words, which name the kind of
    character; the other languages name its code point and position."""
    if current_language() == DEFAULT:
        return f"This {why}. Remove it and send the form again."
    found = _REFUSED.fullmatch(why)
    if found is None:
        return check_this()
    return gettext(
        "This contains a character that cannot be accepted (U+%(code)s, at position "
        "%(position)s). Remove it and send the form again.",
        code=found["code"],
        position=found["position"],
    )


class AcceptableText:
    """Validator: triage.text's character rule for the field (multi-line where it allows)."""

    def __init__(self, name: str) -> None:
        self.rule = text.field(name)

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if isinstance(field.data, str):
            why = text.text_problem(field.data, multiline=self.rule.multiline)
            if why:
                raise ValidationError(refused_sentence(why))


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
