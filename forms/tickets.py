"""Customer forms. Field names match the API's, so one service validates both faces."""

from __future__ import annotations

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

from forms.text import CheckedForm, limited
from triage.evidence.policy import ACCEPT_ATTRIBUTE
from triage.tickets.information import ADDRESS_PARTS
from triage.tickets.operations import RESTRICTION_REASONS

try:  # WTForms 3.3 deprecates plain tuples as choices
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms

    def SelectChoice(value: str, label: str) -> tuple[str, str]:
        return (value, label)


REQUIRED = _l("Please choose one.")


def _choices(*pairs: tuple[str, str]) -> list:
    return [SelectChoice(value, label) for value, label in pairs]


YES_NO = _choices(("true", _l("Yes")), ("false", _l("No")))


def sentence(message: str) -> str:
    """A service's "what is wrong" fragment as a sentence to show next to its field."""
    if message == "is required":
        return gettext("Please fill this in.")
    if message.startswith(("is ", "must ", "contains ")):
        message = f"This {message}"
    message = message[:1].upper() + message[1:]
    message = message if message.endswith((".", "?", "!", ")")) else f"{message}."
    return gettext(message)  # the catalog has the usual ones; others stay as they are


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
