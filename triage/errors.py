"""Domain errors: each carries the api.md code, its HTTP status and a sentence for a person."""

from __future__ import annotations

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
    "rate_limited": 429,
    "storage_unavailable": 503,
    "service_unavailable": 503,
}


class TriageError(Exception):
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


class RateLimited(TriageError):
    code = "rate_limited"


class ServiceUnavailable(TriageError):
    """The database did not answer in time; the message says whether anything was kept."""

    code = "service_unavailable"
