"""What a merchant's charges add up to: the sums behind the dashboard's charge list.

The same filters as ``charges.page_of`` (status at ``now``, by ``lifecycle.STATUS_SQL``;
created from/to a UTC day), summed by the database over the whole filtered set, not a
page of it.  Scoped to one merchant, like every service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from openarc.db.steps import One, Steps
from openarc.errors import Invalid
from openarc.services import lifecycle


@dataclass(frozen=True, slots=True)
class Totals:
    """Integer cents.  ``captured`` leaves out voided charges (their money never moved)."""

    count: int
    captured: int
    refunded: int

    @property
    def net(self) -> int:
        return self.captured - self.refunded


def _day(raw: object, field: str) -> int:
    """Midnight UTC of a ``YYYY-MM-DD`` filter, as Unix seconds (as ``charges.page_of`` reads it)."""
    text = str(raw).strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid.one(field, f"The {field} field must be a date in the format YYYY-MM-DD.")
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def of(account_id: int, *, customer_id: int | None = None, filters: Mapping[str, object],
       now: int) -> Steps[Totals]:
    """The totals of the merchant's charges that ``charges.page_of`` would list with these filters."""
    where = ["ch.account_id = :account_id"]
    params: dict[str, Any] = {"account_id": account_id}
    if customer_id is not None:
        where.append("ch.customer_id = :customer_id")
        params["customer_id"] = customer_id
    status = filters.get("status")
    if status not in (None, ""):
        where.append(f"{lifecycle.STATUS_SQL} = :status")
        params |= {"status": str(status), "now": now}
    if filters.get("from_date") not in (None, ""):
        where.append("ch.created_at >= :from_time")
        params["from_time"] = _day(filters["from_date"], "from_date")
    if filters.get("to_date") not in (None, ""):
        where.append("ch.created_at < :to_time")
        params["to_time"] = _day(filters["to_date"], "to_date") + lifecycle.DAY
    row = yield One(
        "SELECT count(*), "
        f"COALESCE(SUM(CASE WHEN ch.status = '{lifecycle.VOID}' THEN 0 ELSE ch.amount_captured END), 0), "
        "COALESCE(SUM(ch.amount_refunded), 0) "
        f"FROM charges ch WHERE {' AND '.join(where)}",
        params,
    )
    # PostgreSQL sums BIGINTs as NUMERIC (a Decimal here): integers either way.
    return Totals(int(row[0]), int(row[1]), int(row[2]))
