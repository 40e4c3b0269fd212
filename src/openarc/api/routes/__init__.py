"""One routes module per resource; each exposes ``routes``.

Every handler under ``/v1`` is also an OpenAPI operation, declared where the handler is
written; ``api.openapi.document`` walks the app's routes and collects them, so the
published document and the router are one table (as Starlette's ``SchemaGenerator``
reads its routes).  A ``/v1`` route without a declaration fails the strict build the
tests make (naming it), and is named in the served document's ``info``, never dropped
silently.  Declaring one::

    @operation(
        "createCharge", "Create a charge", tag="Charges",
        body=Body("ChargeInput", charges.RULES, "A charge by token, customer or card.", refs=("token_id",),
                  descriptions=charges.DESCRIPTIONS, examples=charges.EXAMPLES),
        ok=Ok(201, "The new charge", "ChargeEnvelope"),
        errors=(*BODY_ERRORS, 404, 409),
    )
    async def create(request: Request) -> Response: ...

    routes = [resource("/v1/charges", post=create)]

with the answer's shape in ``api.schemas.COMPONENTS`` (``"Charge": CHARGE`` written key by
key as render.charge builds it, ``"ChargeEnvelope": envelope("Charge")``, ``"ChargePage":
page("Charge")``) and a real answer checked against it in tests/test_schemas.py.  The
body's ``RULES`` are the ones the service validates with, and its ``DESCRIPTIONS`` and
``EXAMPLES`` (beside them) say what each field means; ``refs`` are body fields holding
another object's id.  Path parameters (``{charge_id}``) are published from the path;
query parameters are OpenAPI parameter objects (``api.openapi.PAGING``,
``api.openapi.include(...)``).  429 is added to every ``/v1`` operation by the document:
the rate limiter answers it, not the handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openarc.api import bodies, render
from openarc.context import AppContext
from openarc.errors import BadRequest, Invalid, NotFound
from openarc.ids import IdCodec, looks_numeric
from openarc.services import paging
from openarc.services import validation as v

Handler = Callable[[Request], Awaitable[Response]]
H = TypeVar("H", bound=Handler)

#: What any handler that reads a body can answer: malformed (400), no key (401), too large
#: (413), neither JSON nor a form (415), a field refused (422).
BODY_ERRORS = (400, 401, 413, 415, 422)
#: What a handler that reads an id from its path can answer: a bare number (400), no key
#: (401), nothing of this merchant's by that id (404).
ID_ERRORS = (400, 401, 404)


@dataclass(frozen=True)
class Body:
    """A request body, published in both encodings PayArc's clients send.

    ``schema`` names the component (its form twin is ``schema + "Form"``); ``rules`` are
    the same ``services.*.RULES`` the service validates with; ``refs`` are fields that
    hold another object's id (a string; or null in JSON).
    """

    schema: str
    rules: v.Rules
    description: str
    refs: tuple[str, ...] = ()
    required: bool = False
    #: Fields no ``Text`` rule describes, or describes too loosely: name -> (JSON schema, form schema).
    extra: tuple[tuple[str, dict[str, object], dict[str, object]], ...] = ()
    #: Rules across fields, as JSON Schema keywords of the body (``allOf`` of ``api.openapi.given``…).
    constraints: tuple[tuple[str, object], ...] = ()
    #: What each field means and an example of it: the service's ``DESCRIPTIONS`` and ``EXAMPLES``
    #: beside its ``RULES`` (an id field's example is ``api.schemas.EXAMPLE_IDS``'s).  Every field needs
    #: both (tests/test_openapi.py).
    descriptions: Mapping[str, str] = field(default_factory=dict)
    examples: Mapping[str, object] = field(default_factory=dict)
    #: The whole body the reference shows and "Try it out" sends (default: every field's example).
    example: Mapping[str, object] | None = None


@dataclass(frozen=True)
class Ok:
    """The success answer: its status, what it is, and its ``api.schemas`` component (None: no body).
    Its example is made of the component's (``api.schemas.example_of``)."""

    status: int
    description: str
    schema: str | None = None
    #: Response headers: name -> OpenAPI header object.
    headers: tuple[tuple[str, dict[str, object]], ...] = ()
    #: The example, where the component's own would not fit this answer.
    example: object = None


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    ok: Ok
    errors: tuple[int, ...]
    body: Body | None = None
    parameters: tuple[dict[str, object], ...] = ()
    description: str | None = None
    #: The reference's section (``api.openapi.TAGS``).
    tag: str | None = None
    #: Whether it takes the API key (``/healthz`` does not: a load balancer has none).
    authenticated: bool = True
    #: Other answers that are not errors of ``api.openapi.ERRORS`` (``/healthz``'s 503).
    also: tuple[Ok, ...] = ()


_ATTRIBUTE = "__openarc_operation__"


def operation(operation_id: str, summary: str, *, ok: Ok, errors: Sequence[int], body: Body | None = None,
              parameters: Sequence[dict[str, object]] = (), description: str | None = None,
              tag: str | None = None, authenticated: bool = True, also: Sequence[Ok] = ()) -> Callable[[H], H]:
    """Declare the handler below as an OpenAPI operation; it is returned unchanged."""
    declared = Operation(operation_id, summary, ok, tuple(errors), body, tuple(parameters), description, tag,
                         authenticated, tuple(also))

    def attach(handler: H) -> H:
        setattr(handler, _ATTRIBUTE, declared)  # the same function: api.front's Shortcut calls it too
        return handler

    return attach


def operation_of(handler: Handler) -> Operation | None:
    return getattr(handler, _ATTRIBUTE, None)


class Resource(Route):
    """One route per path, dispatching on the method, so a 405 lists every allowed method.

    ``handlers`` (by method, in declaration order) is what the OpenAPI document reads.
    """

    def __init__(self, path: str, handlers: dict[str, Handler]) -> None:
        self.handlers = handlers
        table = dict(handlers)
        if "GET" in table:
            table["HEAD"] = table["GET"]

        async def endpoint(request: Request) -> Response:
            return await table[request.method](request)

        super().__init__(path, endpoint, methods=list(table))


def resource(path: str, **handlers: Handler) -> Resource:
    return Resource(path, {method.upper(): handler for method, handler in handlers.items()})


def ctx_of(request: Request) -> AppContext:
    return request.app.state.ctx


@dataclass(frozen=True)
class ListRequest:
    """What a list request asks: its parameters (a body's win, as Laravel reads input from
    the query and the body alike), extra includes, and which page."""

    query: dict[str, object]
    extra: tuple[str, ...]
    per_page: int
    number: int


#: What every list reads besides its filters and paging (``paging.window`` checks ``limit`` and ``page``).
LIST_PARAMETERS = ("include",)


async def list_parameters(request: Request, filters: Iterable[str]) -> dict[str, object]:
    """A list request's parameters, the query's and a body's (which win, as Laravel reads
    input from both).  Each one the list reads is a string or a number when
    given: ``{"email": ["x"]}`` or ``{"name": {"$ne": null}}`` is a 422 naming it, not a
    filter silently dropped (which answered the whole list)."""
    ctx = ctx_of(request)
    query = {**request.query_params, **await bodies.form_or_json(request, ctx.settings.max_body_bytes)}
    wrong = {name: [f"The {name} field must be a string."]
             for name in (*LIST_PARAMETERS, *filters) if isinstance(query.get(name), (list, dict, bool))}
    if wrong:
        raise Invalid(wrong)
    return query


async def list_request(request: Request, available: Sequence[str], filters: Iterable[str]) -> ListRequest:
    ctx = ctx_of(request)
    query = await list_parameters(request, filters)
    per_page, number = paging.window(query.get("limit"), query.get("page"),
                                     default_limit=ctx.settings.default_page_size,
                                     max_limit=ctx.settings.max_page_size)
    return ListRequest(query, render.includes(query.get("include"), available), per_page, number)


def key_of(codec: IdCodec, public_id: str) -> int:
    """The key behind an id in a URL: 400 for a bare number (as Apiato), 404 for anything else unknown."""
    key = codec.decode(public_id)
    if key is None:
        if looks_numeric(public_id):
            raise BadRequest("Only Hashed ID's allowed.")
        raise NotFound()
    return key


def reference(codec: IdCodec, body: dict[str, object], field: str) -> int | None:
    """The key behind an id given in a body field: None when absent or empty, 0 when unknown.

    The service decides what an unknown reference means, so its message is the same
    whether the id never decoded or belongs to nobody here.
    """
    raw = body.get(field)
    # Trimmed as every field is (validation.WHITESPACE): Python's own strip() also takes
    # \x1c–\x1f, which made such an id "absent" here while the published schema calls it given.
    if raw is None or (isinstance(raw, str) and not raw.strip(v.WHITESPACE)):
        return None
    if not isinstance(raw, str):
        return 0
    return codec.decode(raw.strip(v.WHITESPACE)) or 0
