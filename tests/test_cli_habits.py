"""What the command line is like to use: every option of `serve` and `keys` explains itself and
its default, a usage error is one plain line, revoking twice says so, and the server's log
is readable at a terminal (text) and parseable elsewhere (JSON), redacted either way."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from factories import VISA
from openarc import logs
from openarc.api.middleware import RequestLogMiddleware
from openarc.cli import main, parser
from openarc.config import Settings

KEY = "habits-key-0123456789"


def _commands(top: argparse.ArgumentParser, *names: str) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Each (sub)command parser under ``names``, with its full name: serve, keys create, …"""
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if not names or name in names:
                    inner = list(_commands(sub))
                    yield from ((f"{name} {n}", p) for n, p in inner) if inner else [(name, sub)]


def test_every_option_of_serve_and_keys_says_what_it_does_and_its_default() -> None:
    commands = dict(_commands(parser(), "serve", "keys"))
    assert set(commands) == {"serve", "keys create", "keys list", "keys revoke"}
    for name, command in commands.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            what = f"openarc {name} {'/'.join(action.option_strings) or action.metavar}"
            assert action.help and len(action.help) > 10, what
            assert re.search(r"\((default: |required; no default)", action.help), what


def test_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["serve", "--help"])
    assert done.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())  # unwrapped
    for default in ("(default: 127.0.0.1)", "(default: 8000)", "(default: 1)", "(default: off",
                    "(default: $OPENARC_LOG_FORMAT, else text when stderr is a terminal and json otherwise)",
                    "(default: $OPENARC_DATABASE_URL, else sqlite:///openarc.db)"):
        assert default in shown


@pytest.mark.parametrize(("argv", "says"), [
    (["serve", "--port", "eighty"], "openarc serve: argument --port: port must be a whole number, not 'eighty'"),
    (["serve", "--port", "99999"], "port must be from 0 to 65535, not 99999"),
    (["serve", "--port", "8\n0\x1b[31m"], "port must be a whole number, not '8?0?[31m'"),
    (["serve", "--log-format", "xml"], "argument --log-format: log format must be text or json, not 'xml'"),
    (["serve", "--host"], "argument --host: expected one argument"),
    (["serve", "--nope"], "unrecognized arguments: --nope"),
    (["kees"], "openarc: argument command: 'kees' is not one of: serve, keys, import, export"),
    (["keys"], "openarc keys: the following arguments are required: {create,list,revoke}"),
    (["keys", "create"], "the following arguments are required: --account"),
    (["keys", "revoke"], "the following arguments are required: KEY"),
    (["keys", "rm", "k"], "'rm' is not one of: create, list, revoke"),
])
def test_a_usage_error_is_one_plain_line(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.endswith(" --help)\n")
    assert says in err
    assert "usage:" not in err and "Traceback" not in err and "(choose from" not in err
    assert "\x1b" not in err and "\\n" not in err


def test_a_refused_value_is_words_not_a_python_dict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "--account", " ", "--database", f"sqlite:///{tmp_path / 'k.db'}"]) == 2
    err = capsys.readouterr().err
    assert err == "openarc: account: The account name must be 1 to 100 printable characters.\n"


def test_a_bad_log_format_setting_is_one_line(tmp_path: Path) -> None:
    refused = subprocess.run([sys.executable, "-m", "openarc", "serve", "--temporary"], cwd=tmp_path, timeout=60,
                             env={**os.environ, "OPENARC_LOG_FORMAT": "yaml"}, capture_output=True, text=True,
                             check=False)
    assert refused.returncode == 2
    assert refused.stderr == "openarc: OPENARC_LOG_FORMAT must be text or json, not yaml\n"


def test_revoking_a_revoked_key_says_so_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database", f"sqlite:///{tmp_path / 'keys.db'}"]
    assert main(["keys", "create", "--account", "acme", *db]) == 0
    made = capsys.readouterr().out
    key, key_id = made.strip().splitlines()[-1], made.split("Key id:")[1].split()[0]

    assert main(["keys", "revoke", key_id, *db]) == 0
    assert capsys.readouterr().out == f"Revoked {key_id}.\n"
    main(["keys", "list", *db])
    [row] = [line for line in capsys.readouterr().out.splitlines() if key_id in line]
    revoked_at = re.split(r"\s{2,}", row.strip())[-1]
    assert revoked_at.endswith("Z")

    for again in (key_id, key):  # by id or in full: already revoked, when, exit 0
        assert main(["keys", "revoke", again, *db]) == 0
        assert capsys.readouterr().out == f"Key {key_id} was already revoked, at {revoked_at}; nothing changed.\n"
    main(["keys", "list", *db])
    assert revoked_at in capsys.readouterr().out  # the first revocation's time is kept

    assert main(["keys", "revoke", "key_nope", *db]) == 3
    assert capsys.readouterr().err == "openarc: No such key.\n"


# ------------------------------------------------------------------------------ log formats


class Collected:
    """A writer like logs.StderrLines set to a format, keeping its lines."""

    def __init__(self, log_format: str) -> None:
        self.log_format = log_format
        self.lines: list[bytes] = []

    def __call__(self, line: bytes) -> None:
        self.lines.append(line)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_format_is_text_at_a_terminal_and_json_elsewhere_unless_chosen() -> None:
    assert logs.choose("", _Terminal()) == "text"
    assert logs.choose("", io.StringIO()) == "json"
    assert logs.choose("json", _Terminal()) == "json" and logs.choose("text", io.StringIO()) == "text"
    assert Settings.from_env({"OPENARC_LOG_FORMAT": " TEXT "}).log_format == "text"
    assert Settings.from_env({}).log_format == ""
    with pytest.raises(ValueError, match="OPENARC_LOG_FORMAT must be text or json, not xml"):
        Settings.from_env({"OPENARC_LOG_FORMAT": "xml"})


async def _answer(scope: dict, receive: object, send: object) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]


async def _fail(scope: dict, receive: object, send: object) -> None:
    raise RuntimeError(f"failed on card {VISA}")


def _request(app: object, path: str, query: bytes = b"", request_id: bytes = b"") -> None:
    import asyncio

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        return None

    headers = [(b"request-id", request_id)] if request_id else []
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query, "headers": headers,
             "client": ("127.0.0.1", 5000)}
    asyncio.run(app(scope, receive, send))  # type: ignore[operator]


def test_a_text_access_line_is_readable_and_redacted_as_the_json_one() -> None:
    text, json_lines = Collected("text"), Collected("json")
    for write in (text, json_lines):
        _request(RequestLogMiddleware(_answer, write=write), f"/v1/customers/{VISA}\n2026 fake\x1b[2J",
                 b"limit=5&phone=" + VISA.encode() + b"&cvv=123", b"same-request-1")
    [entry] = [json.loads(line) for line in json_lines.lines]
    [line] = [line.decode() for line in text.lines]
    assert "\n" not in line and "\x1b" not in line and VISA not in line and "123" not in line.split(" ms ")[0]
    when, method, target, status, ms, unit, rid = line.split(" ")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", when) and entry["time"].endswith("+00:00")
    assert (method, status, unit, rid) == ("GET", "404", "ms", "same-request-1") and float(ms) >= 0
    path = entry["path"].replace("\n", "\\x0a").replace("\x1b", "\\x1b").replace(" ", "%20")
    assert target == f"{path}?limit=5&phone=[redacted]&cvv=[redacted]"


def test_an_unhandled_error_is_a_text_line_with_its_traceback_indented() -> None:
    text = Collected("text")
    _request(RequestLogMiddleware(_fail, write=text), "/v1/customers")
    error, request = (line.decode() for line in text.lines)
    first, *traceback = error.split("\n")
    assert re.fullmatch(r"\S+Z ERROR request [0-9a-f]{32} failed", first)
    assert traceback and all(t.startswith("    ") for t in traceback) and "RuntimeError" in error
    assert VISA not in error
    assert " GET /v1/customers 500 " in request


def test_a_log_record_in_text_is_one_line_with_level_and_logger() -> None:
    text = Collected("text")
    logs.install(text)
    try:
        logging.getLogger("openarc.db").warning("listener lost for card %s;\nreconnecting", VISA)
    finally:
        root = logging.getLogger(logs.ROOT)
        for handler in [h for h in root.handlers if isinstance(h, logs.JsonLines)]:
            root.removeHandler(handler)
    [line] = [line.decode() for line in text.lines]
    assert re.fullmatch(r"\S+Z WARNING openarc\.db: listener lost for card \S+;\\x0areconnecting", line)
    assert VISA not in line


def _serve(tmp_path: Path, *args: str, stderr: int, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    out = tmp_path / "serve.out"
    process = subprocess.Popen(
        [sys.executable, "-m", "openarc", "serve", "--temporary", "--port", "0", "--sandbox-key", KEY, *args],
        cwd=tmp_path, stdout=out.open("w"), stderr=stderr, start_new_session=True,
        env={**{k: v for k, v in os.environ.items() if k != "OPENARC_LOG_FORMAT"}, **(env or {})},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.match(r"OpenArc listening on (\S+)", out.read_text())
        if found:
            try:
                httpx.get(f"{found.group(1)}/healthz", timeout=1)
                return process, found.group(1)
            except httpx.TransportError:
                pass
        assert process.poll() is None, out.read_text()
        time.sleep(0.1)
    raise AssertionError(out.read_text())


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(15)


def _requests(url: str) -> list[str]:
    """Three requests; their ids, in order."""
    auth = {"Authorization": f"Bearer {KEY}"}
    return [httpx.get(f"{url}/v1/customers/{VISA}", headers=auth).headers["request-id"],
            httpx.post(f"{url}/v1/customers", headers=auth, json={"name": "Log"}).headers["request-id"],
            httpx.get(f"{url}/v1/customers", headers=auth, params={"limit": 2}).headers["request-id"]]


def _read_terminal(master: int, until: str, seconds: float = 10) -> str:
    got = b""
    deadline = time.monotonic() + seconds
    while until.encode() not in got and time.monotonic() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            try:
                got += os.read(master, 65536)
            except OSError:
                break
    return got.decode(errors="replace").replace("\r\n", "\n")


@pytest.mark.parametrize("chosen", [(), ("--log-format", "json")])
def test_serve_writes_text_to_a_terminal_unless_told_otherwise(tmp_path: Path, chosen: tuple[str, ...]) -> None:
    master, terminal = pty.openpty()
    try:
        process, url = _serve(tmp_path, *chosen, stderr=terminal)
        try:
            ids = _requests(url)
            written = _read_terminal(master, ids[-1])
        finally:
            _stop(process)
    finally:
        os.close(terminal)
        os.close(master)
    lines = [line for line in written.splitlines() if any(i in line for i in ids)]
    assert len(lines) == 3 and VISA not in written and KEY not in written
    if chosen:
        assert [json.loads(line)["request_id"] for line in lines] == ids
    else:
        assert re.fullmatch(rf"\S+Z GET /v1/customers/\S+ \d{{3}} [\d.]+ ms {ids[0]}", lines[0])
        assert re.fullmatch(rf"\S+Z POST /v1/customers 201 [\d.]+ ms {ids[1]}", lines[1])
        assert re.fullmatch(rf"\S+Z GET /v1/customers\?limit=2 200 [\d.]+ ms {ids[2]}", lines[2])


def test_workers_write_the_format_the_environment_names(tmp_path: Path) -> None:
    log = tmp_path / "serve.err"
    with log.open("w") as stderr:
        process, url = _serve(tmp_path, "--workers", "2", stderr=stderr.fileno(), env={"OPENARC_LOG_FORMAT": "text"})
    try:
        ids = [rid for _ in range(4) for rid in _requests(url)]  # over connections, to both workers
        deadline = time.monotonic() + 10
        while ids[-1] not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        _stop(process)
    written = log.read_text()
    lines = [line for line in written.splitlines() if any(i in line for i in ids)]
    assert len(lines) == len(ids) and not any(line.startswith("{") for line in lines)
    assert VISA not in written and KEY not in written
