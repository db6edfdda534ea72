"""Reviewer forms. Field names match the API's bodies; the services validate the rules."""

from __future__ import annotations

from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Optional, ValidationError

from forms.text import CheckedForm, limited
from triage.evidence.reasons import REASON_LABELS
from triage.requirements import MATERIALS, TICKET_TYPES
from triage.text import excerpt
from triage.tickets.flags import FLAG_WORDS

TYPE_WORDS = {"account_change": "Account change", "unfreeze": "Unfreeze"}


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


TYPE_CHOICES = [(t, TYPE_WORDS[t]) for t in TICKET_TYPES]


class ClaimForm(CheckedForm):
    type = SelectField(
        "Queue", choices=_choices([("", "Any type"), *TYPE_CHOICES]), validators=[Optional()]
    )


class QueueFilterForm(CheckedForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    type = SelectField(
        "Type", choices=_choices([("", "All types"), *TYPE_CHOICES]), validators=[Optional()]
    )
    flag = SelectField(
        "Flag", choices=_choices([("", "Any flag"), *FLAG_WORDS.items()]), validators=[Optional()]
    )


class ActionForm(CheckedForm):
    """A button with nothing but its CSRF token (release)."""


class EvidenceReviewForm(CheckedForm):
    decision = RadioField(
        "Decision",
        choices=_choices([("accepted", "Accept"), ("rejected", "Reject")]),
        validators=[DataRequired("Choose accept or reject.")],
    )
    reason = SelectField(
        "Reason for rejecting",
        choices=_choices([("", "Choose a reason when rejecting"), *REASON_LABELS.items()]),
        validators=[Optional()],
    )
    note = TextAreaField(
        "Note to the customer (optional; required for “Other”)",
        validators=[Optional(), limited("note")],
    )


class MaterialsField(SelectMultipleField):
    """WTForms' own refusal quotes every unknown value whole; a tampered post could make
    the page repeat kilobytes of it (security.md: client input is quoted in excerpts)."""

    def pre_validate(self, form) -> None:
        known = {str(choice[0]) for choice in self.iter_choices()}
        unknown = [str(value) for value in self.data or () if str(value) not in known]
        if unknown:
            raise ValidationError(f"Not a material of the list: {excerpt(', '.join(unknown))}")


class RequestMaterialsForm(CheckedForm):
    materials = MaterialsField(
        "What do you need?",
        choices=_choices((key, m.label) for key, m in MATERIALS.items()),
        validators=[DataRequired("Choose at least one item.")],
    )
    message = TextAreaField(
        "Message to the customer (they read exactly this)",
        validators=[DataRequired("Write what you need and why."), limited("message")],
    )


class DecisionForm(CheckedForm):
    decision = RadioField(
        "Decision",
        choices=_choices([("approved", "Approve"), ("rejected", "Reject")]),
        validators=[DataRequired("Choose approve or reject.")],
    )
    note = TextAreaField(
        "Note to the customer (required to reject)", validators=[Optional(), limited("note")]
    )
    # The "Save and take next" button sends then=next: after the decision, claim the next
    # ticket of the queue and open it.
    then = StringField(validators=[Optional(), AnyOf(["next"])])


class ReassignForm(CheckedForm):
    reviewer = SelectField("Give to", choices=[], validators=[DataRequired()])


class SecondApprovalForm(CheckedForm):
    """A lead's second approval (recovery.md): the two buttons carry the decision."""

    decision = RadioField(
        "Second approval",
        choices=_choices([("approved", "Give the second approval"), ("rejected", "Refuse")]),
        validators=[DataRequired("Choose to approve or to refuse.")],
    )
    note = TextAreaField(
        "Note for reviewers (required to refuse: the first approver reads it)",
        validators=[Optional(), limited("note")],
    )


class DisputedDecisionForm(CheckedForm):
    """A lead decides a disputed ticket again (recovery.md): a note either way."""

    decision = RadioField(
        "Decision on the disputed ticket",
        choices=_choices(
            [
                ("approved", "Approve (another lead gives the second approval)"),
                ("rejected", "Reject"),
            ]
        ),
        validators=[DataRequired("Choose approve or reject.")],
    )
    note = TextAreaField(
        "Note to the customer (required either way)",
        validators=[DataRequired("Write why: a note is required either way."), limited("note")],
    )
