"""Public ids: 16-character Hashids strings <-> integer primary keys.

PayArc (an Apiato application) encodes every primary key with Hashids, one alphabet
per resource type (spec §8).  OpenArc does the same, salting each type with a value
derived from the installation secret, so ids are stable for one database and
unguessable across installations.  A string that does not decode to exactly one
key of the right type is simply "no such object".
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from hashids import Hashids

MIN_LENGTH = 16
#: Longest string worth trying to decode; anything longer is not one of ours.
MAX_LENGTH = 24
#: Primary keys are signed 64-bit integers on every engine.
MAX_KEY = 2**63

# 17-character alphabets built around the characters seen in real PayArc ids of each type.
ALPHABETS: dict[str, str] = {
    "customer": "4ADKMNPVjnpxBEGQR",
    "token": "08ELNYlmqw3579acd",
    "card": "01259LMNPmvyKRWZb",
    "bank_account": "3467ABCDGHJbdegkr",
}


class IdCodec:
    """Encodes and decodes the public ids of one resource type."""

    def __init__(self, kind: str, secret: bytes) -> None:
        salt = hmac.new(secret, b"ids:" + kind.encode(), hashlib.sha256).hexdigest()
        self.kind = kind
        self._hashids = Hashids(salt=salt, min_length=MIN_LENGTH, alphabet=ALPHABETS[kind])
        # Every response encodes ids and decoding re-encodes to verify: both are cached.
        self.decode = lru_cache(maxsize=65536)(self._decode)
        self.encode = lru_cache(maxsize=65536)(self._hashids.encode)

    def _decode(self, public_id: str) -> int | None:
        if not public_id or len(public_id) > MAX_LENGTH:
            return None
        keys = self._hashids.decode(public_id)
        # Only keys a database can hold: anything else (e.g. 2**63, forged) is unknown, not a crash.
        return keys[0] if len(keys) == 1 and 0 < keys[0] < MAX_KEY else None


class Ids:
    """The codecs of every resource type of one installation."""

    def __init__(self, secret: bytes) -> None:
        self.customer = IdCodec("customer", secret)
        self.token = IdCodec("token", secret)
        self.card = IdCodec("card", secret)
        self.bank_account = IdCodec("bank_account", secret)


def looks_numeric(public_id: str) -> bool:
    """A bare integer in an id position: Apiato answers these 400, not 404."""
    return public_id.isascii() and public_id.isdigit()
