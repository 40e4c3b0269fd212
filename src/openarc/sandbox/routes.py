"""``/_openarc/…``: the sandbox controls, each authenticated with the merchant's bearer key.

    POST   /_openarc/reset           wipe the merchant's data and log entries; reset its clock
    GET    /_openarc/requests        the merchant's last requests and responses, newest first (?limit=)
    DELETE /_openarc/requests        forget them
    GET    /_openarc/clock           {"now", "frozen", "offset"}
    POST   /_openarc/clock/freeze    {"at": unix seconds} (default: now)
    POST   /_openarc/clock/advance   {"seconds": n}
    POST   /_openarc/clock/reset     back to the wall clock
    POST   /_openarc/settle          settle the merchant's captured charges and ACH charges now, without the cut-off

Every control acts on the calling merchant only: its data, its log entries, its clock.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openarc.api import bodies
from openarc.api.auth import account_of
from openarc.api.errors import json_response
from openarc.api.routes import ctx_of, resource
from openarc.clock import EARLIEST, LATEST, Clock
from openarc.errors import Invalid
from openarc.sandbox.log import RequestLog
from openarc.services import ach_charges, money, sandbox


def _log(request: Request) -> RequestLog:
    return request.app.state.request_log


def _integer(body: dict[str, object], field: str, *, low: int, high: int) -> int | None:
    raw = body.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = raw.strip() if isinstance(raw, str) else raw
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise Invalid.one(field, f"The {field} field must be an integer.")
    try:
        value = int(text)
    except ValueError:
        raise Invalid.one(field, f"The {field} field must be an integer.") from None
    if not low <= value <= high:
        raise Invalid.one(field, f"The {field} field must be between {low} and {high}.")
    return value


def _clock_state(clock: Clock, account_id: int) -> dict[str, object]:
    return {"now": clock.now(account_id), "frozen": clock.frozen(account_id), "offset": clock.offset(account_id)}


async def reset(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    done = await ctx.call(sandbox.reset, ctx.db, account.id)
    ctx.ordinals.forget(account.id)  # the counters restarted: so do the reserved prefixes
    forgotten = _log(request).clear(account.id)
    ctx.clock.reset(account.id)
    return json_response({"data": {**done, "requests": forgotten, "clock": _clock_state(ctx.clock, account.id)}}, 200)


async def requests(request: Request) -> Response:
    account = await account_of(request)
    limit = _integer(dict(request.query_params), "limit", low=1, high=10_000) or 100
    return json_response({"data": _log(request).visible_to(account.id, limit)}, 200)


async def forget_requests(request: Request) -> Response:
    account = await account_of(request)
    _log(request).clear(account.id)
    return Response(status_code=204)


async def clock(request: Request) -> Response:
    account = await account_of(request)
    return json_response({"data": _clock_state(ctx_of(request).clock, account.id)}, 200)


async def freeze(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    ctx.clock.freeze(_integer(body, "at", low=EARLIEST, high=LATEST), account.id)
    return json_response({"data": _clock_state(ctx.clock, account.id)}, 200)


async def advance(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    # Bounded so that the clock stays between EARLIEST and LATEST (dates the API can show).
    now = ctx.clock.now(account.id)
    seconds = _integer(body, "seconds", low=EARLIEST - now, high=LATEST - now)
    if seconds is None:
        raise Invalid.one("seconds", "The seconds field is required.")
    ctx.clock.advance(seconds, account.id)
    return json_response({"data": _clock_state(ctx.clock, account.id)}, 200)


async def reset_clock(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    ctx.clock.reset(account.id)
    return json_response({"data": _clock_state(ctx.clock, account.id)}, 200)


async def settle(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    now = ctx.clock.now(account.id)
    settled = await ctx.transaction(money.settle(account.id, now=now))
    ach = await ctx.transaction(ach_charges.settle(account.id, now=now))
    return json_response({"data": {"settled": settled, "ach_settled": ach}}, 200)


routes = [
    resource("/_openarc/reset", post=reset),
    resource("/_openarc/settle", post=settle),
    resource("/_openarc/requests", get=requests, delete=forget_requests),
    resource("/_openarc/clock", get=clock),
    resource("/_openarc/clock/freeze", post=freeze),
    resource("/_openarc/clock/advance", post=advance),
    resource("/_openarc/clock/reset", post=reset_clock),
]
