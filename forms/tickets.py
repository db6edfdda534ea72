"""Customer forms. Field names match the API's, so one service validates both faces."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Optional

from forms.text import CheckedForm, check_this, limited, refused_sentence
from triage.errors import Msg
from triage.evidence.policy import ACCEPT_ATTRIBUTE
from triage.i18n import DEFAULT, current_language, translated
from triage.tickets.information import (
    ADDRESS_PARTS,
    NOT_A_PHONE,
    NOT_AN_ACCOUNT_NUMBER,
    NOT_AN_EMAIL,
    NOT_AN_ITEM,
    PART_REQUIRED,
)
from triage.tickets.operations import RESTRICTION_REASONS
from triage.tickets.schemas import CHANGE_NEEDED

try:  # WTForms 3.3 deprecates plain tuples as choices
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms

    def SelectChoice(value: str, label: str) -> tuple[str, str]:
        return (value, label)


REQUIRED = _l("Please choose one.")


def _choices(*pairs: tuple[str, str]) -> list:
    return [SelectChoice(value, label) for value, label in pairs]


YES_NO = _choices(("true", _l("Yes")), ("false", _l("No")))


# The services' words for what is wrong with a field (the API's `fields`, which stay
# English: api.md) → the sentence a page shows next to the field. Each sentence is a catalog
# template (`Msg` is an extraction keyword), so translators get whole sentences; a
# `%(name)s` in the services' words matches the value the sentence is filled with, and a
# `field` value (an address part's label) is looked up in the catalog too.
FIELD_SENTENCES: list[tuple[str, Msg]] = [
    (CHANGE_NEEDED, Msg("Give the new mobile number, the new email address, or both.")),
    (
        NOT_A_PHONE,
        Msg("This is not a phone number: use digits, with the country code, e.g. +44 7700 900123."),
    ),
    # email-validator's reason ("An email address must have an @-sign.") is English only:
    # English pages keep it, the others say what to write instead.
    (
        f"{NOT_AN_EMAIL} (%(detail)s)",
        Msg("This is not a valid email address: write it like name@example.com."),
    ),
    (NOT_AN_EMAIL, Msg("This is not a valid email address: write it like name@example.com.")),
    (
        NOT_AN_ACCOUNT_NUMBER,
        Msg("This must be the account number or IBAN: letters, digits and spaces."),
    ),
    (NOT_AN_ITEM, Msg("This is not an information item of this ticket.")),
    (PART_REQUIRED, Msg("%(field)s is required.")),
    ("must be at most %(limit)s characters", Msg("This must be at most %(limit)s characters.")),
    (
        "must be at most %(limit)s characters (this has %(length)s)",
        Msg("This must be at most %(limit)s characters."),
    ),
    ("must be one of: %(choices)s", Msg("Please choose one.")),
    ("must be true or false", Msg("Please choose one.")),
]
# Values looked up in the catalog (vocabulary words), not shown as they are (numbers).
_VOCABULARY_VALUES = frozenset({"field"})


def _pattern(words: str) -> re.Pattern[str]:
    """The services' `words` as a pattern: each `%(name)s` matches a value named `name`."""
    parts = re.split(r"%\((\w+)\)s", words)
    pattern = "".join(
        f"(?P<{part}>.+?)" if i % 2 else re.escape(part) for i, part in enumerate(parts) if part
    )
    return re.compile(pattern)


_FIELD_PATTERNS = [(_pattern(words), template) for words, template in FIELD_SENTENCES]


def _known(message: str) -> Msg | None:
    """The sentence for the services' `message`, filled with its values, if one is known."""
    for pattern, template in _FIELD_PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            values = {
                name: Msg(value) if name in _VOCABULARY_VALUES else value
                for name, value in found.groupdict().items()
            }
            return Msg(template, **values) if values else template
    return None


def as_sentence(message: str) -> str:
    """The services' "what is wrong" words as an English sentence: "is not …" → "This is
    not ….", a period at the end."""
    if message.startswith(("is ", "must ", "contains ")):
        message = f"This {message}"
    message = message[:1].upper() + message[1:]
    # Chinese ends a sentence with its own full stop, question and exclamation marks.
    ends = (".", "?", "!", ")", "\u3002", "\uff1f", "\uff01", "\uff09")
    return message if message.endswith(ends) else f"{message}."


def sentence(message: str) -> str:
    """A service's "what is wrong" words as a sentence to show next to its field, in the
    request's language.

    English pages show the service's own words as a sentence ("This is not a valid email
    address (…)."). Other languages get the sentence `FIELD_SENTENCES` has for the words,
    translated with its values; words without one get the catalog's translation of their
    sentence, or, never English, "Please check this answer.". A sentence already written
    for a person (a translated error message) is shown as it is.
    """
    if message == "is required":
        return gettext("Please fill this in.")
    if message.startswith("contains "):
        return refused_sentence(message)
    english = as_sentence(message)
    if current_language() == DEFAULT:
        return english
    known = _known(message)
    if known is not None:
        return translated(known) or check_this()
    found = translated(Msg(english))
    if found is not None:
        return found
    if message[:1].islower() or message != english:
        return check_this()  # the services' English words: never shown as they are
    return message  # written for a person already, in this language


class NewTicketForm(CheckedForm):
    customer_type = RadioField(
        _l("How did you buy our cloud services?"),
        choices=_choices(
            ("direct", _l("Directly from us (direct sales customer)")),
            ("reseller", _l("Through a reseller (reseller customer)")),
            ("partner", _l("I am a cloud partner")),
        ),
        validators=[Optional()],
    )
    real_name_auth = RadioField(
        _l("Has the account completed real-name authentication?"),
        choices=_choices(
            ("completed", _l("Yes, completed")), ("not_completed", _l("No, or I am not sure"))
        ),
        validators=[Optional()],
    )
    account_type = RadioField(
        _l("Is it an individual or an enterprise account?"),
        choices=_choices(("individual", _l("Individual")), ("enterprise", _l("Enterprise"))),
        validators=[DataRequired(REQUIRED)],
    )
    card_added = RadioField(
        _l("Is a credit card added to the account?"),
        choices=YES_NO,
        validators=[DataRequired(REQUIRED)],
    )
    payments_made = RadioField(
        _l(
            "Have payments been made from the account without a card "
            "(for example by bank transfer)?"
        ),
        choices=YES_NO,
        default="false",
        validators=[Optional()],
    )
    enterprise_in_china = RadioField(
        _l("Is the enterprise registered in the Chinese mainland?"),
        choices=YES_NO,
        validators=[Optional()],
    )
    account_name = StringField(
        _l("Account name (tenant name or login ID)"),
        validators=[
            DataRequired(_l("Tell us which account this is about.")),
            limited("account_name"),
        ],
    )
    contact_email = EmailField(
        _l("An email address you can read now"),
        validators=[
            DataRequired(_l("We need a way to reach you.")),
            Email(_l("Enter an email address like name@example.com.")),
            limited("contact_email"),
        ],
    )
    change_mobile = StringField(
        _l("New mobile number"), validators=[Optional(), limited("change.mobile")]
    )
    change_email = EmailField(
        _l("New email address"), validators=[Optional(), limited("change.email")]
    )
    restriction_reason = SelectField(
        _l("Why was the account restricted or frozen, if you know?"),
        choices=_choices(
            ("", _l("Choose if you know")),
            *((key, _l(words)) for key, words in RESTRICTION_REASONS.items()),
        ),
        validators=[Optional()],
    )
    description = TextAreaField(
        _l("Anything else we should know?"), validators=[Optional(), limited("description")]
    )
    # api.md "Evidence analysis": optional, as in TicketCreate.
    holder_name = StringField(
        _l("Your full name as it appears on your identity document (optional)"),
        validators=[Optional(), limited("holder_name")],
        render_kw={"autocomplete": "name", "spellcheck": "false"},
    )

    def payload(self, ticket_type: str) -> dict[str, Any]:
        """The API's creation body from the form's answers."""
        data: dict[str, Any] = {
            "type": ticket_type,
            "account_type": self.account_type.data,
            "card_added": self.card_added.data,
            "account_name": self.account_name.data,
            "contact_email": self.contact_email.data,
            "description": self.description.data,
            "holder_name": self.holder_name.data,
        }
        if ticket_type == "account_change":
            data |= {
                "customer_type": self.customer_type.data,
                "real_name_auth": self.real_name_auth.data,
                "payments_made": self.payments_made.data or "false",
                "change": {"mobile": self.change_mobile.data, "email": self.change_email.data},
            }
        else:
            data["restriction_reason"] = self.restriction_reason.data
        if self.account_type.data == "enterprise" and self.enterprise_in_china.data:
            data["enterprise_in_china"] = self.enterprise_in_china.data
        return data


# Service error keys → the form field they belong next to.
FIELD_FOR_ERROR = {
    "change": "change_mobile",
    "change.mobile": "change_mobile",
    "change.email": "change_email",
}


class UploadForm(CheckedForm):
    material = HiddenField(validators=[DataRequired(), limited("material")])
    files = MultipleFileField(_l("Choose files"), render_kw={"accept": ACCEPT_ATTRIBUTE})


class SubmitForm(CheckedForm):
    explanation = TextAreaField(
        _l("Why can't you provide the missing items?"),
        validators=[Optional(), limited("explanation")],
    )


class WithdrawForm(CheckedForm):
    """Only the CSRF token: withdrawing and forgetting the device ask nothing else."""


class InformationForm(CheckedForm):
    """The CSRF token; the information fields depend on the ticket's rule (see the template)."""


class ResumeForm(CheckedForm):
    reference = StringField(
        _l("Ticket reference"),
        validators=[DataRequired(_l("Type the ticket reference.")), limited("reference")],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    code = StringField(
        _l("Access code"),
        validators=[DataRequired(_l("Type the access code.")), limited("code")],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


def information_from_form(form: dict[str, str], keys: list[str]) -> dict[str, Any]:
    """The API's information body from the page's fields; only the fields that were sent,
    so a part of the form that was not shown changes nothing."""
    values: dict[str, Any] = {}
    for key in keys:
        if key == "contact_address":
            parts = {p: form.get(f"{key}.{p}") for p in ADDRESS_PARTS}
            if any(v is not None for v in parts.values()):
                values[key] = {p: (v or "").strip() for p, v in parts.items()}
        elif key in form:
            values[key] = form[key].strip()
    return values
