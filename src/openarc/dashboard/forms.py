"""Reading the dashboard's form posts, and what the pages show of a customer and a charge.

Plain functions of data: no database, no HTTP objects beyond the body reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from starlette.requests import Request

from openarc.errors import BadRequest, Invalid, TooLarge, UnsupportedMediaType
from openarc.services import lifecycle
from openarc.services import validation as v
from openarc.services.customers import RULES
from openarc.timefmt import readable

#: (field, label, input type, autocomplete) of the customer form, in the order shown.
FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("name", "Name", "text", "name"),
    ("email", "Email", "email", "email"),
    ("phone", "Phone", "tel", "tel"),
    ("description", "Description", "text", "off"),
    ("send_email_address", "Send invoices to", "email", "email"),
    ("cc_email_address", "CC invoices to", "email", "email"),
    ("address_1", "Address line 1", "text", "address-line1"),
    ("address_2", "Address line 2", "text", "address-line2"),
    ("city", "City", "text", "address-level2"),
    ("state", "State", "text", "address-level1"),
    ("zip", "ZIP", "text", "postal-code"),
    ("country", "Country", "text", "country"),
)
assert {f[0] for f in FIELDS} == set(RULES), "the form must offer exactly the API's customer fields"

#: What each kind of field allows, in words shown beside it (the API's messages say only what failed).
_ALLOWED: dict[object, str] = {
    v.letters_and_spaces: "Letters and spaces only",
    v.letters: "Letters only",
    v.email: "An email address such as name@example.com",
    v.printable: "Any text",
    v.address: "Letters, digits, spaces and . , # ' / & ( ) -",
    v.digits_and_hyphens: "Digits, with hyphens between them (10469-2345)",
    v.digits: "Digits only: no spaces, dashes or +",
}


def hint(rule: v.Text) -> str:
    """What a field allows: ``Letters and spaces only, 3–50 characters.``"""
    unit = "digits" if rule.check is v.digits else "characters"
    if rule.min is not None and rule.max is not None:
        size = f"{rule.min}–{rule.max} {unit}"
    elif rule.max is not None:
        size = f"up to {rule.max} {unit}"
    else:
        size = f"at least {rule.min} {unit}"
    return f"{_ALLOWED[rule.check]}, {size}."


#: Shown under each field of the customer form, made from the API's own rules.
HINTS = {name: hint(rule) for name, rule in RULES.items()}

BRANDS = {"V": "Visa", "M": "Mastercard", "X": "American Express", "R": "Discover", "J": "JCB"}

#: What the pages call each status of a charge; a decline's status (PayArc's own words) is shown as is.
STATUS_LABELS = {
    lifecycle.AUTHORIZED: "Authorized",
    lifecycle.SUBMITTED: "Submitted for settlement",
    lifecycle.PARTIALLY_SUBMITTED: "Partially submitted for settlement",
    lifecycle.SETTLED: "Settled",
    lifecycle.VOID: "Voided",
    lifecycle.PARTIAL_REFUND: "Partially refunded",
    lifecycle.REFUNDED: "Refunded",
    lifecycle.EXPIRED: "Authorization expired",
}
#: The charge list's status filter: every lifecycle status, and "Declined": every declined charge.
STATUS_FILTER = (*lifecycle.STATUSES, "Declined")

_FORM = "application/x-www-form-urlencoded"


async def read_form(request: Request, limit: int) -> dict[str, str]:
    """An urlencoded body as a dict (first value of each key), never more than ``limit`` bytes."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("", _FORM):
        raise UnsupportedMediaType("Forms must be sent as application/x-www-form-urlencoded.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge("The form is too large.")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("The form could not be read.") from None
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


def customer_values(form: dict[str, str]) -> dict[str, str]:
    """The customer fields of a post: every field is sent, and an empty one means "none"."""
    return {name: form.get(name, "") for name, *_ in FIELDS}


@dataclass(frozen=True, slots=True)
class Moment:
    iso: str
    text: str
    ago: str


def moment(ts: int, now: int) -> Moment:
    when = datetime.fromtimestamp(ts, UTC)
    return Moment(when.isoformat(), when.strftime("%Y-%m-%d %H:%M UTC"), readable(ts, now))


def thousands(n: int) -> str:
    """``40000`` -> ``40,000``."""
    return f"{n:,}"


def dollars(cents: int) -> str:
    """``1500`` -> ``$15.00``; ``-250`` -> ``-$2.50``."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def plain_dollars(cents: int) -> str:
    """What an amount field is filled with: ``1500`` -> ``15.00``."""
    return f"{cents // 100}.{cents % 100:02d}"


_AMOUNT = re.compile(r"\$?\s*([0-9]{1,3}(?:,?[0-9]{3})*|[0-9]+)(?:\.([0-9]{1,2}))?")
_AMOUNT_PROBLEM = "Enter an amount in dollars and cents, such as 5.00."


def cents_of(text: str, field: str = "amount") -> int:
    """Dollars as typed (``5``, ``5.5``, ``$1,250.00``) in integer cents, or ``Invalid`` naming ``field``."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None or len(match.group(1)) > 12:
        raise Invalid.one(field, _AMOUNT_PROBLEM)
    cents = int(match.group(1).replace(",", "")) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents < 1:
        raise Invalid.one(field, "The amount must be at least $0.01.")
    if cents > 99_999_999:
        raise Invalid.one(field, "The amount must not be more than $999,999.99.")
    return cents
