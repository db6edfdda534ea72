"""`flask reviewers ...`: reviewer accounts and API tokens."""

from flask.cli import AppGroup

reviewers_cli = AppGroup("reviewers", help="Manage reviewer accounts.")
