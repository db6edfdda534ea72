"""Liveness and readiness for the load balancer.

`/healthz`: the process answers. `/readyz`: the database answers and the evidence store
accepts a write (a tiny object written and deleted, security.md "Storing it"): a store
that answers but refuses uploads is not ready. The store's answer is kept for
`STORE_CHECK_SECONDS` per process, so a load balancer probing every second does not
write an object a second per worker.
"""

from __future__ import annotations

import threading
import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from storage import StorageError
from triage.extensions import db

bp = Blueprint("health", __name__)

STORE_CHECK_SECONDS = 5.0
_store_lock = threading.Lock()
_ANSWER = "readyz_store_answer"  # app.extensions key: (monotonic time, answer)


def store_status() -> str:
    """ "ok" or "error: <why>", from a write probe at most STORE_CHECK_SECONDS old.

    One probe at a time per process: concurrent readiness requests wait for it (it is
    bounded by the store's timeouts, storage/s3.py) and share its answer.
    """
    extensions = current_app.extensions
    with _store_lock:
        cached = extensions.get(_ANSWER)
        if cached is not None and time.monotonic() - cached[0] < STORE_CHECK_SECONDS:
            return cached[1]
        try:
            extensions["evidence_store"].check()
            answer = "ok"
        except StorageError as exc:
            answer = f"error: {exc}"
        extensions[_ANSWER] = (time.monotonic(), answer)
        return answer


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    checks["evidence_store"] = store_status()
    ready = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), (
        200 if ready else 503
    )
