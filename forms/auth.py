"""Reviewer sign-in."""

from __future__ import annotations

from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from forms.text import CheckedForm, limited


class SignInForm(CheckedForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), limited("email")],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), limited("password")],
        render_kw={"autocomplete": "current-password"},
    )


class SignOutForm(CheckedForm):
    pass
