"""Carbon's ``diffForHumans()`` wording, which PayArc sends as ``readable_*_at``."""

from __future__ import annotations

# Carbon's units, with its average month and year.
_UNITS = (
    ("year", 31_556_952),
    ("month", 2_629_746),
    ("week", 604_800),
    ("day", 86_400),
    ("hour", 3_600),
    ("minute", 60),
    ("second", 1),
)


def readable(then: int, now: int) -> str:
    """``"1 second ago"``, ``"3 days ago"``… never less than one second, never "from now"."""
    elapsed = max(now - then, 1)
    for unit, seconds in _UNITS:
        if elapsed >= seconds:
            count = elapsed // seconds
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    raise AssertionError("unreachable: elapsed is at least one second")
