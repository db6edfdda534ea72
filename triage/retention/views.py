"""The pages of triage.retention. STUB: routes are added by the retention work."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("retention", __name__)
