"""Reviewer accounts, passwords and API tokens. Services flush; the CLI or view commits."""

from __future__ import annotations

from functools import cache

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from triage.errors import InvalidRequest, NotFound
from triage.extensions import db
from triage.reviewers.models import ROLES, Reviewer, ReviewerToken
from triage.secrets import hash_token, new_api_token
from triage.tickets.information import clean_email, clean_text

MIN_PASSWORD_LENGTH = 12
# Werkzeug's scrypt default (N=2**15, r=8, p=1: about 100 ms a hash here), what production
# always uses. The test suite sets PASSWORD_HASH_METHOD to a cheaper scrypt (tests/conftest.py)
# so factories and sign-ins stay real hashing without costing 0.2 s a reviewer.
PASSWORD_HASH_METHOD = "scrypt:32768:8:1"


def password_hash_method() -> str:
    """The Werkzeug hash method for new passwords: config PASSWORD_HASH_METHOD, else the
    production default.

    Raises ConfigError when TRIAGE_ENV=production asks for anything but scrypt with every
    parameter (N, r, p) at least the default's: a weaker hash never reaches a real account.
    """
    method = current_app.config.get("PASSWORD_HASH_METHOD") or PASSWORD_HASH_METHOD
    if current_app.config.get("TRIAGE_ENV") == "production" and not _at_least_default(method):
        from config import ConfigError

        raise ConfigError(
            f"PASSWORD_HASH_METHOD={method!r} is weaker than {PASSWORD_HASH_METHOD!r}, "
            "which TRIAGE_ENV=production requires at least"
        )
    return method


def _at_least_default(method: str) -> bool:
    name, *params = method.split(":")
    _, *floor = PASSWORD_HASH_METHOD.split(":")
    if name != "scrypt" or len(params) not in (0, len(floor)):
        return False
    try:
        return all(int(p) >= int(f) for p, f in zip(params, floor, strict=False))
    except ValueError:
        return False


def normalise_email(email: str) -> str:
    return email.strip().lower()


def reviewer_by_email(email: str) -> Reviewer | None:
    return db.session.scalar(select(Reviewer).where(Reviewer.email == normalise_email(email)))


def active_reviewers() -> list[Reviewer]:
    return list(
        db.session.scalars(
            select(Reviewer).where(Reviewer.active.is_(True)).order_by(Reviewer.name, Reviewer.id)
        )
    )


def create_reviewer(email: str, name: str, role: str, password: str) -> Reviewer:
    """Add an account; InvalidRequest names every field that is wrong."""
    errors: dict[str, str] = {}
    try:
        email = normalise_email(clean_email(email))
    except ValueError as exc:
        errors["email"] = str(exc)
    try:
        name = clean_text(name)
        if not name:
            errors["name"] = "is required"
    except ValueError as exc:
        errors["name"] = str(exc)
    if role not in ROLES:
        errors["role"] = f"must be one of: {', '.join(ROLES)}"
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if "email" not in errors and reviewer_by_email(email) is not None:
        errors["email"] = "already belongs to a reviewer"
    if errors:
        raise InvalidRequest("The reviewer account was not created.", errors)
    reviewer = Reviewer(
        email=email,
        name=name,
        role=role,
        password_hash=generate_password_hash(password, method=password_hash_method()),
        active=True,
    )
    db.session.add(reviewer)
    db.session.flush()
    return reviewer


def issue_token(email: str) -> tuple[Reviewer, str]:
    """A new API token for the reviewer: returned once, stored only as its hash."""
    reviewer = reviewer_by_email(email)
    if reviewer is None:
        raise NotFound(f"No reviewer has the email address {email!r}.")
    token = new_api_token()
    reviewer.tokens.append(ReviewerToken(token_hash=hash_token(token)))
    db.session.flush()
    return reviewer, token


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not a password anybody has", method=method)


def authenticate(email: str, password: str) -> Reviewer | None:
    """The active reviewer these credentials open, or None.

    An unknown email costs the same scrypt work as a wrong password, so response times
    do not tell which accounts exist.
    """
    reviewer = reviewer_by_email(email)
    if reviewer is None:
        check_password_hash(_dummy_hash(password_hash_method()), password)
        return None
    if not check_password_hash(reviewer.password_hash, password) or not reviewer.active:
        return None
    return reviewer


def end_sessions(reviewer: Reviewer) -> None:
    """Revoke every session cookie of this reviewer, on every device (the caller commits).

    One conditional-free UPDATE, so two sign-outs at once both leave a higher epoch than
    any cookie carries; the user loader compares it on every request.
    """
    db.session.execute(
        update(Reviewer)
        .where(Reviewer.id == reviewer.id)
        .values(session_epoch=Reviewer.session_epoch + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(reviewer, ["session_epoch"])
