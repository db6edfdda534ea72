"""`flask evidence ...`: maintenance of the evidence store."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from storage import StorageError
from triage.evidence.operations import sweep_orphans

evidence_cli = AppGroup("evidence", help="Maintain the evidence store.")


@evidence_cli.command("sweep")
@click.option("--grace-minutes", type=click.IntRange(min=0), default=None,
              help="Leave objects younger than this (default: ORPHAN_GRACE_MINUTES).")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
def sweep(grace_minutes: int | None, dry_run: bool) -> None:
    """Delete stored objects that no evidence row points to.

    Objects younger than the grace period are left alone: they may belong to an upload
    whose transaction has not committed yet.
    """
    minutes = grace_minutes if grace_minutes is not None else current_app.config[
        "ORPHAN_GRACE_MINUTES"]
    store = current_app.extensions["evidence_store"]
    try:
        removed = sweep_orphans(store, timedelta(minutes=minutes), dry_run=dry_run)
    except StorageError as exc:
        raise click.ClickException(f"the evidence store failed: {exc}") from exc
    verb = "would delete" if dry_run else "deleted"
    for key in removed:
        click.echo(f"{verb} {key}")
    click.echo(f"{verb.capitalize()} {len(removed)} orphaned object(s).")
