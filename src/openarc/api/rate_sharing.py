"""The rate limit's sharing: a serving process's counts added to every other's, a few times a second.

``services.ratelimit`` says how a budget is counted; this loop, started with the app and
stopped with it, is what makes it one budget across every worker and node of a database.
"""

from __future__ import annotations

import asyncio
import logging
import time

from openarc.context import AppContext
from openarc.services import ratelimit

log = logging.getLogger(__name__)


async def share_counts(limiter: ratelimit.RateLimiter, ctx: AppContext,
                       every: float = ratelimit.SHARE_EVERY_SECONDS) -> None:
    """Forever: add what this process counted to the shared counts, and learn the others'.
    A database that cannot be reached leaves the counts to the next turn (and the budget to
    this process's own counting meanwhile); it never fails a request."""
    failing = False
    while True:
        await asyncio.sleep(every)
        shares = limiter.to_share(time.time())
        if not shares:
            continue
        try:
            totals = await ctx.call(ratelimit.add_counts, ctx.db, shares, now=time.time())
        except Exception:  # logged once per outage, retried next turn
            limiter.unshare(shares)
            if not failing:
                log.warning("rate-limit counts could not be shared; counting in this process only", exc_info=True)
            failing = True
            continue
        failing = False
        limiter.shared(shares, totals)
