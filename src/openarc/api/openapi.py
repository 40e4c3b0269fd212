"""The OpenAPI 3.1 document: a walk over the app's routes, collecting the operation each
handler declares beside itself (``api.routes.operation``).

Here: the field schemas, built from the same ``services.*.RULES`` the services validate
with (so the document cannot drift from validation), the parameters operations share,
the error responses, and ``document(routes)``.  Response bodies are ``api.schemas``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from starlette.routing import BaseRoute, Mount, Route

from openarc import __version__
from openarc.api import schemas
from openarc.api.routes import Body, Ok, Operation, Resource, operation_of
from openarc.services import validation as v

log = logging.getLogger("openarc.api")

# Structured checks, as the trimmed value must match them (lengths are spelled in).
_PATTERNS = {
    v.digits_and_hyphens: r"(?=[0-9-]{{{low},{high}}}[ \t\n\r\x0b\x0c]*$)[0-9]+(?:-+[0-9]+)*",
    v.month: r"(?:0?[1-9]|1[0-2])",
    v.year: r"(?:[0-9]{{2}}|[0-9]{{4}})",
}

# The character class of each free-text check (the server trims, then matches these).
_CLASSES = {getattr(v, name): cls for name, cls in v.CLASSES.items()} | {v.digits: "[0-9]"}
# For classes that can match spaces: the characters a trimmed value can start and end with.
_EDGES: dict[Callable[[str], bool], str] = {
    v.letters_and_spaces: r"\p{L}",
    v.alphanumeric_words: r"\p{L}|\p{N}",
    v.address: r"\p{L}|\p{N}|[.,#'/&()\-]",
    v.printable: r"[^ \x00-\x1f\x7f-\x9f]",
}


def _trimmed_core(rule: v.Text) -> str:
    """A value of ``low``..``high`` allowed characters that starts and ends with a non-space.

    Spelled without lookarounds (first, middle, last), so generators can draw from it.
    """
    any_char, low, high = f"(?:{_CLASSES[rule.check]})", rule.min or 1, rule.max
    edge = _EDGES.get(rule.check)
    if edge is None:  # the class has no spaces: a plain count will do
        return f"{any_char}{{{low},{'' if high is None else high}}}"
    edge = f"(?:{edge})"
    middle = f"{{{max(low - 2, 0)},{'' if high is None else high - 2}}}"
    if low >= 2:
        return f"{edge}{any_char}{middle}{edge}"
    return f"{edge}(?:{any_char}{middle}{edge})?"

# JSON numbers a check accepts where digit counts alone would say more.
_INTEGERS: dict[object, list[dict[str, object]]] = {
    v.month: [{"type": "integer", "minimum": 1, "maximum": 12}],
    v.year: [{"type": "integer", "minimum": 10, "maximum": 99}, {"type": "integer", "minimum": 1000, "maximum": 9999}],
}

_NULL: dict[str, object] = {"type": "null"}
#: Blank text: trimmed to nothing, it means "not given" (and clears the field on PATCH).
_BLANK: dict[str, object] = {"type": "string", "pattern": r"^[ \t\n\r\x0b\x0c]*$"}
#: The whitespace the server trims from around a value (validation.WHITESPACE).
_WS = r"[ \t\n\r\x0b\x0c]*"


def _choices(rule: v.Text) -> list[str] | None:
    """The allowed values of a ``v.one_of`` rule (its check is a frozenset's ``__contains__``)."""
    owner = getattr(rule.check, "__self__", None)
    return sorted(owner) if isinstance(owner, frozenset) else None


def field_schema(rule: v.Text, *, form: bool = False) -> dict[str, object]:
    """A field as the server reads it.  In a form every value is a string, so the JSON
    variants (null, numbers) are left out; a blank string means "not given" (or "clear")."""
    text: dict[str, object] = {"type": "string"}
    choices = _choices(rule)
    if choices is not None:
        variants: list[dict[str, object]] = [{"type": "string", "enum": choices}]
        if not rule.required:
            variants.append(_BLANK)
            if not form:
                variants.append(_NULL)
        return {"anyOf": variants}
    if rule.min is not None:
        text["minLength"] = rule.min
    if rule.max is not None:
        text["maxLength"] = rule.max
    if rule.check is v.email:
        text["format"] = "email"
    elif rule.check in _CLASSES:
        # The server trims surrounding whitespace before checking, so the pattern says the
        # same: optional whitespace around a core of allowed characters whose length (not
        # the raw string's) is bounded, starting and ending with a non-space.
        text.pop("minLength", None)
        text.pop("maxLength", None)
        text["pattern"] = rf"^{_WS}(?:{_trimmed_core(rule)}){_WS}$"
    elif rule.check in _PATTERNS:
        text.pop("minLength", None)
        text.pop("maxLength", None)
        low, high = rule.min or 1, rule.max if rule.max is not None else ""
        text["pattern"] = f"^{_WS}" + _PATTERNS[rule.check].format(low=low, high=high) + f"{_WS}$"
    variants = [text]
    if rule.numbers and not form and rule.check in _INTEGERS:
        variants += _INTEGERS[rule.check]
    elif rule.numbers and not form:
        # A JSON number is read as its decimal text, so its digits obey the length bounds.
        number: dict[str, object] = {"type": "integer", "minimum": 10 ** ((rule.min or 1) - 1) if rule.min else 0}
        if rule.max is not None and rule.max <= 19:  # beyond that, past what a JSON integer (u64) carries
            number["maximum"] = 10**rule.max - 1
        variants.append(number)
    if not rule.required:
        variants.append(_BLANK)
        if not form:
            variants.append(_NULL)
    return {"anyOf": variants}


def form_value(example: object) -> object:
    """An example as a form sends it: text (a JSON object as its JSON text)."""
    if isinstance(example, (dict, list)):
        return orjson.dumps(example).decode()
    return example if isinstance(example, str) or example is None else str(example)


def annotated(schema: dict[str, object], description: str | None, examples: Sequence[object] = (),
              *, form: bool = False) -> dict[str, object]:
    """``schema`` with what the field means and its example (annotations: they change nothing
    about what is valid)."""
    out = dict(schema)
    if description is not None:
        out["description"] = description
    if examples:
        out["examples"] = [form_value(e) for e in examples] if form else list(examples)
    return out


def input_schema(rules: v.Rules, description: str, *, form: bool = False,
                 extra: Mapping[str, dict[str, object]] | None = None,
                 constraints: Mapping[str, object] | None = None,
                 descriptions: Mapping[str, str] | None = None,
                 examples: Mapping[str, object] | None = None) -> dict[str, object]:
    fields = {**{name: field_schema(rule, form=form) for name, rule in rules.items()}, **(extra or {})}
    about, sample = descriptions or {}, examples or {}
    return {
        "type": "object",
        "properties": {name: annotated(schema, about.get(name), [sample[name]] if name in sample else [], form=form)
                       for name, schema in fields.items()},
        "required": [name for name, rule in rules.items() if rule.required],
        "additionalProperties": True,
        "description": description,
        **(constraints or {}),
    }


# ---------------------------------------------------------------------------- rules across fields


def given(*names: str) -> dict[str, object]:
    """A body where every one of ``names`` is given: present, and neither null nor blank
    (the server reads those as absent, as Laravel does)."""
    return {"required": list(names), "properties": {name: {"not": {"anyOf": [_NULL, _BLANK]}} for name in names}}


def any_given(*names: str) -> dict[str, object]:
    return {"anyOf": [given(name) for name in names]}


def not_given(*names: str) -> dict[str, object]:
    return {"not": any_given(*names)}


def cents_text(minimum: int, digits: int) -> dict[str, object]:
    """An amount in cents from ``minimum`` up to ``digits`` digits, as text (what a form
    sends), surrounding whitespace allowed."""
    if not 10 <= minimum <= 99:
        raise ValueError("cents_text() spells two-digit minimums only")
    tens, units = divmod(minimum, 10)
    two = f"(?:{tens}[{units}-9]|[{tens + 1}-9][0-9])" if tens < 9 else f"9[{units}-9]"
    return {"type": "string", "pattern": rf"^{_WS}(?:{two}|[1-9][0-9]{{2,{digits - 1}}}){_WS}$"}


#: Thirteen digits or more (one or two of anything but letters and digits between them), as a
#: card number is written (redact.DIGIT_RUN).
_DIGIT_RUN = r"[0-9](?:[^0-9A-Za-z]{0,2}[0-9]){12}"


def without_card_numbers(rule: v.Text, *, form: bool = False) -> dict[str, object]:
    """``field_schema(rule)`` for free text, published without runs of 13 or more digits:
    the server refuses text holding a card number (validation.holds_card_number)."""
    return {"allOf": [field_schema(rule, form=form),
                      {"not": {"type": "string", "pattern": _DIGIT_RUN}},
                      {"not": {"type": "integer", "minimum": 10**12}},
                      {"not": {"type": "integer", "maximum": -(10**12)}}]}


def positive_cents(digits: int) -> tuple[dict[str, object], dict[str, object]]:
    """(JSON, form) schemas of a positive amount of at most ``digits`` digits."""
    text: dict[str, object] = {"type": "string", "pattern": rf"^{_WS}(?=[0-9]{{1,{digits}}}{_WS}$)0*[1-9][0-9]*{_WS}$"}
    return {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 10**digits - 1}, text]}, text


def cents(minimum: int, digits: int) -> dict[str, object]:
    """``cents_text``, or the JSON integer it spells."""
    return {"anyOf": [{"type": "integer", "minimum": minimum, "maximum": 10**digits - 1},
                      cents_text(minimum, digits)]}




# ---------------------------------------------------------------------------- parameters

_PAGE_NUMBER = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}
#: ``limit`` and ``page`` of a paginated list (a body on the GET is read as well).
PAGING: tuple[dict[str, object], ...] = (
    {"name": "limit", "in": "query", "schema": _PAGE_NUMBER, "description": "Page size (default 25, capped at 100)",
     "example": 25},
    {"name": "page", "in": "query", "schema": _PAGE_NUMBER, "description": "Which page, from 1 (default 1)",
     "example": 1},
)


def exact_match(names: Sequence[str], examples: Mapping[str, object]) -> list[dict[str, object]]:
    """Query parameters that filter a list to the objects whose field equals the value (ignoring
    case), with the field's example (the service's ``EXAMPLES``)."""
    return [{"name": k, "in": "query", "schema": {"type": "string"},
             "description": f"Only the objects whose {k} is this (letters compared ignoring case)",
             "example": examples[k]}
            for k in names]


def include(available: Sequence[str]) -> dict[str, object]:
    """``?include=a,b``: extra includes, comma-separated (render.includes; an unknown one is a 400)."""
    one = "|".join(available)
    return {
        "name": "include",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "pattern": rf"^[ \t\n\r\x0b\x0c,]*(?:(?:{one})(?:{_WS},[ \t\n\r\x0b\x0c,]*(?:{one}))*)?[ \t\n\r\x0b\x0c,]*$"},
        "description": f"Comma-separated extra includes: {', '.join(available)}",
        "example": available[0],
    }


# An id is any text but a bare number (which answers 400, "Only Hashed ID's allowed.").
_ID_SCHEMA = {"type": "string", "pattern": "[^0-9]"}
_PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


def _path_parameters(path: str) -> list[dict[str, object]]:
    """Every ``{name}`` of a path: OpenArc puts only ids in paths (``{customer_id}``)."""
    found = []
    for name in _PATH_PARAMETER.findall(path):
        if not name.endswith("_id"):
            raise ValueError(f"{path}: {{{name}}} is not an id; teach api.openapi._path_parameters its schema")
        noun = name.removesuffix("_id").replace("_", " ").capitalize()
        found.append({"name": name, "in": "path", "required": True, "schema": _ID_SCHEMA,
                      "description": f"{noun} id (16-character hash)", "example": id_example(name)})
    return found


def id_example(field: str) -> str:
    """The example of a field holding an id (``customer_id``, ``default_card_id``)."""
    return schemas.EXAMPLE_IDS[field.removesuffix("_id").removeprefix("default_")]


# ---------------------------------------------------------------------------- bodies and answers

_REF: dict[str, object] = {"anyOf": [{"type": "string"}, _NULL]}
_FORM_REF: dict[str, object] = {"type": "string"}


def _examples(body: Body) -> dict[str, object]:
    """Every field's example: the service's, and an id field's ``api.schemas.EXAMPLE_IDS``'s."""
    return {**{name: id_example(name) for name in body.refs}, **body.examples}


def _inputs(body: Body) -> dict[str, dict[str, object]]:
    """A body's two components: JSON (``schema``) and form (``schema + "Form"``)."""
    json_extra = {**dict.fromkeys(body.refs, _REF), **{name: schema for name, schema, _ in body.extra}}
    form_extra = {**dict.fromkeys(body.refs, _FORM_REF), **{name: schema for name, _, schema in body.extra}}
    constraints = dict(body.constraints)
    descriptions, examples = body.descriptions, _examples(body)
    return {
        body.schema: input_schema(body.rules, body.description, extra=json_extra, constraints=constraints,
                                  descriptions=descriptions, examples=examples),
        body.schema + "Form": input_schema(body.rules, body.description, form=True, extra=form_extra,
                                           constraints=constraints, descriptions=descriptions, examples=examples),
    }


def body_example(body: Body) -> dict[str, object]:
    """The whole body the reference shows: the declared one, or every field's example."""
    if body.example is not None:
        return dict(body.example)
    fields = [*body.rules, *(name for name, _, _ in body.extra)]
    examples = _examples(body)
    return {name: examples[name] for name in fields if name in examples}


def _request_body(body: Body) -> dict[str, object]:
    example = body_example(body)
    json = {"schema": schemas.ref(body.schema), "example": example}
    form = {"schema": schemas.ref(body.schema + "Form"), "example": {k: form_value(v) for k, v in example.items()}}
    return {"required": body.required, "description": body.description,
            "content": {"application/json": json, "application/x-www-form-urlencoded": form}}


def _json(schema: dict[str, object], example: object = None) -> dict[str, object]:
    """JSON content of ``schema``, with its example (made of its properties' by default)."""
    return {"application/json": {"schema": schema,
                                 "example": schemas.example_of(schema) if example is None else example}}


def _error(status: int, description: str, message: str) -> dict[str, object]:
    """An Apiato error body whose ``status_code`` is this answer's status."""
    schema: dict[str, object] = {"allOf": [schemas.ref("Error"), {"properties": {"status_code": {"const": status}}}]}
    example = {"status": "error", "code": 0, "message": message, "status_code": status}
    return {"description": description, "content": _json(schema, example)}


ERRORS: dict[int, dict[str, object]] = {
    400: _error(400, "Malformed request: body, id or include", "Only Hashed ID's allowed."),
    401: {"description": "Missing, unknown or revoked API key", "content": _json(schemas.ref("Unauthenticated"))},
    404: _error(404, "No such object for this merchant", "The requested Resource was not found."),
    405: {"description": "Method not allowed on this path", "content": _json(schemas.ref("MethodNotAllowed"))},
    409: _error(409, "Refused: an invalid, expired or declined card; a used, expired or unknown token; "
                     "a default card that is not the customer's; a capture, void or refund the charge's "
                     "status or amounts do not allow", "Invalid Card"),
    413: _error(413, "Body over the size limit", "The request body is larger than 1048576 bytes."),
    415: _error(415, "Body in an unsupported encoding",
                "Unsupported Content-Type 'text/plain': send application/json or application/x-www-form-urlencoded."),
    422: {"description": "Validation failed (`errors` names each field), or a charge was declined (`data` "
                         "holds the decline; the declined charge is kept)",
          "content": _json({"anyOf": [schemas.ref("ValidationError"), schemas.ref("Declined")]})},
    429: {**_error(429, "Too many requests with this API key", "Too Many Attempts."),
          "headers": {"Retry-After": {"description": "Seconds until the next request can succeed",
                                      "schema": {"type": "integer"}, "example": 1}}},
}
#: Answered for every route under /v1 by middleware, before any handler: not declared per operation.
_EVERY_API_ERROR = (429,)
API_PREFIX = "/v1/"


#: The reference's sections, in its order: every operation declares one (``@operation(tag=...)``).
TAGS: dict[str, str] = {
    "Customers": "PayArc's customers: create, read, list and search, update (attach a card, choose the default "
                 "card), delete.",
    "Cards": "A customer's saved cards (a card is saved by attaching a token to the customer).",
    "Tokens": "A card becomes a single-use token, to attach to a customer or to charge. The card number and CVV "
              "are never stored.",
    "Bank accounts": "US bank accounts, saved to a customer or not, for ACH charges. The account number is kept "
                     "masked.",
    "Charges": "Card charges, and their capture, void and refunds.",
    "ACH charges": "Debits and credits of bank accounts.",
    "Sandbox": "The controls of a server run with --sandbox (and only such a server has them): reset the calling "
               "merchant's data, read its request log, move its clock, settle its charges now.",
    "Health": "Whether this server can serve, for load balancers and orchestrators. No key needed.",
}


def _answer(ok: Ok, operation_id: str) -> dict[str, object]:
    answer: dict[str, object] = {"description": ok.description}
    if ok.schema is not None:
        if ok.schema not in schemas.COMPONENTS:
            raise ValueError(f"{operation_id}: no response schema {ok.schema!r} in api.schemas.COMPONENTS")
        answer["content"] = _json(schemas.ref(ok.schema), ok.example)
    if ok.headers:
        answer["headers"] = dict(ok.headers)
    return answer


def _operation(op: Operation, path: str) -> dict[str, Any]:
    codes = {*op.errors, *(_EVERY_API_ERROR if path.startswith(API_PREFIX) else ())}
    unknown = codes - ERRORS.keys()
    if unknown:
        raise ValueError(f"{op.operation_id}: no error response for {sorted(unknown)} in api.openapi.ERRORS")
    if op.tag is not None and op.tag not in TAGS:
        raise ValueError(f"{op.operation_id}: no tag {op.tag!r} in api.openapi.TAGS")
    out: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
    if op.tag is not None:
        out["tags"] = [op.tag]
    if op.description:
        out["description"] = op.description
    if not op.authenticated:
        out["security"] = []  # no key: the document's bearerAuth does not apply
    if op.parameters:
        out["parameters"] = list(op.parameters)
    if op.body is not None:
        out["requestBody"] = _request_body(op.body)
    answers = {str(ok.status): _answer(ok, op.operation_id) for ok in (op.ok, *op.also)}
    out["responses"] = {**answers,
                        **{str(code): {"$ref": f"#/components/responses/E{code}"} for code in sorted(codes)}}
    return out


# ---------------------------------------------------------------------------- the walk


class UndeclaredOperation(LookupError):
    """Routes under /v1 whose handlers declare no operation (see ``document``)."""


Declared = tuple[str, str, Operation]


def operations(routes: Sequence[BaseRoute], prefix: str = "") -> tuple[list[Declared], list[str]]:
    """Every declared ``(path, method, operation)`` in the router's order, and every
    ``"METHOD /v1/path"`` that declares none (routes outside /v1 need not declare)."""
    found: list[Declared] = []
    missing: list[str] = []
    for route in routes:
        if isinstance(route, Mount):
            more, unknown = operations(route.routes, prefix + route.path)
            found += more
            missing += unknown
            continue
        if not isinstance(route, Route) or not route.include_in_schema:
            continue
        path = prefix + route.path
        handlers = route.handlers if isinstance(route, Resource) else {}
        for method in handlers or sorted(route.methods or ("*",)):
            op = operation_of(handlers[method]) if method in handlers else None
            if op is not None:
                found.append((path, method.lower(), op))
            elif path.startswith(API_PREFIX) and method != "HEAD":
                missing.append(f"{method} {path}")
    return found, missing


def document(routes: Sequence[BaseRoute], *, strict: bool = True) -> dict[str, Any]:
    """The OpenAPI document of an app's routes (``app.routes``).

    A /v1 route without a declared operation raises ``UndeclaredOperation`` (so a test
    fails, naming it); with ``strict=False`` (the server's /openapi.json, which one
    half-finished route must not take offline: every readiness probe polls it) it is
    left out but named under ``info["x-undeclared-operations"]`` and logged, never
    dropped silently.
    """
    declared, missing = operations(routes)
    if missing and strict:
        raise UndeclaredOperation(
            f"no OpenAPI operation declared for {', '.join(missing)}: route it with api.routes.resource() "
            "and declare each handler with @operation(...) (see api/routes/__init__.py)"
        )
    if missing:
        log.warning("OpenAPI document leaves out undeclared operations: %s", ", ".join(missing))
    paths: dict[str, dict[str, Any]] = {}
    inputs: dict[str, dict[str, object]] = {}
    ids: set[str] = set()
    for template, method, op in declared:
        path = _PATH_PARAMETER.sub(r"{\1}", template)  # OpenAPI has no ``{id:int}`` convertors
        item = paths.setdefault(path, {})
        if not item and (params := _path_parameters(path)):
            item["parameters"] = params
        if method in item or op.operation_id in ids:
            raise ValueError(f"{method.upper()} {path} ({op.operation_id}) is declared twice")
        ids.add(op.operation_id)
        item[method] = _operation(op, path)
        for name, schema in (_inputs(op.body) if op.body else {}).items():
            if name in schemas.COMPONENTS or inputs.setdefault(name, schema) != schema:
                raise ValueError(f"{op.operation_id}: a different body is already published as {name!r}")
    info: dict[str, object] = {
        "title": "OpenArc",
        "version": __version__,
        "description": "A wire-compatible implementation of PayArc's API: customers, tokens, cards, bank "
                       "accounts, card charges (capture, void, refunds) and ACH charges. Authenticate with an "
                       "API key, `Authorization: Bearer <key>` (here: Authorize, then Try it out). Bodies may "
                       "be JSON or form-encoded, as PayArc's own samples send them.",
    }
    if missing:
        info["x-undeclared-operations"] = missing
    used = {op.tag for _, _, op in declared}
    return {
        "openapi": "3.1.0",
        "info": info,
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": name, "description": about} for name, about in TAGS.items() if name in used],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An API key of the merchant (`openarc keys create`, or the key `openarc serve "
                               "--sandbox` prints), sent as `Authorization: Bearer <key>`, as PayArc's SDKs send it. "
                               "The key given to Authorize stays in this page.",
            }},
            "responses": {f"E{code}": body for code, body in ERRORS.items()},
            "schemas": {**inputs, **schemas.COMPONENTS},
        },
    }
