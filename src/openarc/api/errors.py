"""The one place where errors become HTTP responses, in PayArc's (Apiato's) shapes.

    401  {"error": "Unauthenticated."}
    422  {"status": "error", "code": 0, "message": "The given data was invalid.", "errors": {...}, "status_code": 422}
    4xx  {"status": "error", "code": 0, "message": "...", "status_code": 4xx}

Every body is a JSON object whatever the ``Accept`` header says, and nothing
about the server's internals (no stack trace) ever leaves it.
"""

from __future__ import annotations

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from openarc import errors

STATUS: dict[type[errors.OpenArcError], int] = {
    errors.Unauthenticated: 401,
    errors.BadRequest: 400,
    errors.RequestTimeout: 408,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.TooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.Invalid: 422,
    errors.Declined: 422,
    errors.TooManyRequests: 429,
}


_JSON = (b"content-type", b"application/json")


def json_response(body: object, status: int, headers: dict[str, str] | None = None) -> Response:
    if headers or status < 200 or status in (204, 304):  # (those have no content-length)
        return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")
    # Every API answer comes through here: the two headers Starlette's __init__ would
    # work out (content-length, then content-type), set directly.
    response = Response.__new__(Response)
    response.status_code = status
    response.background = None
    response.body = content = orjson.dumps(body)
    response.raw_headers = [(b"content-length", str(len(content)).encode()), _JSON]
    return response


def error_body(status: int, message: str, **extra: object) -> dict[str, object]:
    return {"status": "error", "code": 0, "message": message, **extra, "status_code": status}


def from_error(exc: errors.OpenArcError) -> Response:
    status = errors.nearest(STATUS, exc) or 400
    if isinstance(exc, errors.Unauthenticated):
        return json_response({"error": "Unauthenticated."}, 401)
    if isinstance(exc, errors.Invalid):
        return json_response(error_body(422, exc.message, errors=exc.errors), 422)
    if isinstance(exc, errors.Declined):
        # ``data`` stays an object: the Python SDK reads ``data.message`` from every error body.
        return json_response(error_body(422, exc.message, data=exc.data), 422)
    if isinstance(exc, errors.RequestTimeout):
        # The rest of the body may still be on its way: the connection cannot carry another request.
        return json_response(error_body(408, exc.message), 408, {"Connection": "close"})
    if isinstance(exc, errors.TooManyRequests):
        return json_response(error_body(429, exc.message), 429, {"Retry-After": str(exc.retry_after)})
    return json_response(error_body(status, exc.message), status)


async def on_openarc_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.OpenArcError)
    return from_error(exc)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        message = f"No route for {request.method} {request.url.path}."
        return json_response(error_body(404, message), 404, headers)
    if exc.status_code == 405:
        allowed = headers.get("Allow", "")
        message = f"The {request.method} method is not supported here. Supported methods: {allowed}."
        return json_response(error_body(405, message, errors="Method Not Allowed!"), 405, headers)
    return json_response(error_body(exc.status_code, exc.detail or ""), exc.status_code, headers)


async def on_unexpected(_request: Request, _exc: Exception) -> Response:
    # The client learns only that it failed.  Not logged here: Starlette re-raises the
    # exception after this answer, and api.middleware.RequestLogMiddleware (outside
    # Starlette) logs its traceback once, redacted (a raw traceback can quote input).
    return json_response(error_body(500, "The server failed to handle this request."), 500)


HANDLERS = {
    errors.OpenArcError: on_openarc_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
