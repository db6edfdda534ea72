"""`flask accounts ...`: the table backend of the account directory (recovery.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from triage.accounts.importing import ImportRefused, import_file
from triage.accounts.records import RECORD_KEYS
from triage.extensions import db

accounts_cli = AppGroup("accounts", help="Accounts of record (recovery.md).")
SHOWN_ERRORS = 100  # a file wrong on every line still gets a readable answer


@accounts_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Load account records from FILE into the directory table.

    FILE is a CSV whose header names the columns, or JSON Lines (one object a line),
    told apart by the extension (.csv; .jsonl, .ndjson, .json) or else by the content.
    Columns: account_name (required), customer_type, real_name_auth, account_type,
    card_added, payments_made, enterprise_in_china, email, mobile, card_last4. Importing
    again updates records by account_name. A file with any bad row imports nothing.
    """
    try:
        result = import_file(file)
    except ImportRefused as exc:
        db.session.rollback()
        for error in exc.errors[:SHOWN_ERRORS]:
            click.echo(f"{file.name}: {error}", err=True)
        if len(exc.errors) > SHOWN_ERRORS:
            click.echo(f"... and {len(exc.errors) - SHOWN_ERRORS} more problem(s)", err=True)
        raise click.ClickException(
            f"{len(exc.errors)} problem(s) in {file.name}: nothing was imported. "
            f"The columns are: {', '.join(RECORD_KEYS)}."
        ) from None
    db.session.commit()
    click.echo(
        f"Imported {result.total} account record(s) from {file.name}: "
        f"{result.created} new, {result.updated} updated, {result.unchanged} unchanged."
    )
