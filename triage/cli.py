"""Command-line groups of every feature, registered on the app."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from triage.evidence.cli import evidence_cli
    from triage.reviewers.cli import reviewers_cli

    app.cli.add_command(evidence_cli)
    app.cli.add_command(reviewers_cli)
