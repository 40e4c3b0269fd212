"""ACH charges: a debit (the merchant pulls) or a credit (the merchant pays) of a bank account.

The account is a saved bank account (``bank_account_id``), the customer's default one
(``customer_id``), or given inline (account and routing numbers, names, type), in which
case it is saved, masked, like any bank account.  There is no ACH refund in PayArc:
every SDK "refunds" by posting a credit.  An ACH charge is ``validated`` when made and
``settled`` at the next daily cut-off (the same clock rule as card charges).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from openarc.db.raw import columns, insert_returning_id
from openarc.db.steps import Many, One, Run, Steps
from openarc.errors import Conflict, Invalid, NotFound
from openarc.services import bank_accounts, lifecycle
from openarc.services import validation as v
from openarc.services.bank_accounts import BankAccount
from openarc.services.charges import amount_rule, metadata_of, money_fields
from openarc.services.owners import require_customer
from openarc.services.paging import Page

TYPES = ("debit", "credit")
VALIDATED, SETTLED = "validated", "settled"
STATUSES = (VALIDATED, SETTLED, "rejected")
#: How long after an ACH charge the Python SDK's second, identical POST to /v1/charges is
#: answered with it (the SDK sends it at once; a minute allows for a slow network).
REPLAY_SECONDS = 60

RULES: dict[str, v.Text] = {
    "amount": amount_rule(required=True),
    "type": v.Text(v.one_of(*TYPES), required=True, message=v.IN),
    "sec_code": v.Text(v.one_of(*bank_accounts.SEC_CODES), required=True, message=v.IN),
    "currency": v.Text(v.one_of("usd"), message=v.IN),
    "receipt_email": v.Text(v.email, min=5, max=75, message="The {attr} field must be a valid email address."),
    "receipt_phone": v.Text(v.digits, min=2, max=11, numbers=True),
}
#: Fields that make a request an ACH request (and give an account inline).
ACCOUNT_FIELDS = ("account_number", "routing_number", "first_name", "last_name", "account_type")

#: What each field means, for the API reference (the ACH charge body and the ACHCharge object); an
#: inline account's fields are the bank account's (bank_accounts.DESCRIPTIONS).
DESCRIPTIONS: dict[str, str] = {
    "amount": "The amount, in cents: at least 50, at most 8 digits.",
    "type": "debit to take the amount from the account, credit to pay it into the account (how the SDKs "
            "refund an ACH charge).",
    "sec_code": "The NACHA Standard Entry Class code the entry is made under: CCD, PPD, TEL or WEB.",
    "currency": "The currency: usd.",
    "receipt_email": "An email address to send the receipt to.",
    "receipt_phone": "A phone number to text the receipt to (digits only).",
    "bank_account_id": "A saved bank account to debit or credit.",
    "customer_id": "A customer whose bank account is debited or credited (when no account is given inline).",
}
EXAMPLES: dict[str, object] = {
    "amount": 1500,
    "type": "debit",
    "sec_code": "WEB",
    "currency": "usd",
    "receipt_email": "customer@xyz.com",
    "receipt_phone": "541754301",
}


@dataclass(frozen=True, slots=True)
class AchCharge:
    id: int
    account_id: int
    customer_id: int | None
    bank_account_id: int | None
    bank_account: str  # the bank account (number masked) at charge time, as JSON
    amount: int
    type: str
    sec_code: str
    status: str
    authorization_id: int
    validation_code: int
    response_message: str
    receipt_email: str | None
    receipt_phone: str | None
    metadata: str
    created_by: str | None
    request_digest: str
    settles_at: int | None
    created_at: int
    updated_at: int

    def status_at(self, now: int) -> str:
        if self.status == VALIDATED and self.settles_at is not None and self.settles_at <= now:
            return SETTLED
        return self.status

    def bank_account_of(self) -> BankAccount:
        return BankAccount(**orjson.loads(self.bank_account))


@dataclass(frozen=True, slots=True)
class Source:
    """Decoded keys (0: given but unknown) or an inline account."""

    bank_account_id: int | None = None
    customer_id: int | None = None
    inline: dict[str, str | None] | None = None


COLUMNS = columns(AchCharge)
_SELECT = f"SELECT {COLUMNS} FROM ach_charges"
_INSERT = insert_returning_id("ach_charges", AchCharge)
_BANK_COLUMNS = columns(BankAccount)
_INSERT_BANK = insert_returning_id("bank_accounts", BankAccount)


def digest(key: bytes, body: Mapping[str, object]) -> str:
    """A keyed hash of a request body (which may hold an account number): equal bodies, equal digests."""
    return hmac.new(key, orjson.dumps(dict(body), option=orjson.OPT_SORT_KEYS), hashlib.sha256).hexdigest()


def is_ach_request(body: Mapping[str, object]) -> bool:
    """A body sent to /v1/charges that is an ACH request: no card source, and ACH fields."""
    card = any(v.given(body, name) for name in ("token_id", "card_number", "card_id"))
    ach = any(v.given(body, name) for name in ("sec_code", "bank_account_id", *ACCOUNT_FIELDS))
    return ach and not card


def clean(body: Mapping[str, object], *, bank_account_id: int | None,
          customer_id: int | None) -> tuple[dict[str, Any], Source]:
    values, errors = money_fields(RULES, body)
    inline = None
    if bank_account_id is None and (customer_id is None or any(v.given(body, n) for n in ACCOUNT_FIELDS)):
        # "Required if customer_id is not present" (PayArc's Create ACH Charge reference).
        try:
            inline = v.clean(bank_accounts.RULES, body, partial=False)
        except Invalid as exc:
            errors.update(exc.errors)
    try:
        values["metadata"] = metadata_of(body.get("metadata"))
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    values["amount"] = int(values["amount"])
    return values, Source(bank_account_id, customer_id, inline)


def create(account_id: int, values: Mapping[str, Any], source: Source, *, created_by: str,
           request_digest: str, now: int, cutoff_minutes: int) -> Steps[AchCharge]:
    """Debit or credit the source's account: steps for one write transaction."""
    bank, customer_id = yield from _bank_account(account_id, source, values["sec_code"], now=now)
    record: dict[str, Any] = {
        "account_id": account_id,
        "customer_id": customer_id,
        "bank_account_id": bank.id,
        "bank_account": orjson.dumps(asdict(bank)).decode(),
        "amount": values["amount"],
        "type": values["type"],
        "sec_code": values["sec_code"],
        "status": VALIDATED,
        "authorization_id": 100_000_000 + secrets.randbelow(900_000_000),
        "validation_code": 1000 + secrets.randbelow(9000),
        "response_message": "Approved",
        "receipt_email": values["receipt_email"],
        "receipt_phone": values["receipt_phone"],
        "metadata": orjson.dumps(values["metadata"]).decode(),
        "created_by": created_by,
        "request_digest": request_digest,
        "settles_at": lifecycle.next_cutoff(now, cutoff_minutes),
        "created_at": now,
        "updated_at": now,
    }
    # A replay digest is needed for REPLAY_SECONDS only; older ones are blanked, so that the
    # keyed hash of a body that held an account number does not outlive its use.
    yield Run("UPDATE ach_charges SET request_digest = '' WHERE account_id = :account_id "
              "AND created_at < :since AND request_digest <> ''",
              {"account_id": account_id, "since": now - REPLAY_SECONDS})
    return AchCharge(id=(yield One(_INSERT, record))[0], **record)


def _bank_account(account_id: int, source: Source, sec_code: str, *,
                  now: int) -> Steps[tuple[BankAccount, int | None]]:
    customer_id = source.customer_id
    yield from require_customer(account_id, customer_id)
    mine: dict[str, Any] = {"account_id": account_id}
    if source.bank_account_id is not None:
        row = yield One(f"SELECT {_BANK_COLUMNS} FROM bank_accounts WHERE id = :id AND account_id = :account_id",
                      {**mine, "id": source.bank_account_id})
        if row is None:
            raise NotFound("No such bank account: bank_account_id.")
        bank = BankAccount(*row)
        return bank, customer_id if customer_id is not None else bank.customer_id
    if source.inline is not None:
        values = dict(source.inline)
        values["account_number"] = bank_accounts.mask(values["account_number"] or "")
        values["sec_code"] = values["sec_code"] or sec_code
        record: dict[str, Any] = {**values, **mine, "customer_id": None, "is_default": 0, "created_at": now,
                                  "updated_at": now}
        return BankAccount(id=(yield One(_INSERT_BANK, record))[0], **record), customer_id
    row = yield One(f"SELECT {_BANK_COLUMNS} FROM bank_accounts WHERE customer_id = :customer_id "
                  "AND account_id = :account_id ORDER BY is_default DESC, id LIMIT 1",
                  {**mine, "customer_id": customer_id})
    if row is None:
        raise Conflict("The customer has no bank account: attach one, or send the account's fields.")
    return BankAccount(*row), customer_id


def replayed(account_id: int, request_digest: str, *, now: int) -> Steps[AchCharge]:
    """The ACH charge made moments ago from an identical body (see ``REPLAY_SECONDS``): how
    ``POST /v1/charges`` answers an ACH body.  The Python SDK (1.7.9) posts every ACH charge to
    /v1/achcharges and then the same body to /v1/charges, and returns the second answer; so
    it returns the ACH charge, and nobody is debited twice.  Any other ACH body is refused."""
    row = yield One(f"{_SELECT} WHERE account_id = :account_id AND request_digest = :digest "
                    "AND created_at >= :since ORDER BY id DESC LIMIT 1",
                    {"account_id": account_id, "digest": request_digest, "since": now - REPLAY_SECONDS})
    if row is None:
        raise Invalid.one("sec_code", "ACH charges are made with POST /v1/achcharges.")
    return AchCharge(*row)


def found(account_id: int, ach_charge_id: int) -> Steps[AchCharge]:
    row = yield One(f"{_SELECT} WHERE id = :id AND account_id = :account_id",
                    {"id": ach_charge_id, "account_id": account_id})
    if row is None:
        raise NotFound()
    return AchCharge(*row)


def page_of(account_id: int, *, customer_id: int | None, filters: Mapping[str, object], per_page: int,
            number: int, now: int) -> Steps[Page[AchCharge]]:
    """Newest first; ``customer_id`` is a decoded key (0: given but unknown)."""
    where = ["account_id = :account_id"]
    params: dict[str, Any] = {"account_id": account_id}
    if customer_id is not None:
        where.append("customer_id = :customer_id")
        params["customer_id"] = customer_id
    status = filters.get("status")
    if status not in (None, "") and status not in STATUSES:
        raise Invalid.one("status", f"The status must be one of: {', '.join(STATUSES)}.")
    if status not in (None, ""):
        where.append("(CASE WHEN status = 'validated' AND settles_at <= :now THEN 'settled' ELSE status END) = :status")
        params |= {"status": str(status), "now": now}
    clause = " AND ".join(where)
    total = (yield One(f"SELECT count(*) FROM ach_charges WHERE {clause}", params))[0]
    rows: Sequence[Sequence[Any]] = []
    if (number - 1) * per_page < total:
        rows = yield Many(f"{_SELECT} WHERE {clause} ORDER BY id DESC LIMIT :limit OFFSET :offset",
                          {**params, "limit": per_page, "offset": (number - 1) * per_page})
    return Page([AchCharge(*row) for row in rows], total, per_page, number)


def settle(account_id: int, *, now: int) -> Steps[int]:
    """Settle the merchant's validated ACH charges now (sandbox)."""
    return (yield Run("UPDATE ach_charges SET status = 'settled', settles_at = :now, updated_at = :now "
                      "WHERE account_id = :account_id AND status = 'validated'", {"account_id": account_id, "now": now}))
