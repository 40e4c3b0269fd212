"""Never at rest: 1,000 tokens through a live server, then the SQLite file, its WAL, the
server's output and every response body are scanned for the numbers and CVVs sent."""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

import httpx

from conftest import ON_POSTGRES, start_server, stop_server
from openarc.services.cards import luhn_ok

# Digits no stored field can form runs of: fingerprints, ids and the last-4/zip values
# used here draw only on 0 1 2 5 9, so a CVV made of 3 4 6 7 8 found in the files is a leak.
CVV_DIGITS = "34678"
SAFE_DIGITS = "01259"


def card_numbers(count: int, rng: random.Random) -> list[str]:
    numbers: set[str] = set()
    while len(numbers) < count:
        body = "4" + "".join(rng.choice("0123456789") for _ in range(11)) + "".join(rng.choice(SAFE_DIGITS) for _ in range(3))
        for check in "0123456789":
            candidate = body + check
            if luhn_ok(candidate) and check in SAFE_DIGITS:
                numbers.add(candidate)
    return sorted(numbers)


def stored_bytes(url: str, tmp_path: Path) -> dict[str, bytes]:
    """What the database holds: the SQLite file and its WAL, or every PostgreSQL row as text.

    Random hex the database holds by design (key digests and key ids) can contain any
    4-digit run; it is taken out so that a hit can only be a leak.
    """
    if ON_POSTGRES:
        import psycopg

        with psycopg.connect(url) as conn:
            tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            blobs = {t: "\n".join(r[0] for r in conn.execute(f'SELECT row_to_json(x)::text FROM "{t}" x')).encode()
                     for t in tables}
            hex_values = [v for r in conn.execute("SELECT digest, key_id FROM api_keys") for v in r]
            hex_values += [r[0] for r in conn.execute("SELECT secret FROM installation")]
    else:
        blobs = {p.name: p.read_bytes() for p in tmp_path.glob("live.db*")}
        assert "live.db" in blobs
        with sqlite3.connect(tmp_path / "live.db") as conn:
            hex_values = [v for r in conn.execute("SELECT digest, key_id FROM api_keys") for v in r]
    for name, blob in blobs.items():
        for value in hex_values:
            blob = blob.replace(value.encode(), b"")
        blobs[name] = blob
    return blobs


def test_no_card_number_or_cvv_is_ever_written(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    numbers = card_numbers(1000, rng)
    cvvs = ["".join(rng.choice(CVV_DIGITS) for _ in range(4)) for _ in numbers]
    server = start_server(tmp_path)
    started_log = len(server.output())
    try:
        key = server.merchant("at-rest").key
        bodies: list[str] = []
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            customer = http.post("/v1/customers", json={"name": "Rest Check"}).json()["data"]["id"]
            for i, (number, cvv) in enumerate(zip(numbers, cvvs, strict=True)):
                r = http.post("/v1/tokens", json={
                    "card_source": "INTERNET", "card_number": number, "exp_month": "10", "exp_year": "2031",
                    "cvv": cvv, "card_holder_name": "Rest Check", "zip": "10259",
                })
                assert r.status_code == 201, r.text
                bodies.append(r.text)
                if i % 10 == 0:  # some cards are attached too, so they live on a customer
                    bodies.append(http.patch(f"/v1/customers/{customer}", json={"token_id": r.json()["data"]["id"]}).text)
            # Invalid requests echo nothing either.
            bodies.append(http.post("/v1/tokens", json={"card_number": numbers[0][:-1] + "x", "cvv": cvvs[0]}).text)
            bodies.append(http.post("/v1/customers", json={"cards": [{"card_number": numbers[1], "cvv": cvvs[1]}]}).text)
            bodies.append(http.get(f"/v1/customers/{customer}").text)
    finally:
        stop_server(server)

    files = stored_bytes(server.database_url, tmp_path)
    log = server.output()
    for number in numbers:
        needle = number.encode()
        assert not any(needle in blob for blob in files.values()), "card number found in the database files"
        assert number not in log
        assert not any(number in body for body in bodies)
    standalone = [re.compile(rf"(?<![0-9A-Za-z]){cvv}(?![0-9A-Za-z])") for cvv in set(cvvs)]
    for cvv, pattern in zip(set(cvvs), standalone, strict=True):
        if ON_POSTGRES:  # rows as JSON text, where integer columns are digits too: whole values only
            assert not any(pattern.search(blob.decode()) for blob in files.values()), "a CVV found in the database"
        else:
            assert not any(cvv.encode() in blob for blob in files.values()), "a CVV found in the database files"
        assert not pattern.search(log[started_log:])
        assert not any(pattern.search(body) for body in bodies)
