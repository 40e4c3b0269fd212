"""PayArc's wire shapes, built explicitly from service objects (never dumped from rows)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.datastructures import URL

from openarc.errors import BadRequest
from openarc.ids import Ids
from openarc.services.customers import Customer, Page
from openarc.timefmt import readable

#: Includes a customer can carry; the first three are always embedded (spec §5.1).
CUSTOMER_INCLUDES = ("card", "bank_account", "charge", "subscription", "invoice")
DEFAULT_INCLUDES = ("card", "bank_account", "charge")

_FIELDS = (
    "name", "email", "description", "payment_overdue", "send_email_address", "cc_email_address",
    "source_id", "address_1", "address_2", "city", "state", "zip", "phone", "country",
)


def includes(raw: str | None, available: Sequence[str] = CUSTOMER_INCLUDES) -> tuple[str, ...]:
    """The extra includes asked for with ``?include=a,b``; an unknown one is a 400."""
    if not raw:
        return ()
    wanted = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise BadRequest(f"Requested a invalid Include Parameter: {', '.join(unknown)}.")
    return wanted


def customer(c: Customer, ids: Ids, now: int, extra: Iterable[str] = ()) -> dict[str, object]:
    public_id = ids.customer.encode(c.id)
    obj: dict[str, object] = {"object": "customer", "customer_id": public_id, "id": public_id, "real_id": c.id}
    for name in _FIELDS:
        obj[name] = getattr(c, name)
    obj["created_at"] = c.created_at
    obj["updated_at"] = c.updated_at
    obj["readable_created_at"] = readable(c.created_at, now)
    obj["readable_updated_at"] = readable(c.updated_at, now)
    obj["invoice_prefix"] = c.invoice_prefix
    for name in DEFAULT_INCLUDES:
        obj[name] = {"data": []}
    for name in extra:
        obj.setdefault(name, {"data": []})
    return obj


def meta(available: Sequence[str] = CUSTOMER_INCLUDES) -> dict[str, object]:
    return {"include": list(available), "custom": []}


def one(data: dict[str, object], available: Sequence[str] = CUSTOMER_INCLUDES) -> dict[str, object]:
    return {"data": data, "meta": meta(available)}


def page(data: list[dict[str, object]], result: Page, url: URL) -> dict[str, object]:
    """Fractal's paginated envelope: five integers and a ``links`` object (``{}`` when empty)."""
    links: dict[str, str] = {}
    if result.page > 1:
        links["previous"] = str(url.include_query_params(page=result.page - 1))
    if result.page < result.total_pages:
        links["next"] = str(url.include_query_params(page=result.page + 1))
    body = meta()
    body["pagination"] = {
        "total": result.total,
        "count": len(data),
        "per_page": result.per_page,
        "current_page": result.page,
        "total_pages": result.total_pages,
        "links": links,
    }
    return {"data": data, "meta": body}
