"""Request headers read straight from the ASGI scope."""

from __future__ import annotations

from starlette.types import Scope


def header(scope: Scope, name: bytes) -> bytes | None:
    """One request header's raw value (ASGI servers give names in lower case; the first
    of repeated ones, as Starlette's ``Headers.get``), without building a ``Headers``
    object on the path every request takes."""
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None
