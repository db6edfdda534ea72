"""The page "Send me a new private link" (`/tickets/resend-link`): a CSRF-protected form
of reference and contact address; the same answer whatever was typed."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length

from triage.notifications import resend

bp = Blueprint("notifications", __name__)


class ResendLinkForm(FlaskForm):
    reference = StringField(
        _l("Ticket reference"),
        validators=[DataRequired(_l("Type the ticket reference.")), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    contact_email = EmailField(
        _l("Email address you gave on the ticket"),
        validators=[DataRequired(_l("Type the email address you gave.")), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


@bp.route("/tickets/resend-link", methods=["GET", "POST"])
@resend.per_client
@resend.per_reference
@resend.per_address
def resend_link():
    form = ResendLinkForm(reference=request.args.get("reference", ""))
    if form.validate_on_submit():
        resend.request_new_link(form.reference.data, form.contact_email.data)
        return (
            render_template(
                "notifications/resend_link.html", form=None, message=resend.ACCEPTED_MESSAGE
            ),
            202,
        )
    status = 400 if request.method == "POST" else 200
    return render_template("notifications/resend_link.html", form=form, message=None), status
