"""Slow, silent and vanishing clients, against a real ``openarc serve`` over raw sockets.

A request's body must arrive within ``OPENARC_BODY_TIMEOUT_SECONDS`` (408 in PayArc's error
shape, then the connection closes); a connection that sends nothing is closed after
``OPENARC_HEADER_TIMEOUT_SECONDS``; a client that goes away mid-body is a 400 in the access
log, never a 500 with a traceback.  (Slow headers and idle kept-alive connections:
``test_limits.py``.)  The servers here get one second for each, and every test allows ten
times that before it calls a connection "never closed".
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from conftest import LiveServer, start_server, stop_server
from openarc.config import Settings

TIMEOUT = 1  # seconds: the header and the body timeout of the servers below
BOUND = 10 * TIMEOUT  # what "closed / answered in time" means here
ENV = {"OPENARC_HEADER_TIMEOUT_SECONDS": str(TIMEOUT), "OPENARC_BODY_TIMEOUT_SECONDS": str(TIMEOUT)}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("slow"), env=ENV)
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``--sandbox`` puts its request log outermost, and it reads every ``/v1`` body first."""
    live = start_server(tmp_path_factory.mktemp("slow-sandbox"), "--sandbox", env=ENV)
    yield live
    stop_server(live)


def _connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))


def _head(server: LiveServer, path: str, length: int, *, request_id: str = "", idempotency_key: str = "") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: openarc.test", f"Authorization: Bearer {server.first_key}",
             "Content-Type: application/json", f"Content-Length: {length}"]
    if request_id:
        lines.append(f"Request-Id: {request_id}")
    if idempotency_key:
        lines.append(f"Idempotency-Key: {idempotency_key}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _until_closed(sock: socket.socket, seconds: float, *, trickle: bool = False) -> tuple[bytes, bool]:
    """Everything the server sends until it closes the connection (``True``) or ``seconds``
    pass (``False``); with ``trickle``, one more body byte every 0.2 s meanwhile."""
    deadline = time.monotonic() + seconds
    received = b""
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        if trickle:
            try:
                sock.sendall(b" ")
            except OSError:  # closed by the server: what it sent first is still readable
                trickle = False
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received, True
        if not chunk:
            return received, True
        received += chunk
    return received, False


def _answer(raw: bytes) -> tuple[int, dict[str, str], object]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, json.loads(body) if body else None


def _logged(server: LiveServer, request_id: str) -> list[dict[str, object]]:
    """The server's log lines about one request, once its access-log line is written."""
    deadline = time.monotonic() + BOUND
    while True:
        lines = []
        for text in server.output().splitlines():
            if request_id in text and text.startswith("{"):
                lines.append(json.loads(text))
        if any(line.get("event") == "request" for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def _assert_payarc_408(raw: bytes) -> None:
    status, headers, body = _answer(raw)
    assert status == 408, raw[:300]
    assert isinstance(body, dict) and body["status"] == "error" and body["status_code"] == 408
    assert set(body) == {"status", "code", "message", "status_code"} and body["message"]
    assert headers.get("connection") == "close"


# ------------------------------------------------------------------------- silent and slow


def test_a_connection_that_never_sends_a_request_line_is_closed(server: LiveServer) -> None:
    with _connect(server) as sock:
        received, closed = _until_closed(sock, BOUND)
    assert closed and received == b""


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/charges", "/v1/customers/idempotent"])
def test_a_body_sent_a_byte_at_a_time_answers_408_and_the_connection_closes(server: LiveServer, path: str) -> None:
    key = ""
    if path.endswith("/idempotent"):  # read by the idempotency layer, not the route
        path, key = "/v1/customers", uuid.uuid4().hex
    rid = f"trickle-{uuid.uuid4().hex}"
    with _connect(server) as sock:
        sock.sendall(_head(server, path, 1000, request_id=rid, idempotency_key=key) + b"{")
        started = time.monotonic()
        received, closed = _until_closed(sock, BOUND, trickle=True)
    assert closed, f"still open after {BOUND} s, having sent {received[:200]!r}"
    assert time.monotonic() - started < BOUND
    _assert_payarc_408(received)
    lines = _logged(server, rid)
    assert [line["status"] for line in lines if line["event"] == "request"] == [408]
    assert not [line for line in lines if line["event"] == "error"]


def test_a_body_that_stops_arriving_answers_408(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_head(server, "/v1/customers", 100) + b'{"name": "Sl')
        received, closed = _until_closed(sock, BOUND)
    assert closed
    _assert_payarc_408(received)


def test_a_body_in_pieces_within_the_time_is_served(server: LiveServer) -> None:
    body = b'{"name": "Patient Client"}'
    with _connect(server) as sock:
        sock.sendall(_head(server, "/v1/customers", len(body)) + body[:5])
        time.sleep(TIMEOUT / 4)
        sock.sendall(body[5:])
        sock.settimeout(BOUND)
        status, _, answer = _answer(sock.recv(65536))
    assert status == 201 and answer["data"]["name"] == "Patient Client"  # type: ignore[index]
    # and the server still serves everyone else
    assert httpx.get(f"{server.url}/v1/customers", headers={"Authorization": f"Bearer {server.first_key}"},
                     timeout=5).status_code == 200


@pytest.mark.parametrize("path", ["/v1/customers", "/_openarc/clock/advance"])
def test_the_sandbox_bounds_bodies_too(sandbox_server: LiveServer, path: str) -> None:
    rid = f"slow-{uuid.uuid4().hex}"
    with _connect(sandbox_server) as sock:
        sock.sendall(_head(sandbox_server, path, 1000, request_id=rid) + b"{")
        received, closed = _until_closed(sock, BOUND, trickle=True)
    assert closed
    _assert_payarc_408(received)
    # The request log reads /v1 bodies first; the route still answers, so the access log has it.
    assert [line["status"] for line in _logged(sandbox_server, rid) if line["event"] == "request"] == [408]


# ----------------------------------------------------------------- truncated bodies, disconnects


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/charges", "/v1/customers/idempotent"])
def test_a_client_gone_mid_body_is_a_400_in_the_log_never_a_500(server: LiveServer, path: str) -> None:
    key = ""
    if path.endswith("/idempotent"):
        path, key = "/v1/customers", uuid.uuid4().hex
    rid = f"gone-{uuid.uuid4().hex}"
    with _connect(server) as sock:
        sock.sendall(_head(server, path, 100, request_id=rid, idempotency_key=key) + b'{"name": "a')
        time.sleep(0.2)
    lines = _logged(server, rid)
    assert [line["status"] for line in lines if line["event"] == "request"] == [400]
    assert not [line for line in lines if line["event"] == "error"], lines


@pytest.mark.parametrize("path", ["/v1/customers", "/_openarc/clock/advance"])
def test_a_client_gone_mid_body_in_the_sandbox_is_a_400(sandbox_server: LiveServer, path: str) -> None:
    rid = f"gone-{uuid.uuid4().hex}"
    with _connect(sandbox_server) as sock:
        sock.sendall(_head(sandbox_server, path, 100, request_id=rid) + b'{"seconds": 1')
        time.sleep(0.2)
    lines = _logged(sandbox_server, rid)
    assert [line["status"] for line in lines if line["event"] == "request"] == [400]
    assert not [line for line in lines if line["event"] == "error"], lines


def test_a_body_cut_short_by_a_half_close_answers_400_in_payarc_shape(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_head(server, "/v1/charges", 100) + b'{"amount": 1')
        sock.shutdown(socket.SHUT_WR)  # "that is all": ten bytes of the hundred declared
        received, closed = _until_closed(sock, BOUND)
    assert closed
    status, _, body = _answer(received)
    assert status == 400
    assert isinstance(body, dict) and body["status"] == "error" and body["status_code"] == 400


# ------------------------------------------------------------------------------ the setting


def test_the_body_timeout_is_a_setting() -> None:
    assert Settings().body_timeout_seconds == 30
    assert Settings.from_env({"OPENARC_BODY_TIMEOUT_SECONDS": "5"}).body_timeout_seconds == 5
    for wrong in ("0", "-1", "soon"):
        with pytest.raises(ValueError, match="OPENARC_BODY_TIMEOUT_SECONDS"):
            Settings.from_env({"OPENARC_BODY_TIMEOUT_SECONDS": wrong})
