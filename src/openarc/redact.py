"""The one redaction policy, applied wherever data leaves the process or comes to rest: the
access log, OpenArc's own log records, the sandbox request log.

Card numbers, CVVs, bank account numbers and API keys are never written out (README "Card
data").  What is masked, and nothing else:

- **secret fields by name**: a body field, form field or query parameter whose name says card
  number, CVV, account number, password or key (``card_number``, ``cvv``, ``card[cvv]``,
  ``accountNumber``…), whatever its value looks like;
- **card numbers by value**, wherever they appear (values, field names, paths, messages):
  13–19 digits passing the Luhn check, as every card number does, written whole or in groups
  split by one or two of anything but letters and digits (``4111 1111 1111 1111``,
  ``4111/1111/1111/1111``), alone or among other digits;
  and any run of 40 digits or more, which is nobody's id or phone number;
- **keys by value**: OpenArc's ``oa_sk_…`` keys and whatever follows ``Bearer``.

Everything else is kept as it was: ids, request ids, phone numbers and amounts stay intact,
so log lines can be matched with each other and with what the client saw.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from openarc.luhn import luhn_ok

REDACTED = "[redacted]"

#: Field-name fragments that mark a secret, compared with the name lowercased and stripped of
#: everything but letters and digits (``Card-Number``, ``card[cvv]`` and ``cardNumber`` alike).
SECRET_NAME_PARTS = ("cardnumber", "cvv", "cvc", "accountnumber", "password", "apikey", "secret")
#: Whole names that mark a secret.
SECRET_NAMES = frozenset({"key", "authorization", "pan"})

#: Digits, perhaps split by one or two of anything but letters and digits (spaces, dots, dashes,
#: slashes, a tab…), as people write card numbers: 13 or more of them is a candidate.
DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[^0-9A-Za-z]{0,2}[0-9]){12,}(?![0-9])")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_API_KEY = re.compile(r"oa_sk_[A-Za-z0-9_-]+")
_SEPARATOR = re.compile(r"[^0-9]+")
#: A digit run this long is masked without looking at it (and without a Luhn check per window).
_ALWAYS_MASKED_DIGITS = 40


def holds_card_number(run: str, *, first_digits: str = "0123456789") -> bool:
    """Whether a ``DIGIT_RUN`` match is or holds a card number: 13–19 digits passing the Luhn
    check (starting with one of ``first_digits``), as whole groups (``4111 1111 1111 1111``, or
    a number after ``12 ``), or anywhere inside a group longer than any card number; and any
    run of 40 digits or more."""
    groups = _SEPARATOR.split(run)
    if sum(map(len, groups)) >= _ALWAYS_MASKED_DIGITS:
        return True
    for first in range(len(groups)):
        if groups[first][:1] not in first_digits:
            continue
        digits = ""
        for group in groups[first:]:
            digits += group
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_ok(digits):
                return True
    return any(
        group[start] in first_digits and luhn_ok(group[start : start + size])
        for group in groups if len(group) > 19
        for size in range(13, 20) for start in range(len(group) - size + 1)
    )


def card_number_in(text: str, *, first_digits: str = "0123456789") -> bool:
    """Whether free text holds a card number anywhere (see ``holds_card_number``)."""
    return any(holds_card_number(m.group(), first_digits=first_digits) for m in DIGIT_RUN.finditer(text))


def _card_run(match: re.Match[str]) -> str:
    run = match.group()
    return REDACTED if holds_card_number(run) else run


def text(value: str) -> str:
    """``value`` with card numbers, bearer tokens and OpenArc keys masked; nothing else changed."""
    # Three cheap looks answer "nothing to do" for nearly every path the access log sees.
    if "oa_sk_" not in value and "bearer" not in value.lower() and DIGIT_RUN.search(value) is None:
        return value
    return masked(value)


def masked(value: str) -> str:
    """``text`` without its shortcut: the three substitutions, always."""
    value = _API_KEY.sub(REDACTED, value)
    value = _BEARER.sub(lambda m: m.group(1) + REDACTED, value)
    return DIGIT_RUN.sub(_card_run, value)


def secret_name(name: str) -> bool:
    """Whether a field or parameter called ``name`` holds a secret, whatever its value."""
    plain = "".join(c for c in name.lower() if c.isalnum())
    return plain in SECRET_NAMES or any(part in plain for part in SECRET_NAME_PARTS)


#: Nesting kept in a redacted body; deeper levels become ``NESTED`` (a body nested a thousand
#: deep once overflowed the recursion and failed the request it was logging).
MAX_DEPTH = 16
NESTED = "[nested]"


def body(value: object, depth: int = 0) -> object:
    """A parsed JSON/form body (or query) with secret fields masked, recursively; names are
    redacted as text too (a card number sent as a name, or a JSON body sent as a form, is a name)."""
    if isinstance(value, (Mapping, list)) and depth >= MAX_DEPTH:
        return NESTED
    if isinstance(value, Mapping):
        return {text(str(k)): REDACTED if secret_name(str(k)) else body(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [body(v, depth + 1) for v in value]
    if isinstance(value, str):
        return text(_query_masked(value) if "?" in value else value)
    return value


def _query_masked(value: str) -> str:
    """A URL (a page's ``links.next``…) with its secret query parameters masked by name."""
    base, _, query = value.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(secret_name(name) for name, _ in pairs):
        return value
    return base + "?" + urlencode([(name, REDACTED if secret_name(name) else v) for name, v in pairs])


def headers(items: Mapping[str, str]) -> dict[str, str]:
    """Request or response headers with credentials and cookies masked."""
    hidden = {"authorization", "cookie", "set-cookie", "x-csrf-token", "proxy-authorization"}
    return {k: REDACTED if k.lower() in hidden else text(v) for k, v in items.items()}
