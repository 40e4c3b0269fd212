"""The merchant dashboard: server-rendered pages over the services, mounted at ``/dashboard``.

Signed in with an API key; the session is kept on the server and named by a signed,
HttpOnly, SameSite=Strict cookie that the ``/v1`` API never reads.  Every asset is served from this package.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from openarc.dashboard import charges, customers, pages, signin

__all__ = ["routes"]


def _route(path: str, endpoint: object, name: str, method: str = "GET") -> Route:
    return Route(path, endpoint, methods=[method], name=name, include_in_schema=False)  # type: ignore[arg-type]


routes: list[BaseRoute] = [
    _route("/dashboard", signin.index, "dashboard_index"),
    Mount(
        "/dashboard",
        name="dashboard",
        routes=[
            _route("/", signin.index, "index"),
            _route("/signin", signin.signin_form, "signin"),
            _route("/signin", signin.signin, "signin_post", "POST"),
            _route("/signout", signin.signout, "signout", "POST"),
            _route("/customers", customers.customer_list, "customers"),
            _route("/customers", customers.customer_create, "customers_post", "POST"),
            _route("/customers/new", customers.customer_new, "customer_new"),
            _route("/customers/{customer_id}", customers.customer_detail, "customer"),
            _route("/customers/{customer_id}/edit", customers.customer_edit, "customer_edit"),
            _route("/customers/{customer_id}/edit", customers.customer_update, "customer_edit_post", "POST"),
            _route("/customers/{customer_id}/delete", customers.customer_confirm_delete, "customer_delete"),
            _route("/customers/{customer_id}/delete", customers.customer_delete, "customer_delete_post", "POST"),
            _route("/customers/{customer_id}/cards/{card_id}/default", customers.card_make_default, "card_default",
                   "POST"),
            _route("/customers/{customer_id}/cards/{card_id}/delete", customers.card_confirm_delete, "card_delete"),
            _route("/customers/{customer_id}/cards/{card_id}/delete", customers.card_delete, "card_delete_post",
                   "POST"),
            _route("/customers/{customer_id}/bank-accounts/{bank_account_id}/delete",
                   customers.bank_account_confirm_delete, "bank_account_delete"),
            _route("/customers/{customer_id}/bank-accounts/{bank_account_id}/delete", customers.bank_account_delete,
                   "bank_account_delete_post", "POST"),
            _route("/charges", charges.charge_list, "charges"),
            _route("/charges/{charge_id}/refund", charges.refund_confirm, "charge_refund"),
            _route("/charges/{charge_id}/refund", charges.refund, "charge_refund_post", "POST"),
            _route("/charges/{charge_id}/void", charges.void_confirm, "charge_void"),
            _route("/charges/{charge_id}/void", charges.void, "charge_void_post", "POST"),
            Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
            Route("/{path:path}", pages.not_found, methods=["GET", "POST"], include_in_schema=False),
        ],
    ),
]
