"""A merchant's customers in the orders the dashboard's columns sort by: name, email or
creation, either way.  (``customers.page_of`` gives newest first, and the search's best
matches first; this module gives the rest.)

Names and emails sort *folded* (``name_key``/``email_key``: case-folded, spaces collapsed),
so ``ada`` and ``Ada`` sort together, as the filters compare them.  Each order is one
index: ``(account_id, name_key, id)``, ``(account_id, email_key, id)``, ``(account_id, id)``.
A page's ids are read from the index alone with LIMIT/OFFSET (a deferred join, as
``page_of`` does), then its 25 rows.

Customers without a name (or email) come after the others in both directions, on both
engines (SQLite sorts NULL first, PostgreSQL last): they are a second range of the same
index, read only by the pages that reach them.

Within a search (at most ``customer_search.MAX_RESULTS`` customers), the matches are
sorted the same way, with the same place for a missing name or email.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openarc.db.raw import columns, in_list
from openarc.db.steps import Many, One, Steps
from openarc.services import customer_search
from openarc.services.customers import Customer
from openarc.services.paging import Page

#: The orders offered, and the folded column each sorts by (None: by id, i.e. by creation).
SORTS: dict[str, str | None] = {"name": "name_key", "email": "email_key", "created": None}

_COLUMNS = columns(Customer, skip=("cards", "bank_accounts", "charges"), table="c")


def page_sorted(account_id: int, *, sort: str, descending: bool, page: int, per_page: int) -> Steps[Page[Customer]]:
    """Page ``page`` of the merchant's customers sorted by ``sort`` (a key of ``SORTS``).

    The customers on it carry no cards, bank accounts or charges (a list shows none).
    """
    column = SORTS[sort]
    way = "DESC" if descending else "ASC"
    params: dict[str, Any] = {"account_id": account_id}
    # Kept exact by create and delete: no count(*) over a big merchant.
    total = (yield One("SELECT customer_count FROM accounts WHERE id = :account_id", params))[0]
    offset = (page - 1) * per_page
    if offset >= total:
        return Page([], total, per_page, page)
    if column is None:
        ids = yield from _ids(f"WHERE account_id = :account_id ORDER BY id {way}", params, per_page, offset)
    else:
        ids = yield from _ids(f"WHERE account_id = :account_id AND {column} IS NOT NULL "
                              f"ORDER BY {column} {way}, id {way}", params, per_page, offset)
        if len(ids) < per_page:
            # Past the customers that have one: those without, in the same direction by id.
            if ids or offset == 0:
                given = offset + len(ids)
            else:
                given = (yield One(f"SELECT count(*) FROM customers WHERE account_id = :account_id "
                                   f"AND {column} IS NOT NULL", params))[0]
            ids += yield from _ids(f"WHERE account_id = :account_id AND {column} IS NULL ORDER BY id {way}",
                                   params, per_page - len(ids), max(offset - given, 0))
    return Page((yield from _rows(account_id, ids)), total, per_page, page)


def searched_sorted(account_id: int, q: str, named: int | None, *, sort: str, descending: bool, page: int,
                    per_page: int) -> Steps[Page[Customer]]:
    """What ``q`` finds (as ``customers.page_of(q=..., named=...)`` finds it), sorted by ``sort``."""
    found = yield from customer_search.matching(account_id, q, first=() if named is None else (named,))
    if not found:
        return Page([], 0, per_page, page)
    column = SORTS[sort] or "id"
    way = "DESC" if descending else "ASC"
    clause, listed = in_list("k", found)
    # The id ``q`` named may be another merchant's: only the merchant's own are counted and shown.
    where = f"WHERE account_id = :account_id AND id {clause}"
    params = {"account_id": account_id, **listed}
    total = (yield One(f"SELECT count(*) FROM customers {where}", params))[0]
    missing_last = "" if column == "id" else f"{column} IS NULL, "
    ids = yield from _ids(f"{where} ORDER BY {missing_last}{column} {way}, id {way}", params, per_page,
                          (page - 1) * per_page)
    return Page((yield from _rows(account_id, ids)), total, per_page, page)


def _ids(rest: str, params: dict[str, Any], limit: int, offset: int) -> Steps[list[int]]:
    rows = yield Many(f"SELECT id FROM customers {rest} LIMIT :limit OFFSET :offset",
                      {**params, "limit": limit, "offset": offset})
    return [row[0] for row in rows]


def _rows(account_id: int, ids: Sequence[int]) -> Steps[list[Customer]]:
    """The customers of ``ids``, in that order."""
    if not ids:
        return []
    clause, listed = in_list("k", ids)
    rows = yield Many(f"SELECT {_COLUMNS} FROM customers c WHERE c.account_id = :account_id AND c.id {clause}",
                      {"account_id": account_id, **listed})
    by_id = {row[0]: Customer(*row) for row in rows}
    return [by_id[key] for key in ids if key in by_id]
