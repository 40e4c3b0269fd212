"""One Settings object, read from ``OPENARC_*`` environment variables.

Nothing here touches the database or the network: the CLI and the tests build a
``Settings`` and hand it to ``create_app``/the services.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_DATABASE_URL = "sqlite:///openarc.db"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    """A time limit: a whole number of seconds, at least 1 (0 would refuse every client)."""
    value = _int(env, name, default)
    if value < 1:
        raise ValueError(f"{name} must be at least 1 (seconds), got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0, got {raw!r}")


def _time_of_day(env: Mapping[str, str], name: str, default: int) -> int:
    """Minutes after 00:00 UTC from ``HH:MM``."""
    raw = (env.get(name) or "").strip()
    if raw == "":
        return default
    hours, _, minutes = raw.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"{name} must be a time of day in UTC as HH:MM, got {raw!r}")
    return int(hours) * 60 + int(minutes)


def _log_format(env: Mapping[str, str], name: str) -> str:
    """``text`` or ``json``; empty when unset (then text on a terminal, JSON otherwise: logs.choose)."""
    raw = (env.get(name) or "").strip().lower()
    if raw not in ("", "text", "json"):
        shown = "".join(c if c.isprintable() else "?" for c in raw[:40])
        raise ValueError(f"{name} must be text or json, not {shown}")
    return raw


@dataclass(frozen=True)
class Settings:
    """Everything an OpenArc process can be told.

    ``secret_key`` keys the HMACs that protect API keys and card fingerprints and
    salts the public ids.  When it is empty, the installation's own random secret
    (created in the database on first start) is used; set it explicitly when the
    database may leak separately from the environment.
    """

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = field(default="", repr=False)
    #: Largest accepted request body, in bytes (larger bodies answer 413).
    max_body_bytes: int = 1024 * 1024
    #: Page size when a list request gives no ``limit``, and the largest allowed.
    default_page_size: int = 25
    max_page_size: int = 100
    #: How long a card token stays usable, in seconds.
    token_ttl_seconds: int = 15 * 60
    #: SQLite ``PRAGMA synchronous``: NORMAL survives a process crash; FULL also power loss.
    sqlite_synchronous: str = "NORMAL"
    #: Sandbox controls under ``/_openarc/`` (reset, request log, clock): tests and the quick start only.
    sandbox: bool = False
    #: How long an ``Idempotency-Key`` answers with its first response, in seconds.
    idempotency_ttl_seconds: int = 24 * 60 * 60
    #: Requests per minute per API key (per worker process); 0 turns rate limiting off.
    rate_limit: int = 60_000
    #: Seconds a client may take to send a request's headers, and may stay idle between requests.
    header_timeout_seconds: int = 10
    #: Seconds a request's whole body may take to arrive (then 408, and the connection closes).
    body_timeout_seconds: int = 30
    #: One JSON line per request on stderr (never keys, card or account numbers).
    access_log: bool = True
    #: How stderr's log lines are written: "text" (readable) or "json"; "" chooses text
    #: when stderr is a terminal and JSON otherwise (logs.choose).
    log_format: str = ""
    #: The daily settlement cut-off, in minutes after 00:00 UTC: captured charges settle at
    #: the first cut-off after their capture (by the sandbox clock where it is moved).
    settlement_cutoff_minutes: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            database_url=env.get("OPENARC_DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=env.get("OPENARC_SECRET_KEY", ""),
            max_body_bytes=_int(env, "OPENARC_MAX_BODY_BYTES", cls.max_body_bytes),
            default_page_size=_int(env, "OPENARC_DEFAULT_PAGE_SIZE", cls.default_page_size),
            max_page_size=_int(env, "OPENARC_MAX_PAGE_SIZE", cls.max_page_size),
            token_ttl_seconds=_int(env, "OPENARC_TOKEN_TTL_SECONDS", cls.token_ttl_seconds),
            sqlite_synchronous=(env.get("OPENARC_SQLITE_SYNCHRONOUS") or "NORMAL").upper(),
            sandbox=_bool(env, "OPENARC_SANDBOX"),
            idempotency_ttl_seconds=_int(env, "OPENARC_IDEMPOTENCY_TTL_SECONDS", cls.idempotency_ttl_seconds),
            rate_limit=_int(env, "OPENARC_RATE_LIMIT", cls.rate_limit),
            header_timeout_seconds=_seconds(env, "OPENARC_HEADER_TIMEOUT_SECONDS", cls.header_timeout_seconds),
            body_timeout_seconds=_seconds(env, "OPENARC_BODY_TIMEOUT_SECONDS", cls.body_timeout_seconds),
            access_log=_bool(env, "OPENARC_ACCESS_LOG", cls.access_log),
            log_format=_log_format(env, "OPENARC_LOG_FORMAT"),
            settlement_cutoff_minutes=_time_of_day(env, "OPENARC_SETTLEMENT_CUTOFF", cls.settlement_cutoff_minutes),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given) if given else settings
