"""Paths of named routes, never absolute URLs.

Starlette's ``url_for`` writes the request's ``Host`` header into every URL it builds, and the
client chooses that header: ``Host: evil.example`` turned the dashboard's redirects and links
into ``http://evil.example/…`` (a cache or proxy in front could hand those to others).  A path
is all a browser needs; it keeps the prefix the app is served under (``root_path``).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection


def path_for(request: HTTPConnection, name: str, /, **params: object) -> str:
    """The path of the route called ``name``, behind the app's ``root_path``: what
    ``request.url_for(name, **params).path`` would be, without reading the Host header."""
    scope = request.scope
    router = scope.get("router") or scope["app"]
    # The app's own prefix, not a Mount's (the root_path of a mounted route's scope grew by it).
    root: str = scope.get("app_root_path", scope.get("root_path", ""))
    return root.rstrip("/") + str(router.url_path_for(name, **params))
