"""The card charge lifecycle: which statuses exist, which moves are allowed, and what
time does to a charge.

    create capture=1 ──► submitted_for_settlement ──cut-off──► settled ──refund──► partial_refund ─► refunded
    create capture=0 ──► authorized ──capture──► submitted_for_settlement (partially_… for less)
                           ├── void ──► void            (also: a refund before settlement voids)
                           └── 7 days ──► authorization_expired
    declined ──► (a human status such as "Declined"; nothing moves it)

Time moves a charge without a write: a captured charge stores when it settles (the first
daily cut-off after its capture) and an authorization when it expires, and its status is
worked out from those and the (sandbox) clock wherever it is read, listed or changed.
So a frozen or advanced clock, a restart and a second node all agree.  ``status_at``
(Python, for reads) and ``STATUS_SQL`` (for filters and conditional writes) are the same
rule written twice, side by side; ``tests/test_charges.py`` checks that they agree.
"""

from __future__ import annotations

AUTHORIZED = "authorized"
SUBMITTED = "submitted_for_settlement"
PARTIALLY_SUBMITTED = "partially_submitted_for_settlement"
SETTLED = "settled"
VOID = "void"
PARTIAL_REFUND = "partial_refund"
REFUNDED = "refunded"
EXPIRED = "authorization_expired"

#: Captured, waiting for the cut-off.
UNSETTLED = (SUBMITTED, PARTIALLY_SUBMITTED)
#: Every status a charge can have that is not a decline's human text.
STATUSES = (AUTHORIZED, SUBMITTED, PARTIALLY_SUBMITTED, SETTLED, VOID, PARTIAL_REFUND, REFUNDED, EXPIRED)

DAY = 86_400
#: "Uncaptured charges expire in seven days" (PayArc's Create a Charge reference).
AUTHORIZATION_SECONDS = 7 * DAY


def status_at(stored: str, settles_at: int | None, expires_at: int | None, now: int) -> str:
    """The status a charge has at ``now``."""
    if stored in UNSETTLED and settles_at is not None and settles_at <= now:
        return SETTLED
    if stored == AUTHORIZED and expires_at is not None and expires_at <= now:
        return EXPIRED
    return stored


#: ``status_at`` in SQL, over the charges row ``ch`` and the parameter ``:now``.
STATUS_SQL = (
    "(CASE WHEN ch.status IN ('submitted_for_settlement', 'partially_submitted_for_settlement') "
    "AND ch.settles_at <= :now THEN 'settled' "
    "WHEN ch.status = 'authorized' AND ch.expires_at <= :now THEN 'authorization_expired' "
    "ELSE ch.status END)"
)

#: Conditions on a charges row (no alias) that hold at ``:now``.
IS_VOIDABLE = (
    "((status = 'authorized' AND expires_at > :now) "
    "OR (status IN ('submitted_for_settlement', 'partially_submitted_for_settlement') AND settles_at > :now))"
)
IS_REFUNDABLE = (
    "(status IN ('settled', 'partial_refund') "
    "OR (status IN ('submitted_for_settlement', 'partially_submitted_for_settlement') AND settles_at <= :now))"
)
IS_CAPTURABLE = "(status = 'authorized' AND expires_at > :now)"


def next_cutoff(now: int, cutoff_minutes: int) -> int:
    """The first daily settlement cut-off (``cutoff_minutes`` after 00:00 UTC) after ``now``."""
    cutoff = now - now % DAY + cutoff_minutes * 60
    return cutoff if cutoff > now else cutoff + DAY
