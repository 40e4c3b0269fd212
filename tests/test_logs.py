"""OpenArc's own log records: JSON lines on the access log's stream, redacted like it."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from factories import VISA
from openarc import logs


@pytest.fixture
def captured() -> Iterator[list[bytes]]:
    """Install the handler as a serving process does; collect what it writes."""
    got: list[bytes] = []
    logs.install(got.append)
    yield got
    for handler in [h for h in logging.getLogger(logs.ROOT).handlers if isinstance(h, logs.JsonLines)]:
        logging.getLogger(logs.ROOT).removeHandler(handler)


def test_a_record_is_one_json_line_with_card_data_and_keys_masked(captured: list[bytes]) -> None:
    log = logging.getLogger("openarc.db")
    log.warning("listener failed for card %s with key %s", VISA, "oa_sk_" + "x" * 30)
    try:
        raise ValueError(f"bad card {VISA}")
    except ValueError:
        logging.getLogger("openarc.dashboard").exception("unhandled error on %s", f"/dashboard/{VISA}")
    first, second = (json.loads(line) for line in captured)
    assert first["event"] == "log" and first["level"] == "warning" and first["logger"] == "openarc.db"
    assert first["time"].endswith("+00:00") and "listener failed" in first["message"]
    assert second["level"] == "error" and "Traceback" in second["error"] and "ValueError" in second["error"]
    text = b"\n".join(captured).decode()
    assert VISA not in text and "oa_sk_xxxx" not in text


def test_installing_twice_leaves_one_handler(captured: list[bytes]) -> None:
    logs.install(captured.append)
    logging.getLogger("openarc.health").warning("once")
    assert len(captured) == 1
    assert sum(isinstance(h, logs.JsonLines) for h in logging.getLogger(logs.ROOT).handlers) == 1


def test_lines_from_other_threads_are_written_at_once_and_loop_lines_once_per_tick(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = logs.StderrLines()
    worker = threading.Thread(target=lines, args=(b'{"from":"thread"}',))
    worker.start()
    worker.join()
    assert capsys.readouterr().err == '{"from":"thread"}\n'

    async def tick() -> str:
        lines(b"1")
        lines(b"2")
        before = capsys.readouterr().err  # nothing yet: written after this tick
        await asyncio.sleep(0)
        return before

    assert asyncio.run(tick()) == ""
    assert capsys.readouterr().err == "1\n2\n"


def test_a_record_that_cannot_be_formatted_is_still_one_redacted_line(
    captured: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    # Kept from pytest's own capture handler, which raises on a record it cannot format.
    log = logging.getLogger("openarc.db.unpropagated")
    log.propagate = False
    log.addHandler(next(h for h in logging.getLogger(logs.ROOT).handlers if isinstance(h, logs.JsonLines)))
    try:
        log.warning("card %s and %s", VISA)  # noqa: PLE1206 - one argument short: getMessage() raises
        log.warning("path %s", "/tmp/\udcff" + VISA)  # a lone surrogate, as from undecodable bytes
    finally:
        log.handlers.clear()
        log.propagate = True
    first, second = (json.loads(line) for line in captured)
    assert first["logging_error"] == "TypeError" and first["message"] == "card %s and %s"
    assert second["message"].startswith("path /tmp/\\udcff") and "logging_error" not in second
    assert VISA not in b"\n".join(captured).decode()
    assert capsys.readouterr().err == ""  # not logging's own fallback, which prints the arguments
