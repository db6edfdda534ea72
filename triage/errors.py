"""Domain errors, in one tree: each carries an api.md code, its HTTP status and a sentence
for a person.

`STATUS` is api.md's error table, once: every code the app answers with is a key, and an
error's status is read from it. Pure module (no Flask). The evidence store's own
`storage.StorageError` stays the store interface's error; the services turn it into
`StoreUnavailable` here.
"""

from __future__ import annotations

import math
import time
from typing import Any

STATUS = {
    "invalid_request": 400,
    "empty_file": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "invalid_state": 409,
    "requirements_not_met": 409,
    "file_too_large": 413,
    "unsupported_file_type": 415,
    "file_type_mismatch": 415,
    "unknown_material": 422,
    "password_protected": 422,
    "damaged_file": 422,
    "rate_limited": 429,
    "storage_unavailable": 503,
    "service_unavailable": 503,
}


class Msg(str):
    """A sentence with named values: `Msg("“%(name)s” is empty.", name=name)`.

    It *is* the English text (a `str`, formatted), so code and tests that compare messages
    see no difference; the error renderer (`triage.i18n.error_message`) looks up `template`
    in the catalog and formats the translation with `values`. A value that is itself a
    `Msg` (a file kind, an advice) is translated too; other values (a file name) are not.
    `Msg` is a Babel extraction keyword, so a literal template is extracted, and a
    `Msg("word")` without values marks vocabulary. Keep values out of the error's `extra`,
    which is the JSON envelope's.
    """

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Msg:
        text = template % values if values else template
        self = super().__new__(cls, text)
        self.template = template
        self.values = values
        return self


class TriageError(Exception):
    """The root of the app's domain errors; `to_json` is api.md's error envelope."""

    code = "invalid_request"

    def __init__(self, message: str, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries beside the envelope (none by default)."""
        return {}


class InvalidRequest(TriageError):
    code = "invalid_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message, fields=fields or {})
        self.fields = fields or {}


class NotFound(TriageError):
    code = "not_found"

    def __init__(self, message: str = "There is no such ticket, or you may not see it.") -> None:
        super().__init__(message)


class Unauthorized(TriageError):
    code = "unauthorized"


class Forbidden(TriageError):
    code = "forbidden"


class InvalidState(TriageError):
    code = "invalid_state"


class RequirementsNotMet(TriageError):
    code = "requirements_not_met"

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message, missing=missing)
        self.missing = missing


class UnknownMaterial(TriageError):
    code = "unknown_material"


def retry_after_seconds(reset_time: float) -> int:
    """Whole seconds from now until `reset_time` (a UNIX time), at least 1: the
    `Retry-After` (RFC 9110 §10.2.3) of a 429."""
    return max(1, math.ceil(reset_time - time.time()))


class RateLimited(TriageError):
    """Too many requests (`429`); `retry_after`: whole seconds until the limit that refused
    lets one through again (the answer's `Retry-After`, RFC 9110 §10.2.3), if known."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class ServiceUnavailable(TriageError):
    """The database did not answer in time; the message says whether anything was kept."""

    code = "service_unavailable"


class StoreUnavailable(TriageError):
    """The evidence store did not answer (`503`); the message says what was kept."""

    code = "storage_unavailable"


# The codes an upload may be refused with, one file at a time (api.md's error table).
FILE_REFUSAL_CODES = frozenset(
    {
        "invalid_request",
        "empty_file",
        "file_too_large",
        "unsupported_file_type",
        "file_type_mismatch",
        "password_protected",
        "damaged_file",
    }
)


class FileRefused(TriageError):
    """An upload we will not store; `message` is a sentence for the customer.

    Raised by the pure intake checks (`triage.evidence.checks`) and by the per-ticket caps.
    """

    def __init__(self, code: str, message: str) -> None:
        if code not in FILE_REFUSAL_CODES:
            raise ValueError(f"unknown refusal code: {code!r}")
        super().__init__(message, code)
