"""The customers: the list and its search, one customer's page, create, edit and delete."""

from __future__ import annotations

from starlette.responses import Response

from openarc import errors
from openarc.dashboard import charges, forms
from openarc.dashboard.pages import View, page
from openarc.services import customers
from openarc.services.charges import CUSTOMER_CHARGES


def customer_key(view: View) -> int:
    key = view.ctx.ids.customer.decode(view.request.path_params["customer_id"])
    if key is None:
        raise errors.NotFound("No such customer.")
    return key






@page()
async def customer_list(view: View) -> Response:
    query = view.request.query_params
    search = {name: query.get(name, "").strip() for name in forms.SEARCH_FIELDS}
    filters = {name: value for name, value in search.items() if value}
    try:
        result = await view.ctx.query(customers.page_of(
            view.merchant.id, filters=filters, page=query.get("page"),
            default_limit=view.ctx.settings.default_page_size, max_limit=view.ctx.settings.max_page_size,
        ))
    except errors.Invalid as exc:
        return view.render("customers.html", 422, search=search, result=None, errors=exc.errors)
    now = view.now()
    rows = [(view.ctx.ids.customer.encode(c.id), c, forms.moment(c.created_at, now)) for c in result.items]

    def page_url(number: int) -> str:
        return view.url("dashboard:customers", {**filters, "page": str(number)})

    return view.render(
        "customers.html", search=search, filtered=bool(filters), result=result, rows=rows, page_url=page_url,
        errors={},
    )


@page()
async def customer_new(view: View) -> Response:
    return view.render("customer_form.html", values={}, errors={}, customer_id=None)


@page()
async def customer_create(view: View) -> Response:
    values = forms.customer_values(view.form)
    try:
        created = await view.ctx.transaction(customers.create(
            view.merchant.id, customers.clean(values), now=view.now(), ordinals=view.ctx.ordinals),
            atomic=False)
    except errors.Invalid as exc:
        return view.render("customer_form.html", 422, values=values, errors=exc.errors, customer_id=None)
    public_id = view.ctx.ids.customer.encode(created.id)
    return view.redirect("dashboard:customer", {"notice": "created"}, customer_id=public_id)


@page()
async def customer_detail(view: View) -> Response:
    found = await view.ctx.query(customers.found(view.merchant.id, customer_key(view)))
    now = view.now()
    return view.render(
        "customer.html", c=found, customer_id=view.request.path_params["customer_id"],
        created=forms.moment(found.created_at, now), updated=forms.moment(found.updated_at, now),
        charges=charges.rows_of(view, found.charges), reasons=charges.REASON_LABELS, most_charges=CUSTOMER_CHARGES,
    )


@page()
async def customer_edit(view: View) -> Response:
    found = await view.ctx.query(customers.found(view.merchant.id, customer_key(view)))
    values = {name: getattr(found, name) or "" for name, *_ in forms.FIELDS}
    return view.render(
        "customer_form.html", values=values, errors={}, customer_id=view.request.path_params["customer_id"]
    )


@page()
async def customer_update(view: View) -> Response:
    key = customer_key(view)
    values = forms.customer_values(view.form)
    customer_id = view.request.path_params["customer_id"]
    try:
        await view.call(customers.update, view.merchant.id, key, values, now=view.now())
    except errors.Invalid as exc:
        return view.render("customer_form.html", 422, values=values, errors=exc.errors, customer_id=customer_id)
    return view.redirect("dashboard:customer", {"notice": "saved"}, customer_id=customer_id)


@page()
async def customer_confirm_delete(view: View) -> Response:
    found = await view.ctx.query(customers.found(view.merchant.id, customer_key(view)))
    return view.render("customer_delete.html", c=found, customer_id=view.request.path_params["customer_id"])


@page()
async def customer_delete(view: View) -> Response:
    await view.call(customers.delete, view.merchant.id, customer_key(view))
    return view.redirect("dashboard:customers", {"notice": "deleted"})
