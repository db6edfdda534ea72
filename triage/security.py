"""Security headers on every response, and the customer's access held in the session."""

from __future__ import annotations

from flask import Flask, Response, abort, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

# Pages load only our own scripts and styles; evidence is framed only by our review page.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; frame-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def register(app: Flask) -> None:
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    @app.before_request
    def refuse_huge_bodies() -> None:
        # Answer 413 from the declared length alone, before any view reads a byte of it.
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and request.content_length and request.content_length > limit:
            abort(413)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=()")
        if request.endpoint and not request.path.startswith("/static/"):
            # Pages show personal data: never keep them in shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def grant_ticket(reference: str) -> None:
    """Let this browser open the ticket until the browser session ends."""
    held = set(session.get("tickets", []))
    held.add(reference)
    session["tickets"] = sorted(held)


def holds_ticket(reference: str) -> bool:
    return reference in session.get("tickets", [])


def forget_ticket(reference: str) -> None:
    session["tickets"] = [r for r in session.get("tickets", []) if r != reference]
