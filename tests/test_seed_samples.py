"""The seed document's own request, changed only in host and key, against a live server."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import LiveServer
from factories import SEED_FORM


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


# The seed's Node.js sample as README tells users to point it at OpenArc: ``http`` for
# ``follow-redirects``' https, the host, port and path split as ``http.request`` takes them,
# and the key in ``Authorization``.  The rest (``querystring`` form, chunks, end) is verbatim;
# the guide's e-mail addresses are shown scrambled on the page, so real ones stand in.
NODE_SAMPLE = r"""
var https = require('http');
var fs = require('fs');
var qs = require('querystring');
var options = {
'method': 'POST',
'hostname': process.env.HOST,
'port': process.env.PORT,
'path': '/v1/customers',
'headers': {
'Authorization': 'Bearer ' + process.env.KEY,
'Accept': 'application/json',
'Content-Type': 'application/x-www-form-urlencoded'
},
'maxRedirects': 20
};
var req = https.request(options, function (res) {
var chunks = [];
res.on("data", function (chunk) {
chunks.push(chunk);
});
res.on("end", function (chunk) {
var body = Buffer.concat(chunks);
console.log(body.toString());
});
res.on("error", function (error) {
console.error(error);
});
});
var postData = qs.stringify({
'name': 'John Smith',
'email': 'customer@xyz.com',
'send_email_address': 'invoicing@xyz.com',
'cc_email_address': 'cc@xyz.com',
'address_1': '103 Mason Street',
'address_2': '2nd Floor',
'city': 'New York',
'state': 'NY',
'zip': '10469',
'phone': '541754301',
'country': 'US'
});
req.write(postData);
req.end();
"""


def test_the_seed_node_sample(live_server: LiveServer, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (Debian's nodejs package runs this sample)")
    key = live_server.merchant("seed-node").key
    script = tmp_path / "create-customer.js"
    script.write_text(NODE_SAMPLE)
    where = urlsplit(live_server.url)
    out = subprocess.run(
        [node, str(script)], capture_output=True, text=True, check=True, timeout=60,
        env={**os.environ, "HOST": where.hostname or "", "PORT": str(where.port), "KEY": key},
    )
    body = json.loads(out.stdout)
    customer = body["data"]
    assert customer["object"] == "customer" and customer["customer_id"] == customer["id"]
    assert customer["name"] == "John Smith" and customer["email"] == "customer@xyz.com"
    assert customer["address_2"] == "2nd Floor" and customer["country"] == "US"
    assert body["meta"]["custom"] == []
