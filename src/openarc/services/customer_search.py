"""Finding a merchant's customers: filters that ignore case, and the ``q`` search.

PayArc keeps customers in MySQL, whose default collation compares text without regard to
case, so its exact-match filters (``email``, ``name``) already ignore case.  OpenArc
stores each customer's name and email *folded* (Unicode case folding, spaces collapsed)
beside what was sent, and filters on those columns, by index.

``q`` is an OpenArc extension: one box that finds a customer by

- the start of any word of its name, or of its whole name (``jo``, ``john sm``);
- the start of its email (``user42@``);
- the digits of its phone, however written (``555-000-0042``, ``(555) 000 0042``,
  ``+1 555 000 0042``);
- its id, with or without ``cus_`` (what the SDK prints).

Every word, the whole name, the email and the phone digits of a customer are rows of
``customer_terms`` (merchant, term, customer), written with the customer.  A search reads
one range of that index: the entries its page needs, and a count the database makes over at
most ``MAX_ROWS`` entries; so it costs about the same for 10,000 customers as for 1,000,000.
It answers at most ``MAX_RESULTS`` customers, ordered by the term they matched (a whole word
before a longer one), then oldest first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import orjson

from openarc.db.steps import ENGINE, Many, One, Run, Steps
from openarc.ids import IdCodec

#: Customers one search answers at most (its ``total`` never says more).
MAX_RESULTS = 1000
#: Index entries one search reads at most: a customer can match through several terms
#: (``john`` in "John Johnson", john@…).
MAX_ROWS = 4 * MAX_RESULTS
#: The shortest phone-digit search (fewer digits would match most phone numbers).
MIN_DIGITS = 3
#: The longest ``q`` looked at; longer text matches no term (names are 50 characters at most).
MAX_QUERY = 100

_SPACES = re.compile(r"\s+")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-]")
# Above every character: ``term < prefix + _TOP`` bounds the terms that start with ``prefix``
# (terms compare by code point: BINARY on SQLite, COLLATE "C" on PostgreSQL).
_TOP = "\U0010ffff"


def fold(text: str | None) -> str | None:
    """``text`` as filters and terms compare it: case-folded, spaces collapsed."""
    if text is None:
        return None
    folded = _SPACES.sub(" ", text.casefold()).strip()
    return folded or None


def keys(values: Mapping[str, object]) -> dict[str, str | None]:
    """The folded columns of a customer's fields (``name_key``, ``email_key``)."""
    return {"name_key": fold(_text(values.get("name"))), "email_key": fold(_text(values.get("email")))}


def terms(values: Mapping[str, object]) -> list[str]:
    """The terms a customer is found by, each once."""
    found: list[str] = []
    name = fold(_text(values.get("name")))
    if name:
        words = name.split(" ")
        found += words
        if len(words) > 1:
            found.append(name)
    email = fold(_text(values.get("email")))
    if email:
        found.append(email)
    phone = _text(values.get("phone"))
    if phone:
        found.append(phone)
        if len(phone) == 11 and phone.startswith("1"):  # a +1 number, stored with its country code
            found.append(phone[1:])
    return list(dict.fromkeys(found))


def terms_json(values: Mapping[str, object]) -> str:
    """``terms`` as the JSON array the insert statements read."""
    return orjson.dumps(terms(values)).decode()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


# ---------------------------------------------------------------------------- statements

#: A customer's terms, from a JSON array: one statement whatever their number.
INSERT_TERMS = {
    "sqlite": "INSERT INTO customer_terms (account_id, term, customer_id) "
              "SELECT :account_id, value, :customer_id FROM json_each(:terms)",
    "postgresql": "INSERT INTO customer_terms (account_id, term, customer_id) "
                  "SELECT :account_id, t, :customer_id FROM jsonb_array_elements_text(CAST(:terms AS jsonb)) AS t",
}
#: A customer's terms, found by the key (the table has no index on customer_id: one b-tree
#: fewer to write per term, and every term a customer has is known from its fields).
DELETE_TERMS = {
    "sqlite": "DELETE FROM customer_terms WHERE account_id = :account_id AND customer_id = :customer_id "
              "AND term IN (SELECT value FROM json_each(:terms))",
    "postgresql": "DELETE FROM customer_terms WHERE account_id = :account_id AND customer_id = :customer_id "
                  "AND term IN (SELECT jsonb_array_elements_text(CAST(:terms AS jsonb)))",
}
#: For PostgreSQL's one-statement create: the terms of the row ``inserted`` returned.
INSERTED_TERMS = (
    "INSERT INTO customer_terms (account_id, term, customer_id) "
    "SELECT :account_id, t, inserted.id FROM inserted, jsonb_array_elements_text(CAST(:terms AS jsonb)) AS t"
)
_SEARCH = (
    "SELECT customer_id FROM customer_terms "
    "WHERE account_id = :account_id AND term >= :low AND term < :high ORDER BY term, customer_id LIMIT :rows"
)
# How many customers a prefix finds, counted in the database over at most :rows index entries.
_COUNT = (
    "SELECT count(DISTINCT customer_id) FROM (SELECT customer_id FROM customer_terms "
    "WHERE account_id = :account_id AND term >= :low AND term < :high LIMIT :rows) AS matched"
)


def save_terms(account_id: int, customer_id: int, values: Mapping[str, object]) -> Steps[None]:
    """Write a new customer's terms."""
    engine = yield ENGINE
    yield Run(INSERT_TERMS[engine], {"account_id": account_id, "customer_id": customer_id,
                                     "terms": terms_json(values)})


def forget_terms(account_id: int, customer_id: int, values: Mapping[str, object]) -> Steps[None]:
    """Remove the terms a customer had while its fields were ``values``."""
    engine = yield ENGINE
    yield Run(DELETE_TERMS[engine], {"account_id": account_id, "customer_id": customer_id,
                                     "terms": terms_json(values)})


# ---------------------------------------------------------------------------- search


def prefixes(q: str) -> list[str]:
    """The term prefixes ``q`` stands for: its folded text, and its phone digits."""
    text = fold(q[:MAX_QUERY])
    if not text or "\x00" in text:  # no stored term holds a NUL (and PostgreSQL refuses one)
        return []
    found = [text]
    digits = _PHONE_PUNCTUATION.sub("", q)
    if digits.startswith("+1"):
        digits = digits[2:]
    elif digits.startswith("+"):
        digits = digits[1:]
    if len(digits) >= MIN_DIGITS and digits.isascii() and digits.isdigit() and digits != text:
        found.append(digits)
    return found


#: What the SDK and PayArc's documents print before a customer's id.
ID_PREFIX = "cus_"


def named_key(codec: IdCodec, text: str) -> int | None:
    """The key of the customer ``text`` names by id, as OpenArc shows it or as the SDK prints
    it (``cus_…``); None when it names none."""
    return codec.decode(text.removeprefix(ID_PREFIX))


def _bounds(account_id: int, prefix: str) -> dict[str, object]:
    return {"account_id": account_id, "low": prefix, "high": prefix + _TOP}


def ranked(account_id: int, q: str, *, wanted: int) -> Steps[tuple[list[int], int]]:
    """The first ``wanted`` customers ``q`` finds, best first, and how many it finds (at most
    ``MAX_RESULTS``).  Only the index entries the page needs come back; the rest are counted
    in the database, so a page costs the same whether a prefix matches a hundred customers or
    a hundred thousand."""
    found: dict[int, None] = {}
    total = 0
    for prefix in prefixes(q):
        bounds = _bounds(account_id, prefix)
        total += (yield One(_COUNT, {**bounds, "rows": MAX_ROWS}))[0]
        rows_read = min(MAX_ROWS, 2 * wanted + 8)  # a customer can match through a few terms
        while True:
            rows = yield Many(_SEARCH, {**bounds, "rows": rows_read})
            these = dict.fromkeys(customer_id for (customer_id,) in rows)
            if len(found.keys() | these.keys()) >= wanted or len(rows) < rows_read or rows_read >= MAX_ROWS:
                break
            rows_read = min(MAX_ROWS, rows_read * 4)
        found.update(these)
        if len(found) >= wanted:
            break
    return list(found)[:wanted], min(max(total, len(found)), MAX_RESULTS)


def matching(account_id: int, q: str, *, first: Sequence[int] = ()) -> Steps[list[int]]:
    """The ids of the merchant's customers ``q`` finds, best first, at most ``MAX_RESULTS``;
    ``first`` (the customer ``q`` names by id, when it does) leads."""
    found: dict[int, None] = dict.fromkeys(first)
    for prefix in prefixes(q):
        rows = yield Many(_SEARCH, {"account_id": account_id, "low": prefix, "high": prefix + _TOP,
                                    "rows": MAX_ROWS})
        for (customer_id,) in rows:
            found[customer_id] = None
            if len(found) >= MAX_RESULTS:
                return list(found)
    return list(found)
