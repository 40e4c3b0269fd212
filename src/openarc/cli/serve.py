"""``openarc serve``: migrate, make sure someone can sign in, then serve with granian."""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from openarc import logs
from openarc.cli.common import add_database_option, opened, plain, settings_of
from openarc.db import describe
from openarc.services import accounts

SANDBOX_ACCOUNT = "sandbox"


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve", help="run the API server",
        description="Migrate the database, make sure someone can sign in, then serve the API, the dashboard and /docs.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address or host name to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_bounded("port", 0, 65535), default=8000,
                       help="port to listen on; 0 picks a free one, named on the first line of output (default: 8000)")
    serve.add_argument("--workers", type=_bounded("workers", 1, 256), default=1,
                       help="worker processes (default: 1)")
    serve.add_argument(
        "--sandbox", action="store_true",
        help="enable the /_openarc/ test controls (reset, request log, clock); one worker; never in production "
             "(default: off, or on with $OPENARC_SANDBOX=1)",
    )
    serve.add_argument(
        "--sandbox-key", metavar="KEY", default=os.environ.get("OPENARC_SANDBOX_KEY") or None,
        help="make KEY an API key of the merchant 'sandbox', so a CI job can set the key it uses instead of "
             "reading it from this output; 16-256 letters, digits or - _ . ~ (default: $OPENARC_SANDBOX_KEY, "
             "else none: a new database gets a new key, printed once)",
    )
    serve.add_argument(
        "--temporary", action="store_true",
        help="serve a new SQLite database in a temporary directory, deleted when the server stops (default: off)",
    )
    serve.add_argument(
        "--log-format", type=_log_format, default=None, metavar="{text,json}",
        help="stderr's log lines: text, one readable line per request, or json, one JSON object per line "
             "(default: $OPENARC_LOG_FORMAT, else text when stderr is a terminal and json otherwise)",
    )
    add_database_option(serve)
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.temporary:
        if args.database:
            raise ValueError("--temporary serves a new database of its own: drop --database")
        with tempfile.TemporaryDirectory(prefix="openarc-") as workdir:
            args.database = f"sqlite:///{Path(workdir) / 'openarc.db'}"
            return _serve(args)
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if args.sandbox:
        settings = replace(settings, sandbox=True)
    if settings.sandbox and args.workers != 1:
        # The request log and the clock live in the process: several workers would each have their own.
        raise ValueError("the sandbox runs one worker: drop --workers or --sandbox/OPENARC_SANDBOX")
    log_format = logs.choose(args.log_format or settings.log_format)
    address = _address(args.host)
    port = args.port or _free_port(address)
    _check_free(address, port)
    with opened(args) as ctx:  # migrates before any worker starts
        first_key = None
        if args.sandbox_key:
            accounts.accept_key(ctx.db, ctx.secrets.api_keys, SANDBOX_ACCOUNT, args.sandbox_key, now=ctx.clock.now())
        elif not accounts.has_accounts(ctx.db):
            first_key = accounts.issue_key(ctx.db, ctx.secrets.api_keys, SANDBOX_ACCOUNT, now=ctx.clock.now())

    host = args.host.strip("[]")
    # IPv6 in brackets, and a zone (fe80::1%eth0) with its % escaped, as URLs write them.
    base = f"http://[{host.replace('%', '%25')}]:{port}" if ":" in host else f"http://{host}:{port}"
    print(f"OpenArc listening on {base}  (API {base}/v1, docs {base}/docs)")
    print(f"Dashboard: {base}/dashboard  (sign in with an API key)")
    print(f"Database: {describe(settings.database_url)}")
    if settings.sandbox:
        print(f"Sandbox controls on at {base}/_openarc/ (reset, request log, clock): for tests, not production.")
    if args.sandbox_key:
        print(f"Merchant '{SANDBOX_ACCOUNT}' answers to the key you chose (--sandbox-key / OPENARC_SANDBOX_KEY).")
    if first_key is not None:
        print(f"Created merchant '{SANDBOX_ACCOUNT}'. Its API key, shown only this once:")
        print(f"  {first_key.secret}")
        print(f"Try: curl -H 'Authorization: Bearer {first_key.secret}' {base}/v1/customers")
    print(flush=True)

    # Workers are separate processes that build their app from the environment.
    os.environ["OPENARC_DATABASE_URL"] = settings.database_url
    os.environ["OPENARC_SANDBOX"] = "1" if settings.sandbox else "0"
    os.environ["OPENARC_LOG_FORMAT"] = log_format  # chosen here, once, for every worker
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings

    Granian(
        "openarc.api.app:app_from_env",
        factory=True,
        address=address,
        port=port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        loop=Loops.uvloop,
        websockets=False,
        log_access=False,
        # A client gets header_timeout_seconds to send a request's headers, and a kept-alive
        # connection is closed after that long idle: slow or silent clients cannot hold
        # connections (and so other clients) hostage.  HTTP/1.1 only: in the default "auto"
        # mode granian first waits, with no time limit, for bytes telling HTTP/1.1 from
        # HTTP/2, so a connection that sent nothing stayed open for ever.  Bodies are bounded
        # by max_body_bytes, and in time by api.timeouts (body_timeout_seconds).
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=settings.header_timeout_seconds * 1000, keep_alive=True),
    ).serve()
    return 0


def _bounded(name: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, or a usage error naming it."""

    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, not '{plain(text)}'") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be from {low} to {high}, not {value}")
        return value

    return number


def _log_format(text: str) -> str:
    """An argparse type: ``text`` or ``json``."""
    if text.strip().lower() not in logs.FORMATS:
        raise argparse.ArgumentTypeError(f"log format must be text or json, not '{plain(text)}'")
    return text.strip().lower()


def _address(host: str) -> str:
    """The IP address to listen on: granian binds addresses only, so a name (``localhost``,
    the machine's own name) is resolved first, to its IPv4 address when it has one."""
    host = host.strip("[]")  # "[::1]", as URLs write IPv6 addresses
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValueError(f"cannot listen on '{plain(host)}': not an address, and the name does not resolve ({exc})") from None
    found.sort(key=lambda info: info[0] != socket.AF_INET)
    return str(found[0][4][0])


def _free_port(address: str) -> int:
    """A port nothing listens on now (the kernel's choice), for ``--port 0``: granian is given
    a number, so the first line of output can name the real URL."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def _check_free(address: str, port: int) -> None:
    """Refuse a port another server listens on.  granian binds with ``SO_REUSEPORT`` (for its
    workers), so a second server on the same port would otherwise start and silently take
    half of the first one's requests, perhaps for another database."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed server's TIME_WAIT is fine
        try:
            probe.bind((address, port))
        except OSError as exc:
            raise OSError(f"cannot listen on {address} port {port}: {exc.strerror}") from None
