"""Baseline endpoints for `python -m benchmarks`: registered only with BENCH_ENDPOINTS.

`POST /api/v1/bench/bare-upload` writes the uploaded bytes to the app's evidence store
exactly as an upload would (same store, same SHA-256 the store insists on) and does
nothing else: no ticket, no checks, no database row. `POST /api/v1/bench/bare-upload-row`
does the same plus one INSERT of the evidence row and a commit: the floor of an upload
that records what it stored. The upload benchmark compares
the real upload path against it, so the ratio is the cost of everything the real
path adds on top of moving the bytes.

`GET /api/v1/bench/db` is one trivial round trip to the database through the app's
session, committed: the floor under any endpoint that reads the database, which the
queue benchmark measures its listing and claim against.

Never in production: `config.load_config` refuses BENCH_ENDPOINTS there, and the
blueprint refuses to be registered on such an app all the same.
"""

from __future__ import annotations

import hashlib
from uuid import uuid4

from flask import Blueprint, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy import text

from storage import new_key
from triage.errors import InvalidRequest
from triage.extensions import db
from triage.timeutil import utcnow

bp = Blueprint("bench", __name__, url_prefix="/api/v1/bench")


@bp.record_once
def _refuse_production(state: BlueprintSetupState) -> None:
    if state.app.config.get("TRIAGE_ENV") == "production":
        raise RuntimeError("the benchmark endpoints must never be registered in production")


@bp.post("/bare-upload")
def bare_upload() -> tuple[Response, int]:
    file = request.files.get("file")
    if file is None:
        raise InvalidRequest("Send the file as multipart/form-data.", {"file": "is required"})
    data = file.read()
    sha256 = hashlib.sha256(data).hexdigest()
    key = new_key(uuid4().hex)
    current_app.extensions["evidence_store"].save(
        key, data, content_type="application/octet-stream", sha256_hex=sha256
    )
    return jsonify({"key": key, "size": len(data), "sha256": sha256}), 201


@bp.post("/bare-upload-row")
def bare_upload_row() -> tuple[Response, int]:
    """The bare upload, plus one INSERT of its evidence row and a commit.

    The floor under a transactional upload: the same bytes saved the same way, and the
    row recorded for the ticket `reference` (form field) in one statement, with no lookup,
    no lock, no checks, no history and no totals.
    """
    file = request.files.get("file")
    reference = request.form.get("reference", "")
    if file is None or not reference:
        raise InvalidRequest("Send the file and the ticket's reference.", {"file": "is required"})
    data = file.read()
    sha256 = hashlib.sha256(data).hexdigest()
    key = new_key(uuid4().hex)
    current_app.extensions["evidence_store"].save(
        key, data, content_type="application/octet-stream", sha256_hex=sha256
    )
    db.session.execute(
        text(
            "INSERT INTO evidence (id, ticket_id, material, filename, size, content_type, "
            "sha256, storage_key, warnings, uploaded_at) SELECT :id, id, 'bench', 'bench', "
            ":size, 'application/octet-stream', :sha256, :key, :warnings, :now FROM tickets "
            "WHERE reference = :reference"
        ),
        {
            "id": uuid4().hex,
            "size": len(data),
            "sha256": sha256,
            "key": key,
            "warnings": "[]",
            "now": utcnow(),
            "reference": reference,
        },
    )
    db.session.commit()
    return jsonify({"key": key, "size": len(data), "sha256": sha256}), 201


@bp.get("/db")
def database_round_trip() -> Response:
    one = db.session.execute(text("SELECT 1")).scalar_one()
    db.session.commit()
    return jsonify({"database": one})
