"""``/openapi.json``, the API reference at ``/docs``, and the ``/`` page.

``/docs`` is Swagger UI, served from the files the ``swagger-ui-py`` package ships (never
a CDN) under ``/docs/static/swagger-ui/``, started by a script of ours
(``static/docs.js``) over this server's ``/openapi.json``.  Its Authorize button takes
the reader's API key (the document's ``bearerAuth`` scheme, kept in the page only) and
"Try it out" sends requests with it.  The page's Content-Security-Policy allows scripts
and styles from this origin only (no inline code), images from this origin and ``data:``,
requests to this origin, and no framing.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from openarc.api.openapi import document

log = logging.getLogger("openarc.api")

#: OpenArc's own files: the script that starts Swagger UI and the pages' stylesheets.
STATIC = Path(__file__).parent / "static"


def swagger_ui_directory() -> Path:
    """The Swagger UI files of the installed ``swagger-ui-py`` (found without importing the
    package, whose own code is for other frameworks)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        log.warning("swagger-ui-py is not installed: /docs will not load (pip install swagger-ui-py)")
        return STATIC / "swagger-ui-not-installed"
    return Path(next(iter(spec.submodule_search_locations))) / "static"


class _Files(StaticFiles):
    """Static files, each said not to be sniffed; with ``only``, just those names (the package
    also ships an editor and an OAuth2 redirect page, which /docs does not use)."""

    def __init__(self, directory: Path, only: frozenset[str] | None = None) -> None:
        super().__init__(directory=directory, check_dir=False)
        self.only = only

    async def get_response(self, path: str, scope: Scope) -> Response:
        if self.only is not None and path not in self.only:
            raise HTTPException(status_code=404)
        answer = await super().get_response(path, scope)
        answer.headers["X-Content-Type-Options"] = "nosniff"
        return answer


#: What /docs loads of Swagger UI.
SWAGGER_UI_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png"})

#: Scripts and styles from this origin only, never inline; images from here and ``data:`` (Swagger UI's
#: icons); requests to this origin; no form is submitted (Swagger UI sends its own), the page is never
#: framed, and no Referer is sent.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def document_of(app: Starlette) -> dict[str, Any]:
    """The document of this app's routes, built once per app (routes are fixed once it serves).

    Not strict: a /v1 route nobody declared is left out and named in the document, not a
    500 here (tests/test_openapi.py builds it strictly and fails instead).
    """
    try:
        return app.state.openapi_document
    except AttributeError:
        app.state.openapi_document = built = document(app.routes, strict=False)
        return built


async def openapi_json(request: Request) -> Response:
    return Response(orjson.dumps(document_of(request.app)), media_type="application/json")


# Links are relative (to /docs, or /PREFIX/docs behind a proxy), never made of the Host header.
_DOCS = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
    "<title>OpenArc API reference</title>"
    "<link rel=icon type=image/png href='docs/static/swagger-ui/favicon-32x32.png'>"
    "<link rel=stylesheet href='docs/static/swagger-ui/swagger-ui.css'>"
    "<link rel=stylesheet href='docs/static/docs.css'></head>"
    "<body><noscript><p>The API reference needs JavaScript; the OpenAPI document is at "
    "<a href='openapi.json'>openapi.json</a>.</p></noscript>"
    "<div id=swagger-ui data-url='openapi.json'></div>"
    "<script src='docs/static/swagger-ui/swagger-ui-bundle.js'></script>"
    "<script src='docs/static/docs.js'></script></body></html>"
)


async def docs_page(request: Request) -> Response:
    return HTMLResponse(_DOCS, headers=HEADERS)


_HOME = (
    "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
    "<title>OpenArc</title><link rel=stylesheet href='docs/static/home.css'><body>"
    "<h1>OpenArc</h1><p>A PayArc-compatible API server. Point a PayArc client or SDK at this address "
    "with an API key.</p><ul>"
    "<li><a href='docs'>API reference</a> (and <a href='openapi.json'>openapi.json</a>)</li>"
    "<li><a href='dashboard'>Dashboard</a> (sign in with an API key)</li>"
    "<li><a href='healthz'>Health</a></li></ul></body>"
)
#: The home page runs nothing and loads its stylesheet only.
_HOME_HEADERS = {**HEADERS, "Content-Security-Policy": (
    "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")}


async def home(request: Request) -> Response:
    """``/``: where to go from here (the API reference, the dashboard), not a JSON 404."""
    return HTMLResponse(_HOME, headers=_HOME_HEADERS)


def routes() -> list[BaseRoute]:
    """``/``, the document, the reference and its files (``api.app.create_app`` registers them)."""
    return [
        Route("/", home, methods=["GET"], include_in_schema=False),
        Route("/openapi.json", openapi_json, methods=["GET"], include_in_schema=False),
        Route("/docs", docs_page, methods=["GET"], include_in_schema=False),
        Mount("/docs/static/swagger-ui", app=_Files(swagger_ui_directory(), SWAGGER_UI_FILES), name="swagger-ui"),
        Mount("/docs/static", app=_Files(STATIC), name="docs-static"),
    ]
