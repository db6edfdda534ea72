"""Command-line groups of every feature, registered on the app."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from triage.accounts.cli import accounts_cli
    from triage.evidence.cli import evidence_cli
    from triage.retention.cli import retention_cli
    from triage.reviewers.cli import reviewers_cli

    app.cli.add_command(accounts_cli)
    app.cli.add_command(evidence_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(reviewers_cli)
