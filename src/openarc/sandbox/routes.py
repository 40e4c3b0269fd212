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
from openarc.api.routes import BODY_ERRORS, Body, Ok, ctx_of, operation, resource
from openarc.api.schemas import EXAMPLE_TIME
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


# ---------------------------------------------------------------------------- the published operations

_WS = "[ \\t\\n\\r\\x0b\\x0c]*"


def _integer_field(low: int | None, high: int | None, *, signed: bool) -> tuple[dict[str, object], dict[str, object]]:
    """(JSON, form) schemas of an integer field read by ``_integer``: a number, or its digits as text."""
    number: dict[str, object] = {"type": "integer"}
    if low is not None:
        number["minimum"] = low
    if high is not None:
        number["maximum"] = high
    text: dict[str, object] = {"type": "string", "pattern": f"^{_WS}{'-?' if signed else ''}[0-9]+{_WS}$"}
    return {"anyOf": [number, text, {"type": "null"}]}, text


_AT = ("at", *_integer_field(EARLIEST, LATEST, signed=False))
_SECONDS = ("seconds", *_integer_field(None, None, signed=True))
_CLOCK = "The merchant's clock"
_LIMIT: dict[str, object] = {
    "name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10_000},
    "description": "How many of the latest requests (default 100)", "example": 20,
}


@operation(
    "resetSandbox", "Wipe the merchant's data, forget its requests and reset its clock", tag="Sandbox",
    description="Deletes the calling merchant's customers, cards, tokens, bank accounts, charges and remembered "
                "Idempotency-Key answers; its keys and dashboard sessions stay, and its counters restart.",
    ok=Ok(200, "How many rows went", "SandboxReset"), errors=(401,),
)
async def reset(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    done = await ctx.call(sandbox.reset, ctx.db, account.id)
    ctx.ordinals.forget(account.id)  # the counters restarted: so do the reserved prefixes
    forgotten = _log(request).clear(account.id)
    ctx.clock.reset(account.id)
    return json_response({"data": {**done, "requests": forgotten, "clock": _clock_state(ctx.clock, account.id)}}, 200)


@operation(
    "listSandboxRequests", "The merchant's latest requests and answers, newest first", tag="Sandbox",
    description="Card numbers, CVVs and keys are masked. Requests without a key are kept for nobody.",
    parameters=[_LIMIT], ok=Ok(200, "The requests", "SandboxRequests"), errors=(401, 422),
)
async def requests(request: Request) -> Response:
    account = await account_of(request)
    limit = _integer(dict(request.query_params), "limit", low=1, high=10_000) or 100
    return json_response({"data": _log(request).visible_to(account.id, limit)}, 200)


@operation("forgetSandboxRequests", "Forget the merchant's logged requests", tag="Sandbox",
           ok=Ok(204, "Forgotten; empty body"), errors=(401,))
async def forget_requests(request: Request) -> Response:
    account = await account_of(request)
    _log(request).clear(account.id)
    return Response(status_code=204)


@operation("getSandboxClock", "The merchant's sandbox clock", tag="Sandbox",
           ok=Ok(200, _CLOCK, "SandboxClock"), errors=(401,))
async def clock(request: Request) -> Response:
    account = await account_of(request)
    return json_response({"data": _clock_state(ctx_of(request).clock, account.id)}, 200)


@operation(
    "freezeSandboxClock", "Stop the merchant's clock, at a time or now", tag="Sandbox",
    description="Tokens expire, authorizations lapse and charges settle by this clock.",
    body=Body("SandboxFreezeInput", {}, "When to stop the clock", extra=(_AT,),
              descriptions={"at": "The time to stop at, in Unix seconds (default: now)"},
              examples={"at": EXAMPLE_TIME}),
    ok=Ok(200, _CLOCK, "SandboxClock"), errors=BODY_ERRORS,
)
async def freeze(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    body = await bodies.form_or_json(request, ctx.settings.max_body_bytes)
    ctx.clock.freeze(_integer(body, "at", low=EARLIEST, high=LATEST), account.id)
    return json_response({"data": _clock_state(ctx.clock, account.id)}, 200)


@operation(
    "advanceSandboxClock", "Move the merchant's clock", tag="Sandbox",
    description="Forward, or back with a negative number, within the dates the API can show (1970 to 9000).",
    body=Body("SandboxAdvanceInput", {}, "How far to move the clock", extra=(_SECONDS,), required=True,
              constraints=(("required", ["seconds"]),),
              descriptions={"seconds": "Seconds to move the clock by (negative: back)"},
              examples={"seconds": 86_400}),
    ok=Ok(200, _CLOCK, "SandboxClock"), errors=BODY_ERRORS,
)
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


@operation("resetSandboxClock", "Put the merchant's clock back on the wall clock", tag="Sandbox",
           ok=Ok(200, _CLOCK, "SandboxClock"), errors=(401,))
async def reset_clock(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_of(request)
    ctx.clock.reset(account.id)
    return json_response({"data": _clock_state(ctx.clock, account.id)}, 200)


@operation(
    "settleNow", "Settle the merchant's captured charges and ACH charges now", tag="Sandbox",
    description="Without waiting for the daily cut-off.",
    ok=Ok(200, "How many were settled", "Settled"), errors=(401,),
)
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
