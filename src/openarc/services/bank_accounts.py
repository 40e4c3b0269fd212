"""Bank accounts, optionally bound to a customer.

The account number is stored and returned masked (all but its last four digits
replaced by ``X``): OpenArc moves no money, so it never needs the full number,
and a registry that does not hold it cannot leak it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from openarc.db import Database
from openarc.db.steps import Steps, by_customer
from openarc.db.tables import bank_accounts, inserted_id
from openarc.errors import NotFound
from openarc.services import validation as v
from openarc.services.owners import lock_customer

ACCOUNT_TYPES = ("Personal Checking", "Personal Savings", "Business Checking", "Business Savings")
SEC_CODES = ("CCD", "PPD", "TEL", "WEB")


RULES: dict[str, v.Text] = {
    "account_number": v.Text(
        v.digits, min=3, max=17, required=True, numbers=True,
        size_message="The {attr} field must be between {min} and {max} digits.",
    ),
    "routing_number": v.Text(
        v.digits, min=9, max=9, required=True, numbers=True, size_message="The {attr} field must be 9 digits.",
    ),
    "first_name": v.Text(v.alphanumeric_words, min=2, max=50, required=True),
    "last_name": v.Text(v.alphanumeric_words, min=2, max=50, required=True),
    "company_name": v.Text(v.printable, min=2, max=100),
    "account_type": v.Text(v.one_of(*ACCOUNT_TYPES), required=True, message=v.IN),
    "sec_code": v.Text(v.one_of(*SEC_CODES), message=v.IN),
}

#: What each field means, for the API reference (the bank account and ACH charge bodies, and the
#: BankAccount object).
DESCRIPTIONS: dict[str, str] = {
    "account_number": "The account number, 3 to 17 digits. Stored and returned masked: every digit but the "
                      "last four is X.",
    "routing_number": "The bank's ABA routing number, 9 digits.",
    "first_name": "The account holder's first name.",
    "last_name": "The account holder's last name.",
    "company_name": "The account holder's company, for a business account.",
    "account_type": "Personal Checking, Personal Savings, Business Checking or Business Savings.",
    "sec_code": "The NACHA Standard Entry Class code debits of this account are made under: CCD (business), "
                "PPD (personal, written authorization), TEL (telephone) or WEB (internet).",
    "customer_id": "A customer to save the bank account to.",
}
#: The bank account of the PayArc SDK's sample.
EXAMPLES: dict[str, object] = {
    "account_number": "123432575352",
    "routing_number": "123345349",
    "first_name": "John III",
    "last_name": "LastName III",
    "company_name": "Donut Shop LLC",
    "account_type": "Personal Savings",
    "sec_code": "WEB",
}


@dataclass(frozen=True, slots=True)
class BankAccount:
    id: int
    account_id: int
    customer_id: int | None
    first_name: str
    last_name: str
    company_name: str | None
    account_type: str
    sec_code: str | None
    routing_number: str
    account_number: str
    is_default: int
    created_at: int
    updated_at: int


def mask(number: str) -> str:
    return "X" * (len(number) - 4) + number[-4:] if len(number) > 4 else "X" * len(number)


def create(
    db: Database, account_id: int, body: Mapping[str, object], *, customer_id: int | None, now: int
) -> BankAccount:
    """``customer_id`` is the decoded key, or None; an unknown one is refused by field."""
    values = v.clean(RULES, body, partial=False)
    values["account_number"] = mask(values["account_number"] or "")
    with db.write() as conn:
        is_default = 0
        if customer_id is not None:
            if not lock_customer(conn, account_id, customer_id):
                raise NotFound("No such customer: customer_id.")
            has_default = conn.execute(
                select(bank_accounts.c.id).where(bank_accounts.c.customer_id == customer_id, bank_accounts.c.is_default == 1)
            ).first()
            is_default = 0 if has_default else 1
        record: dict[str, Any] = {**values, "account_id": account_id, "customer_id": customer_id, "is_default": is_default,
                  "created_at": now, "updated_at": now}
        key = inserted_id(conn.execute(bank_accounts.insert().values(record)))
    return BankAccount(id=key, **record)


def delete(db: Database, account_id: int, bank_account_id: int) -> None:
    with db.write() as conn:
        gone = conn.execute(
            bank_accounts.delete().where(bank_accounts.c.id == bank_account_id, bank_accounts.c.account_id == account_id)
        ).rowcount
    if not gone:
        raise NotFound()


def of_customers(customer_ids: Sequence[int]) -> Steps[dict[int, list[BankAccount]]]:
    return by_customer("bank_accounts", BankAccount, customer_ids)
