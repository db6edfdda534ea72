"""The background jobs of triage.recovery. STUB: tasks are added by the recovery work."""

from __future__ import annotations
