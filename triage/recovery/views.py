"""The pages of triage.recovery. STUB: routes are added by the recovery work."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("recovery", __name__)
