"""`flask reviewers create` and `flask reviewers token`."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash

from triage.extensions import db
from triage.reviewers.models import Reviewer, ReviewerToken


def _create(runner, email="ann@example.com", role="lead", password="a long passphrase"):
    return runner.invoke(
        args=[
            "reviewers",
            "create",
            email,
            "--name",
            "Ann Lee",
            "--role",
            role,
            "--password-stdin",
        ],
        input=password + "\n",
    )


def test_create_a_reviewer_with_a_hashed_password(runner, app):
    result = _create(runner, email="Ann@Example.com")
    assert result.exit_code == 0, result.output
    assert "Created lead ann@example.com (Ann Lee)." in result.output
    with app.app_context():
        reviewer = db.session.scalar(select(Reviewer).where(Reviewer.email == "ann@example.com"))
    assert reviewer.role == "lead" and reviewer.active
    assert reviewer.password_hash.startswith("scrypt:")
    assert check_password_hash(reviewer.password_hash, "a long passphrase")
    assert "a long passphrase" not in reviewer.password_hash


def test_create_refuses_bad_input(runner, app):
    assert _create(runner).exit_code == 0
    result = _create(runner)
    assert result.exit_code == 1
    assert "email: already belongs to a reviewer" in result.output
    result = _create(runner, email="bob@example.com", password="short")
    assert result.exit_code == 1
    assert "password: must be at least 12 characters" in result.output
    result = _create(runner, email="not-an-email")
    assert result.exit_code == 1
    assert "email: is not a valid email address" in result.output
    result = _create(runner, email="carl@example.com", role="admin")
    assert result.exit_code == 2
    assert "'admin' is not one of 'reviewer', 'lead'" in result.output
    with app.app_context():
        assert (
            db.session.scalar(select(Reviewer.email).where(Reviewer.email != "ann@example.com"))
            is None
        )


def test_token_prints_a_new_token_that_opens_the_reviewer_api(runner, client, app):
    _create(runner, role="reviewer")
    result = runner.invoke(args=["reviewers", "token", "ann@example.com"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()  # the token alone: TOKEN=$(flask reviewers token …)
    assert token.startswith("rvw_") and len(token) > 40 and " " not in token
    assert "shown only now" in result.stderr
    response = client.get("/api/v1/queue", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json["items"] == []
    # Stored only as a hash.
    with app.app_context():
        stored = db.session.scalars(select(ReviewerToken.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0]
    # A second token is a different one, and both work.
    second = runner.invoke(args=["reviewers", "token", "ann@example.com"]).output.split()[-1]
    assert second != token
    for value in (token, second):
        assert (
            client.get("/api/v1/queue", headers={"Authorization": f"Bearer {value}"}).status_code
            == 200
        )


def test_token_for_an_unknown_reviewer_fails(runner):
    result = runner.invoke(args=["reviewers", "token", "nobody@example.com"])
    assert result.exit_code == 1
    assert "No reviewer has the email address" in result.output
