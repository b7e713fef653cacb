"""The domain's error hierarchy.

Services and pure rules raise these; `register_error_handlers` (in `web_errors.py`)
is the one place that maps them to HTTP: French HTML pages, or the JSON
`{"error": {"code", "message", "fields"}}`.
Messages are lazy-translatable strings or plain text already translated by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """Base of every error a use case may raise on purpose."""

    code = "error"
    status = 400

    def __init__(self, message: str = "", fields: Mapping[str, Sequence[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = {k: list(v) for k, v in (fields or {}).items()}


class ValidationFailed(DomainError):
    """Shape or type is wrong (schema level): 422 with field messages."""

    code = "validation_error"
    status = 422


class RuleViolation(DomainError):
    """A business invariant does not hold (for example an end date before the start)."""

    code = "validation_error"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    """A stale version or a concurrent change: never a silent overwrite."""

    code = "conflict"
    status = 409


class InvalidTransition(DomainError):
    """The lifecycle does not allow this action in the current state."""

    code = "invalid_transition"
    status = 409


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429


class UnreadableInput(DomainError):
    """The request carries what no field can hold (NUL bytes, lone surrogates, JSON nested too deep):
    refused at the door with a 400, before any view or database sees it."""

    code = "validation_error"
    status = 400
