"""`flask reviewers ...`: reviewer accounts and API tokens."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from triage.errors import TriageError
from triage.extensions import db
from triage.reviewers import operations as ops
from triage.reviewers.models import ROLES

reviewers_cli = AppGroup("reviewers", help="Manage reviewer accounts.")


def _fail(exc: TriageError) -> None:
    db.session.rollback()
    fields = getattr(exc, "fields", {}) or {}
    details = "".join(f"\n  {name}: {problem}" for name, problem in fields.items())
    raise click.ClickException(exc.message + details)


@reviewers_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The reviewer's name, as colleagues know it.")
@click.option("--role", type=click.Choice(ROLES), default="reviewer", show_default=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
def create(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create a reviewer account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        reviewer = ops.create_reviewer(email, name, role, password)
    except TriageError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Created {reviewer.role} {reviewer.email} ({reviewer.name}).")


@reviewers_cli.command("token")
@click.argument("email")
def token(email: str) -> None:
    """Print a new API token for a reviewer, shown once: the token alone on standard output
    (so `TOKEN=$(flask reviewers token EMAIL)` holds just it), what it is on standard error."""
    try:
        reviewer, value = ops.issue_token(email)
    except TriageError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"API token for {reviewer.email}, shown only now:", err=True)
    click.echo(value)
