"""The background jobs of triage.accounts. STUB: tasks are added by the accounts work."""

from __future__ import annotations
