"""Every error answers in the caller's language: JSON under /api/, a page elsewhere."""

from __future__ import annotations

from contextlib import suppress

from flask import Flask, Response, g, has_request_context, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from triage.errors import STATUS, Msg, ServiceUnavailable, TriageError, retry_after_seconds
from triage.evidence.checks import FileRefused
from triage.evidence.policy import MAX_FILE_BYTES, format_size
from triage.extensions import db, limiter
from triage.i18n import error_message

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
    413: Msg(
        "The upload is too large. Each file may be at most %(limit)s (%(bytes)s bytes); send "
        "files one at a time.",
        limit=format_size(MAX_FILE_BYTES),
        bytes=f"{MAX_FILE_BYTES:,}",
    ),
    429: "Too many attempts in a short time. Please wait a minute and try again.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(
    code: str, message: str, status: int, headers: dict[str, str] | None = None, **extra
) -> tuple[Response | str, int] | tuple[Response | str, int, dict[str, str]]:
    # Translated here, at the edge, so no raise site needs to know the language; the code
    # is never translated (api.md, "Languages").
    message = error_message(code, message)
    if wants_json():
        body: Response | str = jsonify({"error": {"code": code, "message": message, **extra}})
    else:
        body = _page(status, message)
    return (body, status, headers) if headers else (body, status)


def _page(status: int, message: str) -> str:
    try:
        return render_template("errors/error.html", status=status, message=message)
    except SQLAlchemyError:
        # The layout names the signed-in reviewer, which needs the database that has just
        # failed: say the same thing on a bare page rather than answer a second error.
        return (
            f"<!doctype html><html lang=en><meta charset=utf-8><title>Error {status}</title>"
            f"<h1>Sorry</h1><p>{escape(message)}</p></html>"
        )


_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _note_commit(session: Session) -> None:
    # A request may commit part of its work (one upload of several) before the database
    # stops answering; the 503 then must not claim that nothing was kept.
    if has_request_context():
        g.database_committed = True


def _kept() -> Msg:
    """Whether what the caller sent was kept: true because a failed request's transaction is
    rolled back and its stored objects deleted (triage.evidence.operations), unless the
    request had already committed part of its work."""
    if request.method not in _WRITES:
        return Msg("Nothing was changed. Please try again in a minute.")
    if g.get("database_committed"):
        return Msg(
            "Part of what you sent was saved before that happened: reload the page to see "
            "what was kept, then send the rest again in a minute."
        )
    return Msg("Nothing you sent was saved. Please send it again in a minute.")


def database_unavailable() -> ServiceUnavailable:
    """The 503 for a database that refused, timed out or ran out of connections.

    The message says what happened and, for a write, whether any of it was kept
    (api.md: "the message says so honestly"; security.md, "State, text and load").
    """
    return ServiceUnavailable(Msg("Our database did not answer in time. %(kept)s", kept=_kept()))


def _retry_after() -> str:
    """Seconds until the Flask-Limiter limit that refused this request lets one through
    again. Worked out only on a 429: the limiter adds no headers to other answers. (Its
    `reset_at` is a second past the window's end, so the window's own end is used.)"""
    current = limiter.current_limit
    if current is None:
        return "60"
    return str(retry_after_seconds(current.window[0]))


def register(app: Flask) -> None:
    @app.errorhandler(TriageError)
    def triage_error(exc: TriageError):
        return error_response(exc.code, exc.message, exc.status, exc.headers(), **exc.extra)

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
        # Keep the exception's own headers: `Allow` on 405 (RFC 9110 §15.5.6), and the
        # like; the body is ours, so its length and type are not.
        headers = {
            name: value
            for name, value in exc.get_headers()
            if name.lower() not in {"content-type", "content-length"}
        }
        if status == 429:
            headers.setdefault("Retry-After", _retry_after())
        return error_response(code, message, status, headers)

    if not event.contains(Session, "after_commit", _note_commit):
        event.listen(Session, "after_commit", _note_commit)

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def database_error(exc: Exception):
        app.logger.warning("database unavailable: %s", str(exc).splitlines()[0])
        with suppress(SQLAlchemyError):
            db.session.rollback()  # the failed transaction must not poison the error page
        error = database_unavailable()
        return error_response(error.code, error.message, error.status, {"Retry-After": "30"})

    @app.errorhandler(500)
    def server_error(exc: Exception):
        message = Msg("Something went wrong on our side. %(kept)s", kept=_kept())
        return error_response("server_error", message, 500)

    assert set(_HTTP_CODES.values()) <= set(STATUS)
