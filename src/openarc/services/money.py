"""Every change to a charge's money: capture, void, refund, settlement.

Each change is one conditional UPDATE that the database checks (the charge's status
at ``:now`` and its amounts), written as steps (db.steps) for one write transaction
(``AppContext.transaction``); the Refund row is written in the same one.  No rows changed means the move is not allowed: only then
is the charge read, to say why (404, 409 or 422).  So concurrent refunds can never
refund more than was captured, on either engine: SQLite serialises writers, and
PostgreSQL re-checks the WHERE clause on the locked row before updating it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openarc.db.steps import One, Run, Steps
from openarc.errors import Conflict, Invalid, NotFound
from openarc.services import lifecycle
from openarc.services import validation as v
from openarc.services.charges import YES_NO, Charge, amount_rule, found

REASONS = ("requested_by_customer", "fraudulent", "duplicate", "other")

CAPTURE_RULES: dict[str, v.Text] = {
    "amount": amount_rule(required=False),
    "tip_amount": amount_rule(required=False),
}
VOID_RULES: dict[str, v.Text] = {
    "reason": v.Text(v.one_of(*REASONS), required=True, message=v.IN),
    "void_description": v.Text(v.printable, min=5, max=190),
}
#: Text a refund or void keeps and shows: never a card number.
FREE_TEXT = ("void_description", "description")
REFUND_RULES: dict[str, v.Text] = {
    "amount": amount_rule(required=False),
    "reason": v.Text(v.one_of(*REASONS), message=v.IN),
    "description": v.Text(v.printable, min=5, max=190),
    "do_not_send_email_to_customer": v.Text(v.one_of(*YES_NO), message=v.IN),
    "do_not_send_sms_to_customer": v.Text(v.one_of(*YES_NO), message=v.IN),
}

#: What each field of a capture, a void and a refund means, for the API reference.
CAPTURE_DESCRIPTIONS: dict[str, str] = {
    "amount": "The amount to capture, in cents: at most what was authorized (the default: all of it).",
    "tip_amount": "A tip, in cents, captured with the amount (which is then required).",
}
VOID_DESCRIPTIONS: dict[str, str] = {
    "reason": "Why: requested_by_customer, fraudulent, duplicate or other.",
    "void_description": "A note on the void, 5 to 190 characters.",
}
REFUND_DESCRIPTIONS: dict[str, str] = {
    "amount": "The amount to refund, in cents: at most what remains (the default: all of it).",
    "reason": "Why: requested_by_customer, fraudulent, duplicate or other.",
    "description": "A note on the refund, 5 to 190 characters.",
    "do_not_send_email_to_customer": "yes not to email the customer about the refund, no to email them.",
    "do_not_send_sms_to_customer": "yes not to text the customer about the refund, no to text them.",
}
#: A capture, a void and a refund of a 1500-cent charge.
CAPTURE_EXAMPLES: dict[str, object] = {"amount": 1500, "tip_amount": 200}
VOID_EXAMPLES: dict[str, object] = {"reason": "requested_by_customer", "void_description": "Ordered twice by mistake"}
REFUND_EXAMPLES: dict[str, object] = {
    "amount": 500, "reason": "requested_by_customer", "description": "Two donuts were missing",
    "do_not_send_email_to_customer": "no", "do_not_send_sms_to_customer": "yes",
}

#: PayArc's words (its real 409 bodies), trailing spaces and all.
NOT_REFUNDABLE = "Amount requested is not available for Refund  "
NOT_REVERSIBLE = "Reversal Not Allowed."
ALREADY_CAPTURED = "Cannot initiate capture as charge is already captured"


def _cents(values: Mapping[str, str | None], name: str) -> int | None:
    value = values.get(name)
    return None if value is None else int(value)


def _clean(account_id: int, charge_id: int, rules: v.Rules, body: Mapping[str, object]) -> Steps[dict[str, Any]]:
    """``body`` by ``rules``; but another merchant's (or no) charge is a 404 before any 422,
    so what a request says never matters for a charge that is not the merchant's."""
    try:
        values = v.clean(rules, body, partial=False)
        v.refuse_card_numbers(values, FREE_TEXT)
        return values
    except Invalid:
        yield from found(account_id, charge_id)  # NotFound
        raise


def capture(account_id: int, charge_id: int, body: Mapping[str, object], *, now: int,
            cutoff_minutes: int) -> Steps[Charge]:
    """Capture an authorization, in full or (``amount``) in part."""
    values = yield from _clean(account_id, charge_id, CAPTURE_RULES, body)
    amount, tip = _cents(values, "amount"), _cents(values, "tip_amount")
    if tip is not None and amount is None:
        raise Invalid.one("amount", "The amount field is required when tip amount is present.")
    changed = yield Run(
        "UPDATE charges SET captured = 1, "
        "amount_captured = COALESCE(CAST(:amount AS BIGINT), amount_approved), "
        "status = CASE WHEN COALESCE(CAST(:amount AS BIGINT), amount_approved) < amount_approved "
        "THEN 'partially_submitted_for_settlement' ELSE 'submitted_for_settlement' END, "
        "tip_amount = COALESCE(CAST(:tip AS BIGINT), tip_amount), "
        "settles_at = :settles_at, expires_at = NULL, updated_at = :now "
        f"WHERE id = :id AND account_id = :account_id AND {lifecycle.IS_CAPTURABLE} "
        "AND COALESCE(CAST(:amount AS BIGINT), amount_approved) BETWEEN 1 AND amount_approved",
        {"id": charge_id, "account_id": account_id, "now": now, "amount": amount, "tip": tip,
         "settles_at": lifecycle.next_cutoff(now, cutoff_minutes)},
    )
    charge = yield from found(account_id, charge_id)
    if changed:
        return charge
    status = charge.status_at(now)
    if status == lifecycle.AUTHORIZED and amount == 0:
        raise Invalid.one("amount", "The amount field must be at least 1.")
    if status == lifecycle.AUTHORIZED:  # only the amount can have been wrong: more than this charge holds
        raise Conflict(f"The amount to capture ({amount}) is greater than the authorized amount "
                       f"({charge.amount_approved}).")
    if charge.captured:
        raise Conflict(ALREADY_CAPTURED)
    raise Conflict(f"Cannot initiate capture as charge is {status}.")


def void(account_id: int, charge_id: int, body: Mapping[str, object], *, now: int) -> Steps[Charge]:
    """Void a charge that has not settled: nothing of it will move."""
    values = yield from _clean(account_id, charge_id, VOID_RULES, body)
    yield from _void(account_id, charge_id, values["reason"], values["void_description"], now=now)
    return (yield from found(account_id, charge_id))


def _void(account_id: int, charge_id: int, reason: str | None, description: str | None, *,
          now: int) -> Steps[None]:
    changed = yield Run(
        "UPDATE charges SET status = 'void', "
        "amount_voided = CASE WHEN captured = 1 THEN amount_captured ELSE amount_approved END, "
        "void_reason = :reason, void_description = :description, settles_at = NULL, expires_at = NULL, "
        f"updated_at = :now WHERE id = :id AND account_id = :account_id AND {lifecycle.IS_VOIDABLE}",
        {"id": charge_id, "account_id": account_id, "now": now, "reason": reason, "description": description},
    )
    if not changed:
        yield from found(account_id, charge_id)  # NotFound when it is not the merchant's
        raise Conflict(NOT_REVERSIBLE)


def refund(account_id: int, charge_id: int, body: Mapping[str, object], *, now: int) -> Steps[Charge]:
    """Refund ``amount`` (default: what remains) of a settled charge.

    A charge that has not settled cannot be refunded, only voided: as PayArc's sandbox does
    today, a refund of it voids the whole charge, whatever the amount asked.
    """
    values = yield from _clean(account_id, charge_id, REFUND_RULES, body)
    amount = _cents(values, "amount")
    params: dict[str, Any] = {"id": charge_id, "account_id": account_id, "now": now}
    if amount is None:
        # What remains, read now; the UPDATE below still checks it, so a refund that lands
        # in between makes this one a 409, never an over-refund.
        row = yield One("SELECT amount_captured - amount_refunded FROM charges WHERE id = :id "
                        "AND account_id = :account_id", params)
        if row is None:
            raise NotFound()
        amount = int(row[0])
    params |= {"amount": amount, "reason": values["reason"], "description": values["description"]}
    refunded = yield One(
        "UPDATE charges SET amount_refunded = amount_refunded + :amount, "
        "status = CASE WHEN amount_refunded + :amount = amount_captured THEN 'refunded' ELSE 'partial_refund' END, "
        "refund_reason = :reason, refund_description = :description, updated_at = :now "
        f"WHERE id = :id AND account_id = :account_id AND {lifecycle.IS_REFUNDABLE} "
        "AND :amount > 0 AND amount_refunded + :amount <= amount_captured RETURNING status",
        params,
    )
    if refunded is not None:
        yield Run(
            "INSERT INTO refunds (account_id, charge_id, amount, status, reason, description, "
            "do_not_send_email_to_customer, do_not_send_sms_to_customer, created_at, updated_at) "
            "VALUES (:account_id, :id, :amount, :status, :reason, :description, :email, :sms, :now, :now)",
            {**params, "status": refunded[0],
             "email": int(values["do_not_send_email_to_customer"] == "yes"),
             "sms": int(values["do_not_send_sms_to_customer"] == "yes")},
        )
        return (yield from found(account_id, charge_id))
    try:
        yield from _void(account_id, charge_id, values["reason"] or "requested_by_customer", values["description"],
                         now=now)
    except Conflict:
        raise Conflict(NOT_REFUNDABLE) from None  # neither refundable nor voidable (NotFound passes through)
    return (yield from found(account_id, charge_id))


def settle(account_id: int, *, now: int) -> Steps[int]:
    """Settle the merchant's captured charges now, without waiting for the cut-off (sandbox)."""
    return (yield Run(
        "UPDATE charges SET status = 'settled', settles_at = :now, updated_at = :now "
        "WHERE account_id = :account_id AND status IN ('submitted_for_settlement', 'partially_submitted_for_settlement')",
        {"account_id": account_id, "now": now},
    ))
