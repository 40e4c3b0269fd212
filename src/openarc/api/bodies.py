"""Request bodies: JSON and form encodings, both as PayArc accepts them.

The official SDKs send JSON; PayArc's own samples, ActiveMerchant and the Go
clients send ``application/x-www-form-urlencoded``.  Either way the result is a
flat ``dict``; which keys matter is the services' business.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from urllib.parse import unquote_to_bytes

import orjson
from starlette.requests import ClientDisconnect, Request

from openarc import redact
from openarc.api.headers import header
from openarc.errors import BadRequest, TooLarge, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_FORM_FIELDS = 1000
GONE = "The client went away before sending the whole body."


async def read(request: Request, limit: int) -> bytes:
    """The whole body, refusing (413) anything over ``limit`` bytes before reading it all."""
    declared = (header(request.scope, b"content-length") or b"").decode("latin-1")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"The request body is larger than {limit} bytes.")
    return await collect(request.stream(), limit)


async def collect(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """A body's chunks joined, refusing (413) as soon as they pass ``limit`` bytes.

    A client that goes away before the end of its body (it closed, or sent fewer bytes than
    its ``Content-Length`` and stopped writing) made a bad request: a 400 (which it may never
    read) and an access-log line, not Starlette's ``ClientDisconnect`` as an unexpected 500
    with a traceback.  Every body OpenArc's API and sandbox read comes through here."""
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"The request body is larger than {limit} bytes.")
            parts.append(chunk)
    except ClientDisconnect:
        raise BadRequest(GONE) from None
    return b"".join(parts)


def parse(content_type: str | None, body: bytes) -> dict[str, object]:
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if not body.strip() and (not body or not _is_json(mime)):
        # No body is no input; a declared JSON body of only whitespace is invalid JSON (below).
        return {}
    if not mime:
        # No declared type: take what the body evidently is.
        mime = JSON if body.lstrip()[:1] in (b"{", b"[") else FORM
    if mime == FORM:
        return _form(body)
    if _is_json(mime):
        return _json(body)
    # Named back (cut short, card numbers masked: an answer may be stored for a replay).
    raise UnsupportedMediaType(f"Unsupported Content-Type {redact.text(mime[:100])!r}: send {JSON} or {FORM}.")


def _is_json(mime: str) -> bool:
    return mime == JSON or mime.endswith("+json")


def _form(body: bytes) -> dict[str, object]:
    """``parse_qsl(text, keep_blank_values=True, errors="strict")`` as a dict (later duplicates
    win, as in PHP), without its per-pair cost for pairs that need no unescaping."""
    try:
        text = body.decode("utf-8")
        if text.count("&") >= MAX_FORM_FIELDS:  # counted as parse_qsl counts, empty pairs too
            raise BadRequest(f"The form body has more than {MAX_FORM_FIELDS} fields.")
        pairs = [pair for pair in text.split("&") if pair]
        form: dict[str, object] = {}
        for pair in pairs:
            name, _, value = pair.partition("=")
            form[_unescape(name)] = _unescape(value)
        return form
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8.") from None


def _unescape(part: str) -> str:
    """``+`` as space and percent-escapes, which must decode to UTF-8 (a malformed escape stays literal)."""
    if "%" not in part:
        return part.replace("+", " ")
    return unquote_to_bytes(part.replace("+", " ")).decode("utf-8")


def _json(body: bytes) -> dict[str, object]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc.msg}.") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data


async def form_or_json(request: Request, limit: int) -> dict[str, object]:
    content_type = header(request.scope, b"content-type")
    return parse(None if content_type is None else content_type.decode("latin-1"), await read(request, limit))
