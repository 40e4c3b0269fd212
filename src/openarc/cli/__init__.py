"""The ``openarc`` command.  Each command group lives in its own module; errors
become exit codes here, once."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import ArgumentError, DBAPIError

from openarc import __version__, errors
from openarc.cli import data, keys, serve
from openarc.db.engine import URL_HELP

EXIT_CODES: dict[type[errors.OpenArcError], int] = {errors.Invalid: 2, errors.NotFound: 3, errors.Conflict: 4}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="openarc", description="A wire-compatible PayArc Customers API server.")
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
        detail = getattr(exc, "errors", None)
        print(f"openarc: {exc.message}" + (f" {detail}" if detail else ""), file=sys.stderr)
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


def _first_lines(exc: BaseException) -> str:
    """A driver's message on one line (libpq's hints come on further, tab-indented lines)."""
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
