"""The merchant dashboard: server-rendered pages over the services, mounted at ``/dashboard``.

Signed in with an API key; the session is a signed, HttpOnly, SameSite=Strict cookie
that the ``/v1`` API never reads.  Every asset is served from this package.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from openarc.dashboard import routes as pages

__all__ = ["routes"]


def _route(path: str, endpoint: object, name: str, method: str = "GET") -> Route:
    return Route(path, endpoint, methods=[method], name=name, include_in_schema=False)  # type: ignore[arg-type]


routes: list[BaseRoute] = [
    _route("/dashboard", pages.index, "dashboard_index"),
    Mount(
        "/dashboard",
        name="dashboard",
        routes=[
            _route("/", pages.index, "index"),
            _route("/signin", pages.signin_form, "signin"),
            _route("/signin", pages.signin, "signin_post", "POST"),
            _route("/signout", pages.signout, "signout", "POST"),
            _route("/customers", pages.customer_list, "customers"),
            _route("/customers", pages.customer_create, "customers_post", "POST"),
            _route("/customers/new", pages.customer_new, "customer_new"),
            _route("/customers/{customer_id}", pages.customer_detail, "customer"),
            _route("/customers/{customer_id}/edit", pages.customer_edit, "customer_edit"),
            _route("/customers/{customer_id}/edit", pages.customer_update, "customer_edit_post", "POST"),
            _route("/customers/{customer_id}/delete", pages.customer_confirm_delete, "customer_delete"),
            _route("/customers/{customer_id}/delete", pages.customer_delete, "customer_delete_post", "POST"),
            Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
            Route("/{path:path}", pages.not_found, methods=["GET", "POST"], include_in_schema=False),
        ],
    ),
]
