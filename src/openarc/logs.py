"""What a serving process writes to stderr: one line per event, everything redacted.

Two kinds of line share the stream: the access log (api.middleware, ``"event": "request"``
or ``"error"``) and OpenArc's own log records (``"event": "log"``: a PostgreSQL listener
reconnecting, a health check failing, a dashboard error with its traceback).  Both pass
through ``redact.text``, so neither a card number nor a key reaches the log, whatever a
message or an exception happened to hold.

Each event is a dict of redacted values, written in one of two formats (``--log-format`` /
``OPENARC_LOG_FORMAT``): ``json``, one JSON object per line, for machines (the default
when stderr is not a terminal), or ``text``, one readable line per request, for a person
at a terminal (the default there).  The text form is made of the same redacted values,
with control characters escaped, so neither format shows more than the other.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import IO

import orjson

from openarc import redact

#: OpenArc's loggers all live under this one ("openarc.db", "openarc.health", …).
ROOT = "openarc"

#: The formats a log line can be written in (``--log-format`` / ``OPENARC_LOG_FORMAT``).
FORMATS = ("text", "json")


def choose(setting: str, stream: IO[str] | None = None) -> str:
    """The format to write in: ``setting`` when it names one, else ``text`` when ``stream``
    (stderr) is a terminal and ``json`` otherwise (a file, a pipe, a log collector)."""
    if setting:
        return setting
    stream = sys.stderr if stream is None else stream
    try:
        terminal = stream.isatty()
    except (AttributeError, OSError, ValueError):  # closed, or not a real stream
        terminal = False
    return "text" if terminal else "json"


class StderrLines:
    """Log lines to stderr, written together once per event-loop tick.

    A write and a flush per request cost about a fifth of a retrieve (a system call
    each); the lines of one tick share one.  A line from outside the event loop's thread
    (a database thread, the checkpointer) is written at once, on its own.  A full disk or
    a closed stderr never fails a request.
    """

    def __init__(self, log_format: str = "json") -> None:
        #: What the lines given to this writer are made with (see ``encoder``).
        self.log_format = log_format
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


def encoder(write: Callable[[bytes], None]) -> Callable[[Mapping[str, object]], bytes]:
    """How events become lines for ``write``: ``text_line`` when it is a writer set to text
    (``StderrLines("text")``), else JSON (any other callable, such as a test's list.append)."""
    return text_line if getattr(write, "log_format", "json") == "text" else orjson.dumps


#: Control characters (C0, DEL, C1) as escapes: a path or message cannot start a line of its
#: own in the text form, nor send a terminal an escape sequence.
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}


def _plain(value: object) -> str:
    return str(value).translate(_ESCAPES)


def _when(entry: Mapping[str, object]) -> str:
    """``2026-01-31T12:00:00.123Z``, from the entry's time (or now, for an entry without one)."""
    stamp = entry.get("time")
    if not isinstance(stamp, str):
        stamp = timestamp(datetime.now(UTC).timestamp())
    return stamp.removesuffix("+00:00") + "Z"


def _block(text: object) -> str:
    """A traceback under its line, indented, each line escaped."""
    return "".join(f"\n    {_plain(line)}" for line in str(text).rstrip("\n").split("\n"))


def text_line(entry: Mapping[str, object]) -> bytes:
    """An event as one readable line: for a request, its time, method, path (with the query
    as the JSON form keeps it), status, milliseconds and request id::

        2026-01-31T12:00:00.123Z POST /v1/customers 201 3.2 ms 5f0c…

    A log record is its time, level, logger and message; a traceback follows it, indented.
    """
    when = _when(entry)
    event = entry.get("event")
    if event == "request":
        target = str(entry.get("path", ""))
        query = entry.get("query")
        if isinstance(query, Mapping) and query:
            target += "?" + "&".join(f"{name}={value}" for name, value in query.items())
        duration = entry.get("duration_ms")
        ms = f"{duration:.1f}" if isinstance(duration, int | float) else "?"
        target = _plain(target).replace(" ", "%20")  # one field: a space splits none
        line = (f"{when} {_plain(entry.get('method', '?'))} {target} {_plain(entry.get('status', '?'))} "
                f"{ms} ms {_plain(entry.get('request_id', '-'))}")
    elif event == "log":
        line = (f"{when} {_plain(str(entry.get('level', 'log')).upper())} {_plain(entry.get('logger', ROOT))}: "
                f"{_plain(entry.get('message', ''))}")
        if "logging_error" in entry:
            line += f" (could not be formatted: {_plain(entry['logging_error'])})"
        if "error" in entry:
            line += _block(entry["error"])
    elif event == "error":
        line = f"{when} ERROR request {_plain(entry.get('request_id', '-'))} failed" + _block(entry.get("error", ""))
    else:  # nothing writes another kind today; say it whole rather than drop it
        line = f"{when} {_plain(orjson.dumps(entry).decode())}"
    return line.encode("utf-8", "backslashreplace")


class JsonLines(logging.Handler):
    """A ``logging`` handler writing each record as one redacted line: JSON, or text when
    ``write`` is a writer set to text (``encoder``).

    A record that cannot be formatted (arguments that do not fit its message, text that is
    not valid Unicode) still becomes a line, never ``logging``'s own fallback, which prints
    the record's arguments, card numbers included, and a traceback, unredacted.
    """

    def __init__(self, write: Callable[[bytes], None]) -> None:
        super().__init__()
        self.write = write
        self.encode = encoder(write)

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
            self.write(self.encode(entry))
        except Exception:  # noqa: BLE001 - a log line is never worth failing the caller
            return

    def handleError(self, record: logging.LogRecord) -> None:
        return  # never logging's fallback: it prints the arguments unredacted


def _text(value: str) -> str:
    """``value`` redacted, with anything that is not valid Unicode (lone surrogates from
    undecodable bytes) written as escapes, which JSON can carry."""
    return redact.text(value).encode("utf-8", "backslashreplace").decode("utf-8")


def install(write: Callable[[bytes], None]) -> None:
    """Send OpenArc's log records (warnings and worse) to ``write`` as lines (JSON, or text
    for a writer set to text), once per process: a handler installed earlier (another app in
    the same process) is replaced."""
    logger = logging.getLogger(ROOT)
    for old in [h for h in logger.handlers if isinstance(h, JsonLines)]:
        logger.removeHandler(old)
    logger.addHandler(JsonLines(write))
