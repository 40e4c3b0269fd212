"""Sandbox test cards whose charges are declined, and how.

PayArc publishes no decline triggers (its sandbox approves its test cards and declines
at random now and then), so OpenArc defines its own, by card number, so that no
everyday test amount or card hits one by accident.  A trigger card tokenizes and
attaches to customers like any other card; every charge on it is declined.  The card
number is never kept: tokenization records which trigger it was (``cards.outcome``).

Two forms, both seen from PayArc: most declines answer HTTP 422 with the decline in
``data`` (and store the declined charge, so it is listed); one answers 2xx with the
declined charge itself, as PayArc's sandbox does for a system error.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decline:
    #: The stored charge's ``status`` (PayArc's human text).
    status: str
    failure_code: str
    failure_message: str
    host_response_code: str
    #: The 422 error's ``message``; None: answered 2xx with the declined charge.
    error: str | None


#: Card number -> trigger code (what ``cards.outcome`` keeps).  README lists them.
CARDS: dict[str, str] = {
    "4000000000000341": "D2026",
    "4000000000009953": "D2012",
    "4000000000000069": "D2011",
    "4000000000000119": "D2020",
    "4000000000000259": "D0092",
    "4000000000000044": "E0911",
}

DECLINES: dict[str, Decline] = {
    "D2026": Decline("Declined", "D2026", "Do not honor", "05", "Do Not Honor"),
    "D2012": Decline("Insufficient Funds", "D2012", "Withdrawal Limit exceeded", "51", "Insufficient Funds"),
    "D2011": Decline("Expired Card", "D2011", "Expired Card", "54", "Expired Card"),
    "D2020": Decline("Invalid CVV", "D2020", "CVV2 verification failed", "N7", "Invalid CVV"),
    "D0092": Decline("Re-enter transaction", "D0092", "Re-enter transaction", "19", "Re-enter transaction"),
    "E0911": Decline("Bad Request - Try Again", "E0911", "SystemError", "96", None),
}


def outcome_of(number: str) -> str | None:
    """The trigger a card number carries, for ``cards.outcome``; None for every other card."""
    return CARDS.get(number)


def decline_of(outcome: str | None) -> Decline | None:
    return None if outcome is None else DECLINES.get(outcome)
