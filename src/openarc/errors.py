"""The one exception family of OpenArc.  No HTTP in here.

    OpenArcError
    ├── Unauthenticated   missing, unknown or revoked API key
    ├── NotFound          no such object for this merchant (another merchant's objects included)
    ├── BadRequest        a request that cannot be understood (malformed id, bad include…)
    │   └── RequestTimeout  its body did not arrive in time
    ├── Invalid           field-level validation failures: {field: [message, …]}
    ├── Conflict          a business rule refused the request (used token, over-refund…)
    ├── Declined          the card's issuer declined a charge; ``data`` says how (the charge is kept)
    ├── TooLarge          a body over the configured limit
    ├── UnsupportedMediaType  a body in an encoding OpenArc does not read
    └── TooManyRequests   over the per-key rate limit; ``retry_after`` seconds to wait

Services raise these; each front door (``api``, ``dashboard``, ``cli``) maps them
once, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


class OpenArcError(Exception):
    """Base of every error OpenArc raises on purpose."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(OpenArcError):
    def __init__(self, message: str = "Unauthenticated.") -> None:
        super().__init__(message)


class NotFound(OpenArcError):
    def __init__(self, message: str = "The requested Resource was not found.") -> None:
        super().__init__(message)


class BadRequest(OpenArcError):
    pass


class RequestTimeout(BadRequest):
    """The client took too long to send the request's body (a bad request wherever no
    front door says more)."""


class Conflict(OpenArcError):
    pass


class Declined(OpenArcError):
    """A charge the issuer declined (stored all the same); ``data`` holds the decline's codes."""

    def __init__(self, message: str, data: dict[str, object]) -> None:
        super().__init__(message)
        self.data = data


class TooLarge(OpenArcError):
    pass


class Invalid(OpenArcError):
    """Validation failed; ``errors`` maps each failing field to its messages."""

    def __init__(self, errors: dict[str, list[str]], message: str = "The given data was invalid.") -> None:
        super().__init__(message)
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> Invalid:
        return cls({field: [message]})


class UnsupportedMediaType(OpenArcError):
    pass


class TooManyRequests(OpenArcError):
    def __init__(self, retry_after: int, message: str = "Too Many Attempts.") -> None:
        super().__init__(message)
        self.retry_after = retry_after


def nearest(table: Mapping[type[OpenArcError], T], exc: OpenArcError) -> T | None:
    """``table``'s entry for the nearest class in ``exc``'s hierarchy, so a subclass is
    treated as its parent is (never silently as no entry at all)."""
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]  # type: ignore[index]
    return None
