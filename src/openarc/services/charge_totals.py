"""What a merchant's charges add up to: the sums behind the dashboard's charge list.

The same filters as ``charges.page_of`` (``charges.where``), summed by the database over the whole filtered set, not a
page of it.  Scoped to one merchant, like every service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from openarc.db.steps import One, Steps
from openarc.services import charges, lifecycle


@dataclass(frozen=True, slots=True)
class Totals:
    """Integer cents.  ``captured`` leaves out voided charges (their money never moved)."""

    count: int
    captured: int
    refunded: int

    @property
    def net(self) -> int:
        return self.captured - self.refunded


def of(account_id: int, *, customer_id: int | None = None, filters: Mapping[str, object],
       now: int) -> Steps[Totals]:
    """The totals of the merchant's charges that ``charges.page_of`` would list with these filters."""
    clause, params = charges.where(account_id, customer_id=customer_id, filters=filters, now=now)
    row = yield One(
        "SELECT count(*), "
        f"COALESCE(SUM(CASE WHEN ch.status = '{lifecycle.VOID}' THEN 0 ELSE ch.amount_captured END), 0), "
        "COALESCE(SUM(ch.amount_refunded), 0) "
        f"FROM charges ch WHERE {clause}",
        params,
    )
    # PostgreSQL sums BIGINTs as NUMERIC (a Decimal here): integers either way.
    return Totals(int(row[0]), int(row[1]), int(row[2]))
