"""Never at rest: 1,000 tokens through a live server, then the SQLite file, its WAL, the
server's output and every response body are scanned for the numbers and CVVs sent."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest

from conftest import start_server, stop_server
from factories import assert_not_at_rest, scan_card_form, scan_card_numbers, scan_cvvs, standalone


@pytest.mark.slow
def test_no_card_number_or_cvv_is_ever_written(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    numbers = scan_card_numbers(1000, rng)
    cvvs = scan_cvvs(len(numbers), rng)
    server = start_server(tmp_path)
    started_log = len(server.output())
    try:
        key = server.merchant("at-rest").key
        bodies: list[str] = []
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            customer = http.post("/v1/customers", json={"name": "Rest Check"}).json()["data"]["id"]
            for i, (number, cvv) in enumerate(zip(numbers, cvvs, strict=True)):
                r = http.post("/v1/tokens", json=scan_card_form(number, cvv))
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

    assert_not_at_rest(server.database_url, numbers=numbers, cvvs=cvvs)
    log = server.output()
    for number in numbers:
        assert number not in log
        assert not any(number in body for body in bodies)
    for pattern in (standalone(cvv) for cvv in set(cvvs)):
        assert not pattern.search(log[started_log:])
        assert not any(pattern.search(body) for body in bodies)
