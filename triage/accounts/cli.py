"""`flask accounts ...`. STUB: filled in by the accounts work."""

from __future__ import annotations

from flask.cli import AppGroup

accounts_cli = AppGroup("accounts", help="Accounts of record (recovery.md).")
