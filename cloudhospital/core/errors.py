"""Domain errors: what actions raise, and the 4xx answer each becomes at the edge."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "invalid_input"

    def __init__(self, message: str, **extra):
        # Messages are people-facing: raised as gettext(...) (or a lazy translation, made
        # text here) in the language of the request that raised them.
        message = str(message)
        super().__init__(message)
        self.message = message
        self.extra = extra


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class NotAllowed(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"
