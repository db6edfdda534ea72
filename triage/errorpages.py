"""Every error answers in the caller's language: JSON under /api/, a page elsewhere."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from triage.errors import STATUS, TriageError
from triage.evidence.checks import FileRefused

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "invalid_request",
    413: "file_too_large",
    429: "rate_limited",
}
_HTTP_WORDS = {
    404: "There is nothing here. If you followed a link to a ticket, open it again with "
    "its reference and access code.",
    405: "This address does not accept that kind of request.",
    413: "The upload is too large. Each file may be at most 5 MB (5,242,880 bytes); "
    "send files one at a time.",
    429: "Too many attempts in a short time. Please wait a minute and try again.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(code: str, message: str, status: int, **extra) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify({"error": {"code": code, "message": message, **extra}}), status
    return render_template("errors/error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(TriageError)
    def triage_error(exc: TriageError):
        return error_response(exc.code, exc.message, exc.status, **exc.extra)

    @app.errorhandler(FileRefused)
    def file_refused(exc: FileRefused):
        return error_response(exc.code, exc.message, exc.status)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            "invalid_request",
            "This form has expired or was sent from another site, so nothing was changed. "
            "Go back, reload the page and send it again.",
            400,
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "invalid_request" if status < 500 else "server_error")
        message = _HTTP_WORDS.get(status) or exc.description or "Something went wrong."
        return error_response(code, message, status)

    @app.errorhandler(500)
    def server_error(exc: Exception):
        return error_response(
            "server_error",
            "Something went wrong on our side. Nothing you sent was lost "
            "unless this page says so; please try again.",
            500,
        )

    assert set(_HTTP_CODES.values()) <= set(STATUS)
