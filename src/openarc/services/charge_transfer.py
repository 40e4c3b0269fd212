"""A merchant's card charges, with their refunds, out and in as JSON lines.

One line a charge, oldest first: its fields as stored (amounts in cents, Unix times,
status as last written), its card's safe parts (never a number: there is none to
export), its refunds, and its customer by id and by email.  Import recreates each charge
for the importing merchant, linking it to the customer the id names when that customer
is the merchant's (same installation), else to the merchant's oldest customer with that
email, else to none.  A charge already there (same ``host_reference_number`` and
``created_at``) is skipped, so importing a file twice changes nothing.  A line that
fails its checks is reported with its number and imported nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import IO, Any

import orjson

from openarc.db import Database
from openarc.db.raw import Raw
from openarc.db.steps import Many, Steps, run
from openarc.errors import Invalid
from openarc.services import cards, lifecycle, triggers
from openarc.services.charges import COLUMNS, INSERT, MARK_CUSTOMER, Charge, of_charges

#: Charge fields carried as they are (the rest: ids, the card, echo, metadata, refunds).
SCALARS = tuple(f.name for f in fields(Charge)
                if f.name not in ("id", "account_id", "customer_id", "card_id", "card", "echo", "metadata", "refunds"))
INTEGERS = ("amount", "amount_approved", "amount_captured", "amount_refunded", "amount_voided", "tip_amount",
            "surcharge", "captured", "do_not_send_email_to_customer", "do_not_send_sms_to_customer", "created_at",
            "updated_at")
OPTIONAL_INTEGERS = ("settles_at", "expires_at")
CARD_FIELDS = tuple(f.name for f in fields(cards.Card) if f.name not in ("id", "account_id", "customer_id"))
REFUND_FIELDS = ("amount", "status", "reason", "description", "do_not_send_email_to_customer",
                 "do_not_send_sms_to_customer", "created_at", "updated_at")
#: Statuses a stored charge can have: the lifecycle's and the declines' human texts.
STATUSES = frozenset((*lifecycle.STATUSES, *(d.status for d in triggers.DECLINES.values())))
_MAX = 2**53


# ---------------------------------------------------------------------------- export


def export(account_id: int, charge_id: Callable[[int], str], customer_id: Callable[[int], str], *,
           after: int = 0, batch: int = 500) -> Steps[tuple[list[dict[str, Any]], int]]:
    """One batch of the merchant's charges after key ``after``, oldest first, as records; and
    the last key read (0 when there are no more)."""
    rows = yield Many(
        f"SELECT {COLUMNS}, (SELECT email FROM customers WHERE id = ch.customer_id) FROM charges ch "
        "WHERE account_id = :account_id AND id > :after ORDER BY id LIMIT :batch",
        {"account_id": account_id, "after": after, "batch": batch},
    )
    emails = {row[0]: row[-1] for row in rows}
    found = yield from of_charges([row[:-1] for row in rows])
    records = [_record(c, emails[c.id], charge_id, customer_id) for c in found]
    return records, (found[-1].id if len(found) == batch else 0)


def _record(c: Charge, email: str | None, charge_id: Callable[[int], str],
            customer_id: Callable[[int], str]) -> dict[str, Any]:
    card = {k: v for k, v in asdict(c.card_of()).items() if k in CARD_FIELDS}
    return {
        "id": charge_id(c.id),
        "customer_id": None if c.customer_id is None else customer_id(c.customer_id),
        "customer_email": email,
        **{name: getattr(c, name) for name in SCALARS},
        "card": card,
        "echo": json.loads(c.echo),
        "metadata": json.loads(c.metadata),
        "refunds": [{name: getattr(r, name) for name in REFUND_FIELDS} for r in c.refunds],
    }


# ---------------------------------------------------------------------------- import


@dataclass
class Report:
    imported: int = 0
    skipped: int = 0
    rejected: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)


def _integer(record: Mapping[str, Any], name: str, problems: dict[str, list[str]], *, optional: bool = False) -> None:
    value = record.get(name)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX:
        problems[name] = [f"The {name} field must be a non-negative integer."]


def _text(value: object, limit: int) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= limit and "\x00" not in value)


def check(record: Mapping[str, Any]) -> None:
    """``Invalid`` naming every field of a charge record that cannot be stored as it is."""
    problems: dict[str, list[str]] = {}
    if not isinstance(record, Mapping):
        raise Invalid.one("row", "The line must be a JSON object.")
    for name in INTEGERS:
        _integer(record, name, problems)
    for name in OPTIONAL_INTEGERS:
        _integer(record, name, problems, optional=True)
    if record.get("status") not in STATUSES:
        problems["status"] = ["The status field must be one of OpenArc's charge statuses."]
    for name in SCALARS:
        if name not in INTEGERS and name not in OPTIONAL_INTEGERS and name != "status" and not _text(record.get(name), 255):
            problems[name] = [f"The {name} field must be text of at most 255 characters, or null."]
    for name in ("card_level", "card_source"):
        if not isinstance(record.get(name), str):
            problems[name] = [f"The {name} field is required."]
    if not problems:
        refunded, captured = record["amount_refunded"], record["amount_captured"]
        if not (refunded <= captured <= record["amount"]):
            problems["amount_refunded"] = ["The amounts must satisfy amount_refunded <= amount_captured <= amount."]
    _check_card(record.get("card"), problems)
    refunds = record.get("refunds")
    if not isinstance(refunds, list) or not all(isinstance(r, Mapping) for r in refunds):
        problems["refunds"] = ["The refunds field must be a list of refund objects."]
    elif "amount_refunded" not in problems and isinstance(record.get("amount_refunded"), int):
        for refund in refunds:
            for name in ("amount", "created_at", "updated_at"):
                _integer(refund, name, problems)
            if not isinstance(refund.get("status"), str) or not _text(refund.get("reason"), 32) or not _text(
                    refund.get("description"), 255):
                problems["refunds"] = ["Each refund needs a status, and text reason and description."]
        if "refunds" not in problems and "amount" not in problems and sum(r["amount"] for r in refunds) != record[
                "amount_refunded"]:
            problems["refunds"] = ["The refunds must add up to amount_refunded."]
    for name in ("echo", "metadata"):
        value = record.get(name, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            problems[name] = [f"The {name} field must be an object of text values."]
    if problems:
        raise Invalid(problems)


def _check_card(card: object, problems: dict[str, list[str]]) -> None:
    if not isinstance(card, Mapping):
        problems["card"] = ["The card field must be an object."]
        return
    last4, first6 = card.get("last4"), card.get("first6")
    if not (isinstance(last4, str) and len(last4) == 4 and last4.isdigit()
            and isinstance(first6, int) and 100_000 <= first6 <= 999_999
            and isinstance(card.get("brand"), str) and isinstance(card.get("fingerprint"), str)
            and isinstance(card.get("exp_month"), str) and isinstance(card.get("exp_year"), str)):
        problems["card"] = ["The card needs brand, first6, last4, exp_month, exp_year and fingerprint."]
    elif any(isinstance(v, str) and sum(ch.isdigit() for ch in v) >= 12 for v in card.values()):
        # A file is not a way in for a card number: no field of a card may carry one.
        problems["card"] = ["The card must not hold a card number."]


def import_one(raw: Raw, account_id: int, record: Mapping[str, Any], *,
               customer_key: Callable[[str], int | None]) -> bool:
    """Store one checked record for the merchant, in the caller's transaction; False when
    the charge is already there."""
    exists = raw.one("SELECT 1 FROM charges WHERE account_id = :account_id AND created_at = :created_at AND "
                     "(host_reference_number = :reference OR (host_reference_number IS NULL AND :reference IS NULL))",
                     {"account_id": account_id, "reference": record.get("host_reference_number"),
                      "created_at": record["created_at"]})
    if exists is not None:
        return False
    customer_id = _customer(raw, account_id, record, customer_key)
    card = {name: record["card"].get(name) for name in CARD_FIELDS}
    card_record = {**card, "account_id": account_id, "customer_id": None, "is_default": 0}
    charge = {
        **{name: record.get(name) for name in SCALARS},
        "account_id": account_id,
        "customer_id": customer_id,
        "card_id": None,
        "card": json.dumps({"id": 0, "account_id": account_id, "customer_id": customer_id,
                            **{k: v for k, v in card_record.items() if k not in ("account_id", "customer_id")}}),
        "echo": json.dumps(record.get("echo") or {}),
        "metadata": json.dumps(record.get("metadata") or {}),
    }
    if customer_id is not None:
        raw.run(MARK_CUSTOMER, {"id": customer_id})
    key = raw.value(INSERT, charge)
    for refund in record["refunds"]:
        raw.run(
            "INSERT INTO refunds (account_id, charge_id, amount, status, reason, description, "
            "do_not_send_email_to_customer, do_not_send_sms_to_customer, created_at, updated_at) VALUES "
            "(:account_id, :charge_id, :amount, :status, :reason, :description, :email, :sms, :created_at, :updated_at)",
            {"account_id": account_id, "charge_id": key, "amount": refund["amount"], "status": refund["status"],
             "reason": refund.get("reason"), "description": refund.get("description"),
             "email": int(bool(refund.get("do_not_send_email_to_customer"))),
             "sms": int(bool(refund.get("do_not_send_sms_to_customer"))),
             "created_at": refund["created_at"], "updated_at": refund["updated_at"]},
        )
    return True


def _customer(raw: Raw, account_id: int, record: Mapping[str, Any],
              customer_key: Callable[[str], int | None]) -> int | None:
    public = record.get("customer_id")
    key = customer_key(public) if isinstance(public, str) else None
    if key is not None and raw.one("SELECT 1 FROM customers WHERE id = :id AND account_id = :account_id",
                                   {"id": key, "account_id": account_id}) is not None:
        return key
    email = record.get("customer_email")
    if isinstance(email, str) and email:
        row = raw.one("SELECT id FROM customers WHERE account_id = :account_id AND email = :email ORDER BY id LIMIT 1",
                      {"account_id": account_id, "email": email})
        if row is not None:
            return int(row[0])
    return None


def lines(stream: Iterable[str]) -> Iterator[tuple[int, object]]:
    """(line number, parsed JSON or the reason it is not) for each non-blank line."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError:
            yield number, Invalid.one("row", "The line is not valid JSON.")



def import_charges(db: Database, account_id: int, stream: Iterable[str], *,
                   customer_key: Callable[[str], int | None], dry_run: bool = False) -> Report:
    """Each valid line in its own transaction; every invalid one reported by number."""
    report = Report()
    for number, record in lines(stream):
        try:
            if isinstance(record, Invalid):
                raise record
            check(record)  # type: ignore[arg-type]
        except Invalid as exc:
            report.rejected.append((number, exc.errors))
            continue
        if dry_run:
            report.imported += 1
            continue
        with db.raw.write() as raw:
            done = import_one(raw, account_id, record, customer_key=customer_key)  # type: ignore[arg-type]
        if done:
            report.imported += 1
        else:
            report.skipped += 1
    return report


def export_charges(db: Database, account_id: int, charge_id: Callable[[int], str],
                   customer_id: Callable[[int], str]) -> Iterator[dict[str, Any]]:
    """Every charge of the merchant, oldest first, read in batches."""
    after = -1
    while after:
        with db.raw.autocommit() as raw:
            records, after = run(raw, export(account_id, charge_id, customer_id, after=max(after, 0)))
        yield from records


def write(out: IO[str], records: Iterable[Mapping[str, Any]]) -> int:
    """Write charge records as JSON lines; how many."""
    count = 0
    for record in records:
        out.write(orjson.dumps(record).decode() + "\n")
        count += 1
    return count
