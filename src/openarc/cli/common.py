"""What every command shares: ``--database`` and opening it, and how a value is shown in a message."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from openarc.config import Settings
from openarc.context import AppContext, build_context


def plain(value: object, limit: int = 80) -> str:
    """``value`` as a message shows it: as typed, cut to ``limit`` characters, with anything
    unprintable (a newline, a terminal escape) as ``?`` so a message stays one plain line."""
    text = str(value)
    shown = "".join(c if c.isprintable() else "?" for c in text[:limit])
    return shown + ("..." if len(text) > limit else "")


def add_database_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--database",
        metavar="URL",
        help="sqlite:///path.db or postgresql://… (default: $OPENARC_DATABASE_URL, else sqlite:///openarc.db)",
    )


def settings_of(args: argparse.Namespace) -> Settings:
    return Settings.from_env(database_url=args.database)


@contextmanager
def opened(args: argparse.Namespace) -> Iterator[AppContext]:
    """The database of ``args``, migrated, with the installation's secrets loaded; closed after."""
    ctx = build_context(settings_of(args))
    try:
        yield ctx
    finally:
        ctx.db.dispose()
