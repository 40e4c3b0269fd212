"""Card charges: the merchant's list with its filters and totals, and refunding or voiding one
after a confirmation page.

A refund or void is a GET of its confirmation page (what will happen, to which charge) and
then a CSRF-protected POST from that page; ``services.money`` decides whether the move is
allowed, and a refusal is shown on the page as PayArc words it, never as an error page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.responses import Response

from openarc import errors
from openarc.dashboard import forms
from openarc.dashboard.pages import View, page
from openarc.services import charge_totals, charges, lifecycle, money, paging
from openarc.services.charges import Charge

#: Where a refund or void returns to: the charge's customer (default) or the charge list.
RETURN_TO = ("customer", "charges")

REASON_LABELS = {
    "requested_by_customer": "Requested by the customer",
    "fraudulent": "Fraudulent",
    "duplicate": "Duplicate",
    "other": "Other",
}
assert tuple(REASON_LABELS) == money.REASONS, "offer exactly the reasons the API takes"


@dataclass(frozen=True, slots=True)
class Row:
    """A charge as the pages show it: never more of its card than brand and last 4."""

    id: str
    charge: Charge
    status: str
    label: str
    created: forms.Moment
    card: str
    customer_id: str | None
    #: What a refund can still give back, in cents.
    remaining: int
    refundable: bool
    voidable: bool
    #: Not settled yet: a refund of it voids the whole charge (``money.refund``).
    unsettled: bool


def row_of(view: View, charge: Charge, now: int) -> Row:
    status = charge.status_at(now)
    card = charge.card_of()
    remaining = charge.amount_captured - charge.amount_refunded
    voidable = status == lifecycle.AUTHORIZED or status in lifecycle.UNSETTLED
    return Row(
        id=view.ctx.ids.charge.encode(charge.id),
        charge=charge,
        status=status,
        label=forms.STATUS_LABELS.get(status, status),
        created=forms.moment(charge.created_at, now),
        card=f"{forms.BRANDS.get(card.brand, card.brand)} ending {card.last4}",
        customer_id=view.ctx.ids.customer.encode(charge.customer_id) if charge.customer_id is not None else None,
        remaining=remaining,
        refundable=status in (lifecycle.SETTLED, lifecycle.PARTIAL_REFUND) and remaining > 0,
        voidable=voidable,
        unsettled=voidable,
    )


def rows_of(view: View, found: Sequence[Charge]) -> list[Row]:
    now = view.now()
    return [row_of(view, c, now) for c in found]


def charge_key(view: View) -> int:
    key = view.ctx.ids.charge.decode(view.request.path_params["charge_id"])
    if key is None:
        raise errors.NotFound("No such charge.")
    return key


# ---------------------------------------------------------------------------- the list

FILTERS = ("status", "from_date", "to_date", "customer_id")


def _customer_key(view: View, public_id: str | None) -> int | None:
    """The customer filter's key; an id that is no customer's matches nothing (as the API's)."""
    if not public_id:
        return None
    key = view.ctx.ids.customer.decode(public_id)
    return 0 if key is None else key


@page()
async def charge_list(view: View) -> Response:
    query = view.request.query_params
    chosen = {name: query.get(name, "").strip() for name in FILTERS}
    filters = {name: value for name, value in chosen.items() if value}
    now = view.now()
    customer_key = _customer_key(view, filters.get("customer_id"))
    try:
        if filters.get("status") not in (None, *forms.STATUS_FILTER):
            raise errors.Invalid.one("status", "The selected status is invalid.")
        per_page, number = paging.window(None, query.get("page"), default_limit=view.ctx.settings.default_page_size,
                                         max_limit=view.ctx.settings.max_page_size)
        result = await view.ctx.query(charges.page_of(
            view.merchant.id, customer_id=customer_key, filters=filters, per_page=per_page, number=number, now=now))
        totals = await view.ctx.query(charge_totals.of(view.merchant.id, customer_id=customer_key, filters=filters,
                                                           now=now))
    except errors.Invalid as exc:
        return view.render("charges.html", 422, chosen=chosen, filtered=bool(filters), result=None, errors=exc.errors)

    def page_url(number: int) -> str:
        return view.url("dashboard:charges", {**filters, "page": str(number)})

    return view.render(
        "charges.html", chosen=chosen, filtered=bool(filters), result=result, rows=rows_of(view, result.items),
        totals=totals, page_url=page_url, errors={},
    )


# ---------------------------------------------------------------------------- refund and void


def _return_to(view: View, values: dict[str, str] | None = None) -> str:
    wanted = (values if values is not None else view.request.query_params).get("return_to", "")
    return wanted if wanted in RETURN_TO else RETURN_TO[0]


def _done(view: View, changed: Charge, return_to: str) -> Response:
    notice = "voided" if changed.status == lifecycle.VOID else "refunded"
    if return_to == "customer" and changed.customer_id is not None:
        return view.redirect("dashboard:customer", {"notice": notice},
                             customer_id=view.ctx.ids.customer.encode(changed.customer_id))
    return view.redirect("dashboard:charges", {"notice": notice})


async def _confirm_page(view: View, template: str, key: int, status: int = 200, **context: object) -> Response:
    """The confirmation page, with the charge as it is now (after a refusal too)."""
    found = await view.ctx.query(charges.found(view.merchant.id, key))
    row = row_of(view, found, view.now())
    back = (view.url("dashboard:customer", customer_id=row.customer_id)
            if row.customer_id is not None and context.get("return_to") == "customer" else view.url("dashboard:charges"))
    return view.render(template, status, row=row, back=back, **context)


@page()
async def refund_confirm(view: View) -> Response:
    key = charge_key(view)
    found = await view.ctx.query(charges.found(view.merchant.id, key))
    remaining = found.amount_captured - found.amount_refunded
    text = view.request.query_params.get("amount", "").strip() or forms.plain_dollars(max(remaining, 0))
    return_to = _return_to(view)
    try:
        cents = forms.cents_of(text)
    except errors.Invalid as exc:
        return await _confirm_page(view, "charge_refund.html", key, 422, amount=text, cents=None, errors=exc.errors,
                                   return_to=return_to)
    return await _confirm_page(view, "charge_refund.html", key, amount=forms.plain_dollars(cents), cents=cents,
                               errors={}, return_to=return_to)


@page()
async def refund(view: View) -> Response:
    key = charge_key(view)
    text = view.form.get("amount", "").strip()
    return_to = _return_to(view, view.form)
    try:
        cents = forms.cents_of(text)
        refunded = await view.ctx.transaction(money.refund(view.merchant.id, key, {"amount": str(cents)},
                                                           now=view.now()))
    except errors.Invalid as exc:
        return await _confirm_page(view, "charge_refund.html", key, 422, amount=text, cents=None, errors=exc.errors,
                                   return_to=return_to)
    except errors.Conflict as exc:
        return await _confirm_page(view, "charge_refund.html", key, 409, amount=text, cents=None, errors={},
                                   refusal=exc.message.strip(), return_to=return_to)
    return _done(view, refunded, return_to)


@page()
async def void_confirm(view: View) -> Response:
    key = charge_key(view)
    reason = view.request.query_params.get("reason", "") or money.REASONS[0]
    problems = {} if reason in money.REASONS else {"reason": ["The selected reason is invalid."]}
    return await _confirm_page(view, "charge_void.html", key, 422 if problems else 200, reason=reason,
                               reasons=REASON_LABELS, errors=problems, return_to=_return_to(view))


@page()
async def void(view: View) -> Response:
    key = charge_key(view)
    reason = view.form.get("reason", "")
    return_to = _return_to(view, view.form)
    context = {"reason": reason, "reasons": REASON_LABELS, "return_to": return_to}
    try:
        voided = await view.ctx.transaction(money.void(view.merchant.id, key, {"reason": reason},
                                                       now=view.now()))
    except errors.Invalid as exc:
        return await _confirm_page(view, "charge_void.html", key, 422, errors=exc.errors, **context)
    except errors.Conflict as exc:
        return await _confirm_page(view, "charge_void.html", key, 409, errors={}, refusal=exc.message.strip(),
                                   **context)
    return _done(view, voided, return_to)
