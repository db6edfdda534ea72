"""Reviewer sign-in and sign-out pages.

Failed sign-ins are throttled twice: per client address, and per account (the email
typed), so neither one address trying many accounts nor many addresses trying one
account gets far. Only failures count; a reviewer who signs in at once is never slowed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from forms.auth import SignInForm, SignOutForm
from triage.extensions import db, limiter
from triage.reviewers.operations import authenticate, end_sessions, normalise_email
from triage.security import forget_all_tickets

bp = Blueprint("auth", __name__)

FAILED = "Those details do not match an active reviewer account. Check them and try again."


def _failed(response) -> bool:
    return response.status_code == 401  # wrong credentials; not a form or CSRF error


def _fresh_session() -> None:
    """Nothing from before (customer grants, the old CSRF token) carries over.

    Customer grants are ended on the server too, so a copy of the old cookie opens no
    ticket; the caller commits.
    """
    forget_all_tickets()
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the token of the session just cleared


def _account_key() -> str:
    return "sign-in:" + normalise_email(request.form.get("email", ""))[:254]


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would make a fine phishing link."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for("review.queue")


@bp.route("/review/sign-in", methods=["GET", "POST"])
@limiter.limit("5 per minute; 30 per hour", methods=["POST"], deduct_when=_failed)
@limiter.limit("10 per hour", methods=["POST"], key_func=_account_key, deduct_when=_failed)
def sign_in():
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        reviewer = authenticate(form.email.data, form.password.data)
        if reviewer is not None:
            next_url = _safe_next(request.args.get("next"))
            _fresh_session()
            login_user(reviewer)
            db.session.commit()
            return redirect(next_url)
        form.password.errors = [FAILED]
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/sign_in.html", form=form), status


@bp.post("/review/sign-out")
def sign_out():
    if not SignOutForm().validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        # Ends this reviewer's sessions on the server: a saved copy of the cookie (or
        # another device still signed in) no longer opens the queue.
        end_sessions(current_user._get_current_object())
    logout_user()
    _fresh_session()
    db.session.commit()
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"))
