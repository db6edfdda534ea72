"""A request id on every request: in the response header and on every log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, has_request_context, request

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
log = logging.getLogger("triage.requests")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def register(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    for logger in (app.logger, logging.getLogger("triage")):
        if not any(isinstance(f, RequestIdFilter) for h in logger.handlers for f in h.filters):
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    app.logger.propagate = False

    def assign_request_id() -> None:
        # Keep the id a proxy sent, if it looks like one, so logs join up across services.
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    # First of all before-request functions: CSRF's check (registered with the extensions)
    # reads the body and may refuse it (400, 413) before any later function runs.
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)

    @app.after_request
    def log_request(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        if request.path.startswith("/static/"):
            return response
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        # The path only: query strings and bodies may carry personal data. A path holding a
        # secret (the owner's one-time `/not-me/<token>`, recovery.md) is logged as its rule.
        path = request.path
        if request.url_rule is not None and "token" in (request.view_args or {}):
            path = request.url_rule.rule
        log.info("%s %s %s %.1fms", request.method, path, response.status_code, elapsed)
        return response
