"""The background jobs of triage.retention. STUB: tasks are added by the retention work."""

from __future__ import annotations
