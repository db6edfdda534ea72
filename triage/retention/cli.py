"""`flask retention purge [--dry-run]`: the retention purge, now, in this process."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from triage.retention.operations import purge_expired, retention_days

retention_cli = AppGroup("retention", help="Keep identity documents no longer than needed.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
def purge(dry_run: bool) -> None:
    """Delete the evidence objects (and previews) of tickets decided or withdrawn more than
    RETENTION_DAYS ago and not under a legal hold; the rows stay, marked purged (beat runs
    this hourly as the job `triage.retention.purge`; this runs it now).

    Also finishes purges a crash or a store failure interrupted. Exits 1 when the store
    failed for some ticket (the next run resumes it).
    """
    report = purge_expired(current_app.extensions["evidence_store"], dry_run=dry_run)
    days = retention_days()
    if dry_run:
        for reference, count in report.resumed.items():
            click.echo(f"would finish {reference} ({count} file(s))")
        for reference, count in report.due.items():
            click.echo(f"would purge {reference} ({count} file(s))")
        click.echo(
            f"Would purge {len(report.due)} ticket(s) closed more than {days} day(s) ago"
            f" and finish {len(report.resumed)}."
        )
        return
    for reference, count in report.resumed.items():
        click.echo(f"finished {reference} ({count} file(s))")
    for reference, count in report.purged.items():
        click.echo(f"purged {reference} ({count} file(s))")
    for reference in report.skipped:
        click.echo(f"skipped {reference} (held or changed meanwhile)")
    click.echo(
        f"Purged {len(report.purged)} ticket(s) closed more than {days} day(s) ago, "
        f"finished {len(report.resumed)}; {report.objects_deleted} object(s) deleted."
    )
    if report.failed:
        for reference, why in report.failed.items():
            click.echo(f"failed {reference}: {why}", err=True)
        raise click.ClickException(
            f"the evidence store failed for {len(report.failed)} ticket(s); run it again later"
        )
