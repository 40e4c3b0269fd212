"""What a serving process writes to stderr: one JSON object per line, everything redacted.

Two kinds of line share the stream: the access log (api.middleware, ``"event": "request"``
or ``"error"``) and OpenArc's own log records (``"event": "log"``: a PostgreSQL listener
reconnecting, a health check failing, a dashboard error with its traceback).  Both pass
through ``redact.text``, so neither a card number nor a key reaches the log, whatever a
message or an exception happened to hold.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

import orjson

from openarc import redact

#: OpenArc's loggers all live under this one ("openarc.db", "openarc.health", …).
ROOT = "openarc"


class StderrLines:
    """Log lines to stderr, written together once per event-loop tick.

    A write and a flush per request cost about a fifth of a retrieve (a system call
    each); the lines of one tick share one.  A line from outside the event loop's thread
    (a database thread, the checkpointer) is written at once, on its own.  A full disk or
    a closed stderr never fails a request.
    """

    def __init__(self) -> None:
        self._lines: list[bytes] = []
        self._scheduled = False

    def __call__(self, line: bytes) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return _write([line])
        self._lines.append(line)
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        lines, self._lines = self._lines, []
        if lines:
            _write(lines)


def _write(lines: list[bytes]) -> None:
    try:
        sys.stderr.write(b"\n".join(lines).decode() + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        return


@lru_cache(maxsize=4)
def _second(whole: int) -> str:
    return datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def timestamp(now: float) -> str:
    """``datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")``, formatting
    each second once."""
    whole = int(now)
    micro = round((now - whole) * 1e6)  # rounded to the microsecond first, as datetime does
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    return f"{_second(whole)}.{micro // 1000:03d}+00:00"


class JsonLines(logging.Handler):
    """A ``logging`` handler writing each record as one redacted JSON line.

    A record that cannot be formatted (arguments that do not fit its message, text that is
    not valid Unicode) still becomes a line, never ``logging``'s own fallback, which prints
    the record's arguments, card numbers included, and a traceback, unredacted.
    """

    def __init__(self, write: Callable[[bytes], None]) -> None:
        super().__init__()
        self.write = write

    def emit(self, record: logging.LogRecord) -> None:
        entry: dict[str, object] = {
            "time": timestamp(record.created),
            "event": "log",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        try:
            entry["message"] = _text(record.getMessage())
            if record.exc_info:
                entry["error"] = _text("".join(traceback.format_exception(*record.exc_info)))
        except Exception as exc:  # noqa: BLE001 - said as a line of its own, below
            entry["message"] = _text(str(record.msg))
            entry["logging_error"] = type(exc).__name__
        try:
            self.write(orjson.dumps(entry))
        except Exception:  # noqa: BLE001 - a log line is never worth failing the caller
            return

    def handleError(self, record: logging.LogRecord) -> None:
        return  # never logging's fallback: it prints the arguments unredacted


def _text(value: str) -> str:
    """``value`` redacted, with anything that is not valid Unicode (lone surrogates from
    undecodable bytes) written as escapes, which JSON can carry."""
    return redact.text(value).encode("utf-8", "backslashreplace").decode("utf-8")


def install(write: Callable[[bytes], None]) -> None:
    """Send OpenArc's log records (warnings and worse) to ``write`` as JSON lines, once per
    process: a handler installed earlier (another app in the same process) is replaced."""
    logger = logging.getLogger(ROOT)
    for old in [h for h in logger.handlers if isinstance(h, JsonLines)]:
        logger.removeHandler(old)
    logger.addHandler(JsonLines(write))
