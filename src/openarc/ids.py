"""Public ids: 16-character Hashids strings <-> integer primary keys.

PayArc (an Apiato application) encodes every primary key with Hashids, one alphabet
per resource type (PayArc's documentation).  OpenArc does the same, salting each type with a value
derived from the installation secret, so ids are stable for one database and
unguessable across installations.  A string that does not decode to exactly one
key of the right type is simply "no such object".
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from hashids import Hashids, _reorder

MIN_LENGTH = 16
#: Longest string worth trying to decode; anything longer is not one of ours.
MAX_LENGTH = 24
#: Ids each codec remembers, both ways (at most MAX_LENGTH characters each: about 10 MB in all).
CACHED_IDS = 65536
#: Primary keys are signed 64-bit integers on every engine.
MAX_KEY = 2**63

# 17-character alphabets built around the characters seen in real PayArc ids of each type.
ALPHABETS: dict[str, str] = {
    "customer": "4ADKMNPVjnpxBEGQR",
    "token": "08ELNYlmqw3579acd",
    "card": "01259LMNPmvyKRWZb",
    "bank_account": "3467ABCDGHJbdegkr",
    "charge": "BDLMORWXbnoyJKPQZ",
    "refund": "x9bQvpYBOqyP81ADG",
    "ach_charge": "g9dDE7Ge08Aa52KMN",
}


class SingleKeyHashids(Hashids):
    """``Hashids`` whose encoding of one key skips the work that does not depend on the key.

    Encoding shuffles the alphabet by a "lottery" character picked by ``key % 100``,
    and pads short ids with further shuffles of that alphabet: a few hundred string
    operations per id (~6 µs), always with the same results for the same ``key % 100``.
    Here those shuffles are made once per lottery and kept; the rest is the library's
    arithmetic, step for step (``tests/test_ids.py`` compares both on half a million keys).
    Several values, or anything that is not a plain non-negative ``int``, go to the
    library itself.
    """

    def __init__(self, salt: str, min_length: int, alphabet: str) -> None:
        super().__init__(salt=salt, min_length=min_length, alphabet=alphabet)
        # key % 100 -> (lottery character, shuffled alphabet, its successive padding shuffles)
        self._plans: dict[int, tuple[str, str, list[str]]] = {}

    def _plan(self, values_hash: int) -> tuple[str, str, list[str]]:
        alphabet = self._alphabet
        lottery = alphabet[values_hash % len(alphabet)]
        shuffled = _reorder(alphabet, (lottery + self._salt + alphabet)[: len(alphabet)])
        # Every padding shuffle an id can need (each adds len(shuffled) characters), made now:
        # the plan is never changed after, so threads may share it.
        pads: list[str] = []
        previous = shuffled
        for _ in range(self._min_length // len(shuffled) + 2):
            previous = _reorder(previous, previous)
            pads.append(previous)
        plan = self._plans[values_hash] = (lottery, shuffled, pads)
        return plan

    def encode(self, *values: int) -> str:
        if len(values) != 1 or type(values[0]) is not int or values[0] < 0:
            return super().encode(*values)
        value = values[0]
        values_hash = value % 100
        lottery, alphabet, pads = self._plans.get(values_hash) or self._plan(values_hash)
        size = len(alphabet)
        digits = []
        while True:
            value, digit = divmod(value, size)
            digits.append(alphabet[digit])
            if not value:
                break
        encoded = lottery + "".join(reversed(digits))
        min_length = self._min_length
        if len(encoded) >= min_length:
            return encoded
        guards = self._guards
        encoded = guards[(values_hash + ord(encoded[0])) % len(guards)] + encoded
        if len(encoded) < min_length:
            encoded += guards[(values_hash + ord(encoded[2])) % len(guards)]
        split_at = size // 2
        used = 0
        while len(encoded) < min_length:
            pad = pads[used]
            used += 1
            encoded = pad[split_at:] + encoded + pad[:split_at]
            excess = len(encoded) - min_length
            if excess > 0:
                start = excess // 2
                encoded = encoded[start : start + min_length]
        return encoded


class IdCodec:
    """Encodes and decodes the public ids of one resource type."""

    def __init__(self, kind: str, secret: bytes) -> None:
        salt = hmac.new(secret, b"ids:" + kind.encode(), hashlib.sha256).hexdigest()
        self.kind = kind
        self._hashids = SingleKeyHashids(salt, MIN_LENGTH, ALPHABETS[kind])
        # Every response encodes ids and decoding re-encodes to verify: both are cached, by
        # count and so by size too, since only strings that can be ids reach the decode cache.
        self._decode_cached = lru_cache(maxsize=CACHED_IDS)(self._decode)
        self.encode = lru_cache(maxsize=CACHED_IDS)(self._hashids.encode)

    def decode(self, public_id: str) -> int | None:
        """The key ``public_id`` stands for, or None.  A string that cannot be one of ours
        (empty, or longer than any id issued) is refused before it is decoded or remembered:
        a cache keyed by any string a client sends would keep 30-KB "ids" for good."""
        if not public_id or len(public_id) > MAX_LENGTH:
            return None
        return self._decode_cached(public_id)

    def _decode(self, public_id: str) -> int | None:
        keys = self._hashids.decode(public_id)
        # Only keys a database can hold: anything else (e.g. 2**63, forged) is unknown, not a crash.
        return keys[0] if len(keys) == 1 and 0 < keys[0] < MAX_KEY else None


class Ids:
    """The codecs of every resource type of one installation, one per entry of ``ALPHABETS``."""

    customer: IdCodec
    token: IdCodec
    card: IdCodec
    bank_account: IdCodec
    charge: IdCodec
    refund: IdCodec
    ach_charge: IdCodec

    def __init__(self, secret: bytes) -> None:
        for kind in ALPHABETS:
            setattr(self, kind, IdCodec(kind, secret))


def looks_numeric(public_id: str) -> bool:
    """A bare integer in an id position: Apiato answers these 400, not 404."""
    return public_id.isascii() and public_id.isdigit()
