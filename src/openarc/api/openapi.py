"""The OpenAPI 3.1 document, built from the same rules the services enforce.

Field schemas come from ``services.customers.RULES`` so the document cannot drift
from validation; both request encodings and every error response are described.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from openarc import __version__
from openarc.api.render import CUSTOMER_INCLUDES
from openarc.services import bank_accounts, cards, customers
from openarc.services import validation as v

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
        if rule.max is not None:
            number["maximum"] = 10**rule.max - 1
        variants.append(number)
    if not rule.required:
        variants.append(_BLANK)
        if not form:
            variants.append(_NULL)
    return {"anyOf": variants}


def input_schema(rules: dict[str, v.Text], description: str, *, form: bool = False,
                 **extra: dict[str, object]) -> dict[str, object]:
    return {
        "type": "object",
        "properties": {**{name: field_schema(rule, form=form) for name, rule in rules.items()}, **extra},
        "required": [name for name, rule in rules.items() if rule.required],
        "additionalProperties": True,
        "description": description,
    }


def _body(schema: str, required: bool = False) -> dict[str, object]:
    ref = {"schema": {"$ref": f"#/components/schemas/{schema}"}}
    form = {"schema": {"$ref": f"#/components/schemas/{schema}Form"}}
    return {"required": required, "content": {"application/json": ref, "application/x-www-form-urlencoded": form}}


def _error(description: str, schema: str) -> dict[str, object]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


ERRORS = {
    "400": _error("Malformed request: body, id or include", "Error"),
    "401": _error("Missing, unknown or revoked API key", "Unauthenticated"),
    "404": _error("No such object for this merchant", "Error"),
    "409": _error("Refused: an invalid, expired or declined card; a used, expired or unknown token; "
                  "a default card that is not the customer's", "Error"),
    "405": _error("Method not allowed on this path", "Error"),
    "413": _error("Body over the size limit", "Error"),
    "415": _error("Body in an unsupported encoding", "Error"),
    "422": _error("Validation failed; `errors` names each field", "ValidationError"),
}


def _responses(success: dict[str, object], *codes: str) -> dict[str, object]:
    return {**success, **{code: {"$ref": f"#/components/responses/E{code}"} for code in codes}}


def _ok(description: str, schema: str) -> dict[str, object]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


_BODY = _body("CustomerInput")
_CREATE_BODY = _body("CustomerCreateInput")
_PAGE_NUMBER = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}
_REF: dict[str, object] = {"anyOf": [{"type": "string"}, _NULL]}
_FORM_REF: dict[str, object] = {"type": "string"}
# An id is any text but a bare number (which answers 400, "Only Hashed ID's allowed.").
_ID_SCHEMA = {"type": "string", "pattern": "[^0-9]"}
_ID = {"name": "customer_id", "in": "path", "required": True, "schema": _ID_SCHEMA, "description": "Customer id (16-character hash)"}
_ONE_INCLUDE = "|".join(CUSTOMER_INCLUDES)
_INCLUDE = {
    "name": "include",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "pattern": rf"^[ \t\n\r\x0b\x0c,]*(?:(?:{_ONE_INCLUDE})(?:{_WS},[ \t\n\r\x0b\x0c,]*(?:{_ONE_INCLUDE}))*)?[ \t\n\r\x0b\x0c,]*$"},
    "description": f"Comma-separated extra includes: {', '.join(CUSTOMER_INCLUDES)}",
}


def _customer_schema() -> dict[str, object]:
    nullable_text = {"type": ["string", "null"]}
    props: dict[str, object] = {
        "object": {"const": "customer"},
        "customer_id": {"type": "string"},
        "id": {"type": "string"},
        "real_id": {"type": "integer"},
        **{name: nullable_text for name in customers.RULES},
        "payment_overdue": {"type": ["integer", "null"]},
        "source_id": nullable_text,
        "created_at": {"type": "integer", "description": "Unix seconds"},
        "updated_at": {"type": "integer", "description": "Unix seconds"},
        "readable_created_at": {"type": "string"},
        "readable_updated_at": {"type": "string"},
        "invoice_prefix": {"type": "string", "pattern": "^[A-Z0-9]{4,}$"},
        **{name: {"$ref": "#/components/schemas/Included"} for name in ("card", "bank_account", "charge")},
    }
    return {"type": "object", "properties": props, "required": list(props)}


@cache
def document() -> dict[str, Any]:
    auth_errors = ("400", "401", "413", "415", "422")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenArc",
            "version": __version__,
            "description": "A wire-compatible implementation of PayArc's Customers API.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/v1/customers": {
                "post": {
                    "operationId": "createCustomer",
                    "summary": "Create a customer",
                    "requestBody": _CREATE_BODY,
                    "responses": _responses({"201": _ok("The new customer", "CustomerEnvelope")}, *auth_errors),
                },
                "get": {
                    "operationId": "listCustomers",
                    "summary": "List customers, newest first",
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": _PAGE_NUMBER, "description": "Page size (default 25, capped at 100)"},
                        {"name": "page", "in": "query", "schema": _PAGE_NUMBER},
                        *({"name": k, "in": "query", "schema": {"type": "string"}, "description": f"Exact match on {k}"} for k in customers.FILTERS),
                        _INCLUDE,
                    ],
                    "responses": _responses({"200": _ok("A page of customers", "CustomerPage")}, "400", "401", "422"),
                },
            },
            "/v1/customers/{customer_id}": {
                "parameters": [_ID],
                "get": {
                    "operationId": "retrieveCustomer",
                    "summary": "Retrieve a customer",
                    "parameters": [_INCLUDE],
                    "responses": _responses({"200": _ok("The customer", "CustomerEnvelope")}, "400", "401", "404"),
                },
                "patch": {
                    "operationId": "updateCustomer",
                    "summary": "Update a customer (an empty string clears a field)",
                    "requestBody": _BODY,
                    "responses": _responses({"200": _ok("The updated customer", "CustomerEnvelope")},
                                            *auth_errors, "404", "409"),
                },
                "delete": {
                    "operationId": "deleteCustomer",
                    "summary": "Delete a customer, its cards and its bank accounts",
                    "responses": _responses({"204": {"description": "Deleted; empty body"}}, "400", "401", "404"),
                },
            },
            "/v1/customers/{customer_id}/cards/{card_id}": {
                "parameters": [_ID, {"name": "card_id", "in": "path", "required": True, "schema": _ID_SCHEMA}],
                "delete": {
                    "operationId": "deleteCustomerCard",
                    "summary": "Detach and delete a customer's card",
                    "responses": _responses({"204": {"description": "Deleted; empty body"}}, "400", "401", "404"),
                },
            },
            "/v1/tokens": {
                "post": {
                    "operationId": "createToken",
                    "summary": "Tokenize a card (single use; the number and CVV are never stored)",
                    "requestBody": _body("TokenInput", required=True),
                    "responses": _responses(
                        {"201": _ok("The token and its card", "TokenEnvelope"), "409": {"$ref": "#/components/responses/E409"}},
                        *auth_errors,
                    ),
                },
            },
            "/v1/bankaccounts": {
                "post": {
                    "operationId": "createBankAccount",
                    "summary": "Create a bank account, bound to a customer when customer_id is given",
                    "requestBody": _body("BankAccountInput", required=True),
                    "responses": _responses({"201": _ok("The bank account", "BankAccountEnvelope")}, *auth_errors, "404"),
                },
            },
            "/v1/bankaccounts/{bank_account_id}": {
                "parameters": [{"name": "bank_account_id", "in": "path", "required": True, "schema": _ID_SCHEMA}],
                "delete": {
                    "operationId": "deleteBankAccount",
                    "summary": "Delete a bank account",
                    "responses": _responses({"204": {"description": "Deleted; empty body"}}, "400", "401", "404"),
                },
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {f"E{code}": body for code, body in ERRORS.items()},
            "schemas": {
                "CustomerInput": input_schema(
                    customers.RULES, "Every field optional; unknown keys are ignored.",
                    token_id=_REF, default_card_id=_REF,
                ),
                "CustomerCreateInput": input_schema(customers.RULES, "Every field optional; unknown keys are ignored."),
                "CustomerCreateInputForm": input_schema(
                    customers.RULES, "Every field optional; unknown keys are ignored.", form=True,
                ),
                "CustomerInputForm": input_schema(
                    customers.RULES, "Every field optional; unknown keys are ignored.", form=True,
                    token_id=_FORM_REF, default_card_id=_FORM_REF,
                ),
                "TokenInput": input_schema(cards.TOKEN_RULES, "A card; card_number must pass the Luhn check."),
                "TokenInputForm": input_schema(cards.TOKEN_RULES, "A card; card_number must pass the Luhn check.", form=True),
                "BankAccountInput": input_schema(bank_accounts.RULES, "A US bank account.", customer_id=_REF),
                "BankAccountInputForm": input_schema(bank_accounts.RULES, "A US bank account.", form=True, customer_id=_FORM_REF),
                "TokenEnvelope": {"type": "object", "properties": {"data": {"type": "object"}, "meta": {"$ref": "#/components/schemas/Meta"}}, "required": ["data", "meta"]},
                "BankAccountEnvelope": {"type": "object", "properties": {"data": {"type": "object"}, "meta": {"$ref": "#/components/schemas/Meta"}}, "required": ["data", "meta"]},
                "Customer": _customer_schema(),
                "Included": {"type": "object", "properties": {"data": {"type": "array"}}, "required": ["data"]},
                "Meta": {
                    "type": "object",
                    "properties": {"include": {"type": "array", "items": {"type": "string"}}, "custom": {"type": "array"}},
                    "required": ["include", "custom"],
                },
                "CustomerEnvelope": {
                    "type": "object",
                    "properties": {"data": {"$ref": "#/components/schemas/Customer"}, "meta": {"$ref": "#/components/schemas/Meta"}},
                    "required": ["data", "meta"],
                },
                "CustomerPage": {
                    "type": "object",
                    "properties": {
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Customer"}},
                        "meta": {"$ref": "#/components/schemas/PageMeta"},
                    },
                    "required": ["data", "meta"],
                },
                "PageMeta": {
                    "type": "object",
                    "properties": {
                        "include": {"type": "array", "items": {"type": "string"}},
                        "custom": {"type": "array"},
                        "pagination": {
                            "type": "object",
                            "properties": {
                                **{k: {"type": "integer"} for k in ("total", "count", "per_page", "current_page", "total_pages")},
                                "links": {"type": "object", "properties": {"previous": {"type": "string"}, "next": {"type": "string"}}},
                            },
                            "required": ["total", "count", "per_page", "current_page", "total_pages", "links"],
                        },
                    },
                    "required": ["include", "custom", "pagination"],
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "status": {"const": "error"},
                        "code": {"type": "integer"},
                        "message": {"type": "string"},
                        "status_code": {"type": "integer"},
                    },
                    "required": ["status", "code", "message", "status_code"],
                },
                "ValidationError": {
                    "type": "object",
                    "properties": {
                        "status": {"const": "error"},
                        "code": {"type": "integer"},
                        "message": {"type": "string"},
                        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
                        "status_code": {"const": 422},
                    },
                    "required": ["message", "errors"],
                },
                "Unauthenticated": {
                    "type": "object",
                    "properties": {"error": {"const": "Unauthenticated."}},
                    "required": ["error"],
                },
            },
        },
    }
