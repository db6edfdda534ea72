"""Security headers on every response, the customer's access to tickets, token guessing."""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, request, session
from flask_limiter.util import get_remote_address
from limits import parse_many
from werkzeug.middleware.proxy_fix import ProxyFix

from triage.errors import RateLimited, retry_after_seconds
from triage.extensions import limiter
from triage.grants import operations as grants
from triage.tickets.models import Ticket

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
        hsts = app.config.get("HSTS_SECONDS")
        if hsts:  # production only (config): browsers then refuse plain HTTP for a year
            response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
        if request.endpoint and not request.path.startswith("/static/"):
            # Pages show personal data: never keep them in shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _grants() -> dict[str, str]:
    held = session.get("tickets")
    # Cookies from before revocable grants held a plain list: they open nothing now.
    return dict(held) if isinstance(held, dict) else {}


def grant_ticket(ticket: Ticket, show_code: str | None = None) -> None:
    """Let this browser open `ticket` until "forget this device" or the session ends.

    Adds a server-side grant (the caller commits) and keeps only its random token in the
    session; `show_code` is a new ticket's access code for `new_ticket_code`, never put in
    the cookie.
    """
    held = _grants()
    if show_code is not None:
        grants.drop_codes(list(held.values()))
    if ticket.reference in held:  # typed the code again: the older grant is not needed
        grants.revoke_grants([held[ticket.reference]])
    held[ticket.reference] = grants.open_grant(ticket, show_code)
    session["tickets"] = held


def held_ticket(reference: str) -> Ticket | None:
    """The ticket `reference` (upper case) if this browser's grant still opens it, else None
    (one SELECT: `grants.granted_ticket`)."""
    token = _grants().get(reference)
    return None if token is None else grants.granted_ticket(token, reference)


def new_ticket_code(reference: str) -> str | None:
    """The access code of the ticket this browser just created, once (the caller commits)."""
    token = _grants().get(reference)
    return grants.take_code(token, reference) if token else None


def forget_ticket(reference: str) -> None:
    """End this browser's access to `reference` on the server too (the caller commits)."""
    held = _grants()
    token = held.pop(reference, None)
    if token:
        grants.revoke_grants([token])
    session["tickets"] = held


def forget_all_tickets() -> None:
    """End every ticket grant this browser holds (before its session is cleared)."""
    grants.revoke_grants(list(_grants().values()))
    session.pop("tickets", None)


# Failed reviewer API-token lookups per client address (security.md, "State, text and
# load"). A token has 256 bits, so this is not what keeps it safe; it stops a client from
# hammering the token table and keeps the logs readable.
TOKEN_GUESSES = parse_many("20 per minute; 100 per hour")
_TOKEN_SCOPE = "reviewer-token"


def _counting() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED")) and limiter.enabled


def refuse_token_guessing() -> None:
    """Raise RateLimited (429) once this address has used up its failed token lookups.

    Counts live in Flask-Limiter's storage (Redis in production), so every worker shares
    them; only failures are counted (`count_failed_token`), a reviewer who sends a good
    token is never slowed unless the address was already guessing.
    """
    if _counting():
        address = get_remote_address()
        for item in TOKEN_GUESSES:
            if not limiter.limiter.test(item, _TOKEN_SCOPE, address):
                reset = limiter.limiter.get_window_stats(item, _TOKEN_SCOPE, address).reset_time
                raise RateLimited(
                    "Too many requests with a token that is not valid. Wait a minute and "
                    "try again with a reviewer's API token.",
                    retry_after=retry_after_seconds(reset),
                )


def count_failed_token() -> None:
    """Count one failed reviewer token lookup against this client address."""
    if _counting():
        address = get_remote_address()
        for item in TOKEN_GUESSES:
            limiter.limiter.hit(item, _TOKEN_SCOPE, address)
