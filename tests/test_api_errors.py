"""Malformed, oversized and unexpected requests: always a JSON 4xx naming the problem, never a 500."""

from __future__ import annotations

import pytest

from conftest import Client


def assert_error(r, status: int, needle: str = "") -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert isinstance(body, dict)
    assert body["status_code"] == status and body["status"] == "error"
    assert needle in body["message"]
    assert "Traceback" not in r.text
    return body


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"{", "not valid JSON"),
        (b'{"name": "John Smith",}', "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"John"', "must be a JSON object"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "JSON"),
        (b'{"name": "\\ud800"}', "not valid JSON"),
        (b"\n", "not valid JSON"),  # declared JSON, only whitespace (an empty body is no input)
    ],
)
def test_malformed_json_is_400(client: Client, content: bytes, needle: str) -> None:
    r = client.post("/v1/customers", content=content, headers={**client.a.headers, "Content-Type": "application/json"})
    assert_error(r, 400, needle)


def test_invalid_utf8_form_is_400(client: Client) -> None:
    headers = {**client.a.headers, "Content-Type": "application/x-www-form-urlencoded"}
    assert_error(client.post("/v1/customers", content=b"name=Jo\xffhn", headers=headers), 400, "UTF-8")
    assert_error(client.post("/v1/customers", content=b"name=Jo%FFhn", headers=headers), 400, "UTF-8")


def test_too_many_form_fields_is_400(client: Client) -> None:
    headers = {**client.a.headers, "Content-Type": "application/x-www-form-urlencoded"}
    body = "&".join(f"k{i}=v" for i in range(2000)).encode()
    assert_error(client.post("/v1/customers", content=body, headers=headers), 400, "fields")


def test_missing_content_type_is_sniffed(client: Client) -> None:
    r = client.post("/v1/customers", content=b"name=John%20Smith", headers=client.a.headers)
    assert r.status_code == 201 and r.json()["data"]["name"] == "John Smith"
    r = client.post("/v1/customers", content=b'{"name": "Ann Lee"}', headers=client.a.headers)
    assert r.status_code == 201 and r.json()["data"]["name"] == "Ann Lee"


def test_wrong_method_is_405_with_allow(client: Client) -> None:
    r = client.put("/v1/customers/KPxMADVnxMV4nNjp", json={}, headers=client.a.headers)
    body = assert_error(r, 405, "PUT")
    assert body["errors"] == "Method Not Allowed!"
    assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE"}
    assert_error(client.delete("/v1/customers", headers=client.a.headers), 405)


def test_unknown_route_is_404_json(client: Client) -> None:
    assert_error(client.get("/v1/nothing-here", headers={"Accept": "text/html"}), 404, "/v1/nothing-here")


def test_errors_are_json_whatever_accept_says(client: Client) -> None:
    r = client.get("/v1/customers/x", headers={**client.a.headers, "Accept": "text/html"})
    assert_error(r, 404)
    r = client.get("/v1/customers", headers={"Accept": "*/*"})
    assert r.status_code == 401 and r.json() == {"error": "Unauthenticated."}


def test_ids_beyond_64_bits_in_a_body_are_409_not_500(client: Client) -> None:
    # (In a path they are 404s, for every resource: tests/test_conformance.py.)
    ids = client.app.state.ctx.ids
    customer = client.post("/v1/customers", json={}, headers=client.a.headers).json()["data"]["id"]
    r = client.patch(f"/v1/customers/{customer}", json={"token_id": ids.token.encode(2**63)}, headers=client.a.headers)
    assert r.status_code == 409 and r.json()["message"] == "The token is not valid."


@pytest.mark.parametrize("value", [-5, "-5", "5-", "--", 10469.5])
def test_zip_needs_digits_between_hyphens(client: Client, value: object) -> None:
    r = client.post("/v1/customers", json={"zip": value}, headers=client.a.headers)
    assert r.status_code == 422 and list(r.json()["errors"]) == ["zip"]


def test_the_form_parser_reads_bodies_exactly_as_parse_qsl() -> None:
    import random
    from urllib.parse import parse_qsl

    from openarc.api import bodies
    from openarc.errors import BadRequest

    rng = random.Random(7)
    alphabet = b"ab=&%+2F0E8C;x \xc3\xa9"
    samples = [b"a=1&&b=", b"a=%zz&b=a+b%2Bc", b"%41=%E2%82%AC", b"=x&y=", b"a=b=c", b"a=%E2%82", b"a"]
    samples += [bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(5000)]
    samples += [b"a=1&" * 999, b"a=1&" * 1000, b"&" * 999, b"&" * 1000, b"a=1" + b"&" * 999 + b"b=2"]
    for sample in samples:
        try:
            expected = dict(parse_qsl(sample.decode(), keep_blank_values=True, errors="strict",
                                      max_num_fields=bodies.MAX_FORM_FIELDS))
        except (UnicodeDecodeError, ValueError):
            with pytest.raises(BadRequest):
                bodies.parse(bodies.FORM, sample)
            continue
        if sample.strip():
            assert bodies.parse(bodies.FORM, sample) == expected, sample
