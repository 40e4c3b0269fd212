"""What every command shares: ``--database`` and opening it."""

from __future__ import annotations

import argparse

from openarc.api.app import build_context
from openarc.api.context import AppContext
from openarc.config import Settings


def add_database_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--database",
        metavar="URL",
        help="sqlite:///path.db or postgresql://… (default: $OPENARC_DATABASE_URL, else sqlite:///openarc.db)",
    )


def settings_of(args: argparse.Namespace) -> Settings:
    return Settings.from_env(database_url=args.database)


def open_context(args: argparse.Namespace) -> AppContext:
    """The database of ``args``, migrated, with the installation's secrets loaded."""
    return build_context(settings_of(args))
