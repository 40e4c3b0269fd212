"""The seed document's own request, changed only in host and key, against a live server."""

from __future__ import annotations

import http.client
import json
import subprocess
from urllib.parse import urlsplit

from conftest import SEED_FORM, LiveServer


def test_the_seed_python_sample(live_server: LiveServer) -> None:
    key = live_server.merchant("seed-python").key
    # --- the seed's sample, verbatim but for the host and the token ---
    conn = http.client.HTTPConnection(urlsplit(live_server.url).netloc)
    payload = SEED_FORM
    headers = {
        "Authorization": f"Bearer {key}",
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    conn.request("POST", "/v1/customers", payload, headers)
    res = conn.getresponse()
    data = res.read()
    # ------------------------------------------------------------------
    assert res.status == 201
    body = json.loads(data.decode("utf-8"))
    customer = body["data"]
    assert customer["object"] == "customer" and customer["name"] == "John Smith"
    assert customer["email"] == "customer@xyz.com" and customer["zip"] == "10469"
    assert customer["card"] == {"data": []} and customer["charge"] == {"data": []}
    assert body["meta"]["custom"] == []


def test_the_seed_request_with_curl(live_server: LiveServer) -> None:
    key = live_server.merchant("seed-curl").key
    out = subprocess.run(
        ["curl", "-sS", "-X", "POST", f"{live_server.url}/v1/customers",
         "-H", f"Authorization: Bearer {key}", "-H", "Accept: application/json",
         "-H", "Content-Type: application/x-www-form-urlencoded", "--data", SEED_FORM],
        capture_output=True, text=True, check=True, timeout=30,
    )
    customer = json.loads(out.stdout)["data"]
    assert customer["address_1"] == "103 Mason Street" and customer["phone"] == "541754301"
