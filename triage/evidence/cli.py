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
@click.option(
    "--grace-minutes",
    type=click.IntRange(min=0),
    default=None,
    help="Leave objects younger than this (default: ORPHAN_GRACE_MINUTES).",
)
@click.option("--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
def sweep(grace_minutes: int | None, dry_run: bool) -> None:
    """Delete stored objects that no evidence row points to (beat runs this hourly as the
    job `triage.evidence.sweep_orphans`; this runs it now).

    Objects younger than the grace period are left alone: they may belong to an upload
    whose transaction has not committed yet.
    """
    minutes = (
        grace_minutes if grace_minutes is not None else current_app.config["ORPHAN_GRACE_MINUTES"]
    )
    store = current_app.extensions["evidence_store"]
    try:
        removed = sweep_orphans(store, timedelta(minutes=minutes), dry_run=dry_run)
    except StorageError as exc:
        raise click.ClickException(f"the evidence store failed: {exc}") from exc
    verb = "would delete" if dry_run else "deleted"
    for key in removed:
        click.echo(f"{verb} {key}")
    click.echo(f"{verb.capitalize()} {len(removed)} orphaned object(s).")


@evidence_cli.command("render-preview")
@click.argument("evidence_ids", nargs=-1, required=True)
def render_preview(evidence_ids: tuple[str, ...]) -> None:
    """Render the previews of evidence files now, in this process (what the Celery job
    `triage.previews.render` does on a worker; handy when no worker runs).

    Prints each file's preview status afterwards: ready, too_large, failed, pending
    (another process renders it), or unavailable (no such file, or the store failed).
    """
    from triage.review.previews import render_previews

    for evidence_id in evidence_ids:
        status = render_previews(evidence_id) if len(evidence_id) <= 32 else None
        click.echo(f"{evidence_id} {status or 'unavailable'}")
