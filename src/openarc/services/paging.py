"""Pages of a list, as every list endpoint takes and answers them (``limit``, ``page``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from openarc.errors import Invalid

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    per_page: int
    page: int

    @property
    def total_pages(self) -> int:
        return max(-(-self.total // self.per_page), 1)


def page_number(raw: object, field: str, default: int) -> int:
    """A positive integer from a query parameter, or ``Invalid`` naming it."""
    if raw is None:
        return default
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise Invalid.one(field, f"The {field} field must be an integer.")
    value = int(text)
    if value < 1:
        raise Invalid.one(field, f"The {field} field must be at least 1.")
    return value


def window(limit: object, page: object, *, default_limit: int, max_limit: int) -> tuple[int, int]:
    """(per page, page number) from a request; ``limit`` above ``max_limit`` is capped, not refused."""
    return min(page_number(limit, "limit", default_limit), max_limit), page_number(page, "page", 1)
