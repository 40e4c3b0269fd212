"""Field rules with Laravel's wording, shared by every resource that takes input.

PayArc validates with Laravel: every failing rule of every field is reported, in
messages such as "The name field must be at least 3 characters." (PayArc's documentation).
Input comes from form bodies (all strings) or JSON (strings, numbers, anything),
so each value is first normalised the way Laravel's middleware does it: strings
are trimmed and an empty string means null.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from openarc import redact
from openarc.errors import Invalid

Check = Callable[[str], bool]

FORMAT = "The {attr} field format is invalid."

#: What trimming removes: ASCII whitespace, like PHP's trim() in Laravel's TrimStrings
#: (and exactly what the OpenAPI document's patterns allow around a value).
WHITESPACE = " \t\n\r\x0b\x0c"

# The WHATWG "valid email address" production (what browsers check in <input type=email>).
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_DIGITS_HYPHEN = re.compile(r"[0-9]+(?:-+[0-9]+)*")

#: One allowed character of each free-text check, as the OpenAPI document publishes it:
#: ECMA-262 regex classes (JSON Schema's dialect), where "letter" is the Unicode category
#: L and "digit" the category N.  The checks below test exactly those categories, so the
#: server and its contract agree on every script (\w would be ASCII-only in ECMA).
CLASSES: dict[str, str] = {
    "letters": r"\p{L}",
    "letters_and_spaces": r"\p{L}| ",
    "alphanumeric_words": r"\p{L}|\p{N}| ",
    "address": r"\p{L}|\p{N}|[ .,#'/&()\-]",
    # Anything but control characters (which also keeps NUL out of PostgreSQL).
    "printable": r"[^\x00-\x1f\x7f-\x9f]",
}
_ADDRESS_PUNCTUATION = frozenset(" .,#'/&()-")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _is_letter(c: str) -> bool:
    return unicodedata.category(c)[0] == "L"


def _is_letter_or_digit(c: str) -> bool:
    return unicodedata.category(c)[0] in "LN"


# ASCII text (nearly all input) is checked with one regex; in ASCII, category L is exactly
# A-Z a-z and category N exactly 0-9, so both ways give the same answer.
_ASCII_LETTERS = re.compile(r"[A-Za-z]+")
_ASCII_LETTERS_AND_SPACES = re.compile(r"[A-Za-z ]+")
_ASCII_WORDS = re.compile(r"[A-Za-z0-9 ]+")
_ASCII_ADDRESS = re.compile(r"[A-Za-z0-9 .,#'/&()\-]+")


def letters(value: str) -> bool:
    """Letters of any script, accented ones included."""
    if value.isascii():
        return _ASCII_LETTERS.fullmatch(value) is not None
    return bool(value) and all(_is_letter(c) for c in value)


def letters_and_spaces(value: str) -> bool:
    if value.isascii():
        return _ASCII_LETTERS_AND_SPACES.fullmatch(value) is not None
    return bool(value) and all(c == " " or _is_letter(c) for c in value)


def alphanumeric_words(value: str) -> bool:
    """Letters and digits of any script, and spaces (``John III``)."""
    if value.isascii():
        return _ASCII_WORDS.fullmatch(value) is not None
    return bool(value) and all(c == " " or _is_letter_or_digit(c) for c in value)


def address(value: str) -> bool:
    """Letters, digits, spaces and ordinary address punctuation (. , # ' / & ( ) -)."""
    if value.isascii():
        return _ASCII_ADDRESS.fullmatch(value) is not None
    return bool(value) and all(c in _ADDRESS_PUNCTUATION or _is_letter_or_digit(c) for c in value)


def printable(value: str) -> bool:
    """Any text without control characters."""
    return bool(value) and _CONTROL.search(value) is None


def digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def digits_and_hyphens(value: str) -> bool:
    """Digits with hyphens between them (``10469-2345``), never a leading or trailing hyphen."""
    return _DIGITS_HYPHEN.fullmatch(value) is not None


def month(value: str) -> bool:
    """A calendar month: 1–12, optionally zero-padded."""
    return value.isascii() and value.isdigit() and len(value) <= 2 and 1 <= int(value) <= 12


def year(value: str) -> bool:
    """A year of 2 or 4 digits (``31`` means 2031)."""
    return value.isascii() and value.isdigit() and len(value) in (2, 4)


def email(value: str) -> bool:
    return _EMAIL.fullmatch(value) is not None


CARD_NUMBER_IN_TEXT = "The {attr} field must not contain a card number."


#: The first digits of card numbers (2: Mastercard's 2-series; 3: Amex, Diners, JCB; 4: Visa;
#: 5: Mastercard; 6: Discover, UnionPay), which free text is refused for holding.
CARD_FIRST_DIGITS = "23456"


def holds_card_number(text: str) -> bool:
    """Whether free text carries what looks like a card number: 13–19 digits starting as card
    brands do and passing the Luhn check, however split (``redact.card_number_in``).  Such text
    is refused, never stored (a number pasted into a description by mistake)."""
    return redact.card_number_in(text, first_digits=CARD_FIRST_DIGITS)


def refuse_card_numbers(values: Mapping[str, object], names: Iterable[str]) -> None:
    """``Invalid`` naming each of ``names`` whose text holds a card number."""
    errors = {name: [CARD_NUMBER_IN_TEXT.format(attr=attribute(name))] for name in names
              if isinstance(values.get(name), str) and holds_card_number(values[name])}  # type: ignore[arg-type]
    if errors:
        raise Invalid(errors)


def one_of(*allowed: str) -> Check:
    """Exactly one of ``allowed`` (Laravel's ``in`` rule)."""
    choices = frozenset(allowed)
    return choices.__contains__


IN = "The selected {attr} is invalid."


@dataclass(frozen=True)
class Text:
    """A text field: its lengths in characters and the check its characters must pass."""

    check: Check
    min: int | None = None
    max: int | None = None
    message: str = FORMAT
    #: JSON numbers are accepted and stored as their decimal text (zip, phone).
    numbers: bool = False
    required: bool = False
    #: One message for both length bounds, e.g. Laravel's ``digits_between``.
    size_message: str | None = None


Rules = Mapping[str, Text]


def attribute(field: str) -> str:
    """Laravel's display name of a field: ``address_1`` -> ``address 1``."""
    return field.replace("_", " ")


WRONG_TYPE = object()


def given(body: Mapping[str, object], field: str) -> bool:
    """Whether ``body`` gives ``field``: present, and neither null nor blank (Laravel reads
    those as absent)."""
    value = body.get(field)
    return value is not None and not (isinstance(value, str) and not value.strip(WHITESPACE))


def normalise(rule: Text, value: object) -> object:
    """The value as text, None, or ``WRONG_TYPE`` (lists, objects, booleans…)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip(WHITESPACE)
        return value or None
    # Numbers become their decimal text, sign and all, so "-5" fails a digits rule as text would.
    if rule.numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if rule.numbers and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return WRONG_TYPE


def check(field: str, rule: Text, value: str) -> list[str]:
    length = len(value)
    too_short = rule.min is not None and length < rule.min
    too_long = rule.max is not None and length > rule.max
    if not (too_short or too_long) and rule.check(value):
        return []  # the usual case: no message to word
    attr = attribute(field)
    messages = []
    if rule.size_message and (too_short or too_long):
        messages.append(rule.size_message.format(attr=attr, min=rule.min, max=rule.max))
    elif too_short:
        messages.append(f"The {attr} field must be at least {rule.min} characters.")
    elif too_long:
        messages.append(f"The {attr} field must not be greater than {rule.max} characters.")
    if not rule.check(value):
        messages.append(rule.message.format(attr=attr))
    return messages


def clean(rules: Rules, body: Mapping[str, object], *, partial: bool) -> dict[str, str | None]:
    """Validate ``body`` against ``rules``; unknown keys are ignored.

    Returns every field of ``rules`` (absent ones as None) or, when ``partial``,
    only the fields present in ``body``.  Raises ``Invalid`` naming every failing
    field.
    """
    cleaned: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    for field, rule in rules.items():
        if field not in body and (partial or not rule.required):
            if not partial:
                cleaned[field] = None
            continue
        value = normalise(rule, body.get(field))
        if value is None and rule.required:
            errors[field] = [f"The {attribute(field)} field is required."]
        elif value is WRONG_TYPE:
            kind = "a string or a number" if rule.numbers else "a string"
            errors[field] = [f"The {attribute(field)} field must be {kind}."]
        elif isinstance(value, str) and (messages := check(field, rule, value)):
            errors[field] = messages
        else:
            cleaned[field] = value  # type: ignore[assignment]
    if errors:
        raise Invalid(errors)
    return cleaned
