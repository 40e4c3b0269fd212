"""Public ids: the faster single-key encoder must give exactly the library's ids, for
every resource type, since ids already handed out must keep decoding."""

from __future__ import annotations

import random

import pytest
from hashids import Hashids

from openarc.ids import ALPHABETS, MIN_LENGTH, Ids, SingleKeyHashids


@pytest.mark.parametrize("kind", sorted(ALPHABETS))
def test_single_key_encoding_is_the_librarys(kind: str) -> None:
    rng = random.Random(kind)
    for salt, min_length in (("a-64-hex-digit-salt" * 3, MIN_LENGTH), ("", MIN_LENGTH), ("short", 0), ("s", 30)):
        library = Hashids(salt=salt, min_length=min_length, alphabet=ALPHABETS[kind])
        ours = SingleKeyHashids(salt, min_length, ALPHABETS[kind])
        keys = [*range(20_000), *(rng.randrange(2**b) for b in range(1, 65) for _ in range(200))]
        assert [ours.encode(k) for k in keys] == [library.encode(k) for k in keys]
        # Several values, booleans and negatives take the library's own path.
        for values in ((1, 2, 3), (True,), (-1,), ()):
            assert ours.encode(*values) == library.encode(*values)


def test_ids_round_trip_and_refuse_what_is_not_theirs() -> None:
    ids = Ids(b"k" * 32)
    for key in (1, 99, 100, 12_345, 2**40, 2**63 - 1):
        public = ids.customer.encode(key)
        assert len(public) >= MIN_LENGTH and ids.customer.decode(public) == key
        assert ids.card.decode(public) is None  # another type's alphabet
    assert ids.customer.decode("") is None and ids.customer.decode("x" * 100) is None
