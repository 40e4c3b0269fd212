"""The ``openarc`` command.  Each command group lives in its own module; errors
become exit codes here, once.

Every message is one plain line on stderr: a usage error is ``openarc serve: argument
--port: …  (see openarc serve --help)`` and exit 2, never argparse's usage block or a
Python repr of a value.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from sqlalchemy.exc import ArgumentError, DBAPIError

from openarc import __version__, errors
from openarc.cli import data, keys, serve
from openarc.cli.common import plain
from openarc.db.engine import URL_HELP

EXIT_CODES: dict[type[errors.OpenArcError], int] = {errors.Invalid: 2, errors.NotFound: 3, errors.Conflict: 4}


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one plain line (the usage is one ``--help`` away).
    Every subcommand's parser is one too (``add_subparsers`` makes its parsers of this class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {plain(message, 300)} (see {self.prog} --help)\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # argparse's own message lists the choices as Python reprs: 'serve', 'keys', …
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(str, action.choices))
            raise argparse.ArgumentError(action, f"'{plain(value)}' is not one of: {choices}")


def parser() -> argparse.ArgumentParser:
    top = Parser(prog="openarc", description="A wire-compatible PayArc Customers API server.")
    top.add_argument("--version", action="version", version=f"openarc {__version__}")
    commands = top.add_subparsers(dest="command", required=True)
    serve.register(commands)
    keys.register(commands)
    data.register(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    if not given:  # ``openarc`` alone: what it can do, not a usage error
        parser().print_help()
        return 0
    args = parser().parse_args(given)
    try:
        return args.run(args) or 0
    except errors.OpenArcError as exc:
        print(f"openarc: {_said(exc)}", file=sys.stderr)
        return errors.nearest(EXIT_CODES, exc) or 1
    except ValueError as exc:  # bad settings: a malformed URL, a non-numeric variable…
        print(f"openarc: {exc}", file=sys.stderr)
        return 2
    except ArgumentError:  # a URL SQLAlchemy could not take (its message would repeat the URL)
        print(f"openarc: malformed database URL: {URL_HELP}", file=sys.stderr)
        return 2
    except DBAPIError as exc:  # the database cannot be reached, refused us, or failed
        print(f"openarc: cannot use the database: {_first_lines(exc.orig or exc)}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file beside the database that this user may not open, a full disk…
        print(f"openarc: {exc}", file=sys.stderr)
        return 1


def _said(exc: errors.OpenArcError) -> str:
    """The error in words: a validation error as ``field: message; …`` (not a dict's repr)."""
    detail = getattr(exc, "errors", None)
    if isinstance(detail, dict) and detail:
        return "; ".join(f"{field}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}"
                         for field, messages in detail.items())
    return exc.message


def _first_lines(exc: BaseException) -> str:
    """A driver's message on one line (libpq's hints come on further, tab-indented lines)."""
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
