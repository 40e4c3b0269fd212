"""The customers: the list (one search box, sortable columns, numbered pages), one customer's
page with its cards and bank accounts, create, edit and delete.

The list is built for merchants with tens of thousands of customers: the search is the API's
``q`` (name words, email, phone digits however written, the id with or without ``cus_``),
each sort reads one index (``services.customer_listing``), and any page is one click or one
typed number away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.datastructures import QueryParams
from starlette.responses import Response

from openarc import errors
from openarc.dashboard import charges, forms
from openarc.dashboard.pages import View, page
from openarc.services import bank_accounts, cards, customer_listing, customer_search, customers
from openarc.services.bank_accounts import BankAccount
from openarc.services.cards import Card
from openarc.services.charges import CUSTOMER_CHARGES
from openarc.services.customers import Customer
from openarc.services.paging import Page


def public_key(view: View, public_id: str) -> int | None:
    """The key of a customer id as shown here, or as the SDK prints it (``cus_…``)."""
    return customer_search.named_key(view.ctx.ids.customer, public_id)


def customer_key(view: View) -> int:
    key = public_key(view, view.request.path_params["customer_id"])
    if key is None:
        raise errors.NotFound("No such customer.")
    return key


# ---------------------------------------------------------------------------- the list

#: The columns that sort, the way each sorts when first chosen, and how the list says it.
SORTS = {
    "name": ("asc", {"asc": "by name, A to Z", "desc": "by name, Z to A"}),
    "email": ("asc", {"asc": "by email, A to Z", "desc": "by email, Z to A"}),
    "created": ("desc", {"asc": "oldest first", "desc": "newest first"}),
}
assert set(SORTS) == set(customer_listing.SORTS)
#: Page numbers shown around the current one (five in all where there are that many).
WINDOW = 2
#: The longest search looked at (the API's limit on ``q``).
MAX_SEARCH = customer_search.MAX_QUERY
#: Far past any merchant's last page: a larger number is read as this one (it is past the end all the same).
MOST_PAGES = 10**9


@dataclass(frozen=True, slots=True)
class Listing:
    """What the list shows: the search, the sort ('' is the default: newest first, or best
    matches first with a search) and its direction."""

    q: str
    sort: str
    order: str

    @classmethod
    def of(cls, query: QueryParams) -> Listing:
        # Pasted text often comes with spaces or the quotes of a JSON value around it.
        q = query.get("q", "").strip().strip("\"'").strip()[:MAX_SEARCH]
        sort = query.get("sort", "")
        if sort not in SORTS:
            return cls(q, "", "")
        order = query.get("order", "")
        return cls(q, sort, order if order in ("asc", "desc") else SORTS[sort][0])

    @property
    def shown_sort(self) -> tuple[str, str] | None:
        """(column, direction) the rows are in; None for a search's best matches first."""
        if self.sort:
            return self.sort, self.order
        return None if self.q else ("created", "desc")

    def query(self, page: int = 1) -> dict[str, str]:
        found = {"q": self.q, "sort": self.sort, "order": self.order if self.sort else ""}
        if page > 1:
            found["page"] = str(page)
        return {name: value for name, value in found.items() if value}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    label: str
    url: str
    #: ``aria-sort``: "ascending", "descending" or "" when the rows are not in this column's order.
    sorted: str


def page_number(raw: str | None) -> tuple[int, str]:
    """The page asked for, and what to say when it is not a page number (then: the first page)."""
    if raw is None or raw == "":
        return 1, ""
    text = raw.strip()
    if text.isascii() and text.isdigit() and int(text) > 0:
        return min(int(text), MOST_PAGES), ""
    return 1, f"“{raw[:20]}” is not a page number: this is the first page."


def page_window(number: int, last: int) -> list[int]:
    first = max(1, min(number - WINDOW, last - 2 * WINDOW))
    return list(range(first, min(last, first + 2 * WINDOW) + 1))


async def _fetch(view: View, listing: Listing, named: int | None, number: int) -> Page[Customer]:
    per_page = view.ctx.settings.default_page_size
    account_id = view.merchant.id
    if not listing.sort or (listing.shown_sort == ("created", "desc") and not listing.q):
        # Newest first, or the search's best matches first: the API's own listing.
        return await view.ctx.query(customers.page_of(
            account_id, filters={}, page=str(number), default_limit=per_page, max_limit=per_page,
            q=listing.q or None, named=named,
        ))
    descending = listing.order == "desc"
    if listing.q:
        return await view.ctx.query(customer_listing.searched_sorted(
            account_id, listing.q, named, sort=listing.sort, descending=descending, page=number, per_page=per_page))
    return await view.ctx.query(customer_listing.page_sorted(
        account_id, sort=listing.sort, descending=descending, page=number, per_page=per_page))


@page()
async def customer_list(view: View) -> Response:
    query = view.request.query_params
    listing = Listing.of(query)
    number, problem = page_number(query.get("page"))
    named = public_key(view, listing.q) if listing.q else None
    result = await _fetch(view, listing, named, number)
    if number > result.total_pages:
        # Past the end (a bookmark from when there were more, or a typed number): the last page, saying so.
        if result.total:
            last = result.total_pages
            asked = forms.thousands(number) if number < MOST_PAGES else query.get("page", "").strip()[:20]
            problem = (f"There is no page {asked}: the list has {forms.thousands(last)} page{'' if last == 1 else 's'}."
                       " This is the last one.")
            result = await _fetch(view, listing, named, last)
        else:
            result = Page([], 0, result.per_page, 1)
    if named is not None and "page" not in query and result.total == 1 and result.items and result.items[0].id == named:
        # An id pasted into the search (as the SDK prints it, or as shown here): that customer.
        return view.redirect("dashboard:customer", customer_id=view.ctx.ids.customer.encode(named))

    now = view.now()
    rows = [(view.ctx.ids.customer.encode(c.id), c, forms.moment(c.created_at, now)) for c in result.items]
    shown = listing.shown_sort

    def column(name: str, label: str) -> Column:
        """A column's header: its link sorts by it (the other way round when it already does)."""
        way = shown[1] if shown is not None and shown[0] == name else ""
        order = {"asc": "desc", "desc": "asc"}.get(way, SORTS[name][0])
        url = view.url("dashboard:customers", Listing(listing.q, name, order).query())
        return Column(name, label, url, {"asc": "ascending", "desc": "descending"}.get(way, ""))

    def page_url(n: int) -> str:
        return view.url("dashboard:customers", listing.query(n))

    return view.render(
        "customers.html", listing=listing, result=result, rows=rows, page_url=page_url, problem=problem,
        pages=page_window(result.page, result.total_pages),
        columns=[column("name", "Name"), column("email", "Email"), column("created", "Created")],
        order_text=SORTS[shown[0]][1][shown[1]] if shown else "best matches first",
        capped=bool(listing.q) and result.total >= customer_search.MAX_RESULTS,
        most_found=customer_search.MAX_RESULTS,
        hidden=[(name, value) for name, value in listing.query().items()],
        cleared_url=view.url("dashboard:customers"),
        best_url=view.url("dashboard:customers", Listing(listing.q, "", "").query()),
    )


# ---------------------------------------------------------------------------- one customer


@page()
async def customer_new(view: View) -> Response:
    return view.render("customer_form.html", values={}, errors={}, customer_id=None)


@page(keeps=tuple(name for name, *_ in forms.FIELDS))
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
    key = customer_key(view)
    public_id = view.ctx.ids.customer.encode(key)
    if view.request.path_params["customer_id"] != public_id:  # cus_… as the SDK prints it: the page's own address
        return view.redirect("dashboard:customer", customer_id=public_id)
    found = await view.ctx.query(customers.found(view.merchant.id, key))
    now = view.now()
    return view.render(
        "customer.html", c=found, customer_id=public_id,
        created=forms.moment(found.created_at, now), updated=forms.moment(found.updated_at, now),
        cards=[(view.ctx.ids.card.encode(card.id), card) for card in found.cards],
        banks=[(view.ctx.ids.bank_account.encode(b.id), b) for b in found.bank_accounts],
        charges=charges.rows_of(view, found.charges), reasons=charges.REASON_LABELS, most_charges=CUSTOMER_CHARGES,
    )


@page()
async def customer_edit(view: View) -> Response:
    found = await view.ctx.query(customers.found(view.merchant.id, customer_key(view)))
    values = {name: getattr(found, name) or "" for name, *_ in forms.FIELDS}
    return view.render(
        "customer_form.html", values=values, errors={}, customer_id=view.request.path_params["customer_id"]
    )


@page(keeps=tuple(name for name, *_ in forms.FIELDS))
async def customer_update(view: View) -> Response:
    key = customer_key(view)
    values = forms.customer_values(view.form)
    customer_id = view.request.path_params["customer_id"]
    try:
        await view.call(customers.update, view.merchant.id, key, values, now=view.now())
    except errors.Invalid as exc:
        return view.render("customer_form.html", 422, values=values, errors=exc.errors, customer_id=customer_id)
    return view.redirect("dashboard:customer", {"notice": "saved"}, customer_id=customer_id)


#: Shown on a form filled in again after signing in (pages._kept).
REFILLED = "You are signed in again. Nothing was saved yet: check the form and send it."


async def refill(view: View, path: str, kept: dict[str, str]) -> Response | None:
    """The create or edit form whose post arrived after its session ended, filled in with
    what was typed, for the merchant now signed in; None for any other path (or a customer
    this merchant does not have)."""
    values = forms.customer_values(kept)
    collection = view.url("dashboard:customers_post")
    if path == collection:
        return view.render("customer_form.html", values=values, errors={}, customer_id=None, notice=REFILLED)
    public_id = unquote(path.removeprefix(collection + "/").removesuffix("/edit"))
    if not path.startswith(collection + "/") or not path.endswith("/edit") or "/" in public_id:
        return None
    key = public_key(view, public_id)
    if key is None:
        return None
    try:
        await view.ctx.query(customers.found(view.merchant.id, key))
    except errors.NotFound:
        return None
    return view.render("customer_form.html", values=values, errors={}, customer_id=public_id, notice=REFILLED)


@page()
async def customer_confirm_delete(view: View) -> Response:
    found = await view.ctx.query(customers.found(view.merchant.id, customer_key(view)))
    return view.render("customer_delete.html", c=found, customer_id=view.request.path_params["customer_id"])


@page()
async def customer_delete(view: View) -> Response:
    await view.call(customers.delete, view.merchant.id, customer_key(view))
    return view.redirect("dashboard:customers", {"notice": "deleted"})


# ---------------------------------------------------------------------------- cards and bank accounts


async def _card_of(view: View) -> tuple[Customer, str, Card]:
    """The customer of the path, its public id, and its card the path names (or ``NotFound``)."""
    return await _owned(view, "cards", view.ctx.ids.card.decode(view.request.path_params["card_id"]),
                        "No such card for this customer.")


async def _bank_account_of(view: View) -> tuple[Customer, str, BankAccount]:
    return await _owned(view, "bank_accounts",
                        view.ctx.ids.bank_account.decode(view.request.path_params["bank_account_id"]),
                        "No such bank account for this customer.")


async def _owned(view: View, kind: str, key: int | None, missing: str) -> tuple[Customer, str, Any]:
    """The customer of the path, its public id, and the one of its ``kind`` (cards, bank
    accounts) whose key is ``key`` (or ``NotFound`` saying ``missing``)."""
    found = await view.ctx.query(customers.found(view.merchant.id, customer_key(view)))
    for item in getattr(found, kind):
        if item.id == key:
            return found, view.ctx.ids.customer.encode(found.id), item
    raise errors.NotFound(missing)


def card_text(card: Card) -> str:
    return f"{forms.BRANDS.get(card.brand, card.brand)} ending {card.last4}"


@page()
async def card_make_default(view: View) -> Response:
    found, public_id, card = await _card_of(view)
    # The API's own update (PATCH default_card_id): the customer's other default is cleared with it.
    await view.call(customers.update, view.merchant.id, found.id, {}, now=view.now(), default_card_id=card.id)
    return view.redirect("dashboard:customer", {"notice": "card_default"}, customer_id=public_id)


@page()
async def card_confirm_delete(view: View) -> Response:
    found, public_id, card = await _card_of(view)
    succession = ""
    if card.is_default and len(found.cards) > 1:
        succession = "It is the default card: the newest of the others becomes the default."
    return view.render(
        "payment_method_delete.html", c=found, customer_id=public_id, what=card_text(card),
        details=f"Expires {card.exp_month}/{card.exp_year}" + (f", held by {card.card_holder_name}"
                                                                if card.card_holder_name else ""),
        succession=succession, button="Delete card",
        action=view.url("dashboard:card_delete_post", customer_id=public_id,
                        card_id=view.request.path_params["card_id"]),
    )


@page()
async def card_delete(view: View) -> Response:
    found, public_id, card = await _card_of(view)
    await view.call(cards.delete, view.merchant.id, found.id, card.id, now=view.now())
    return view.redirect("dashboard:customer", {"notice": "card_deleted"}, customer_id=public_id)


@page()
async def bank_account_confirm_delete(view: View) -> Response:
    found, public_id, bank = await _bank_account_of(view)
    return view.render(
        "payment_method_delete.html", c=found, customer_id=public_id, what=f"bank account {bank.account_number}",
        details=f"{bank.account_type}, held by {bank.first_name} {bank.last_name}", succession="",
        button="Delete bank account",
        action=view.url("dashboard:bank_account_delete_post", customer_id=public_id,
                        bank_account_id=view.request.path_params["bank_account_id"]),
    )


@page()
async def bank_account_delete(view: View) -> Response:
    _customer, public_id, bank = await _bank_account_of(view)
    # The API's DELETE /v1/bankaccounts/{id}, for a bank account this customer holds.
    await view.call(bank_accounts.delete, view.merchant.id, bank.id)
    return view.redirect("dashboard:customer", {"notice": "bank_account_deleted"}, customer_id=public_id)
