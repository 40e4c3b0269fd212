"""``openarc keys …``: merchants' API keys."""

from __future__ import annotations

import argparse

from openarc.cli.common import add_database_option, open_context
from openarc.services import accounts


def register(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="create a merchant if new and print a new API key (last line)")
    create.add_argument("--account", required=True, metavar="NAME", help="merchant name")
    add_database_option(create)
    create.set_defaults(run=run_create)


def run_create(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    try:
        issued = accounts.issue_key(ctx.db, ctx.secrets.api_keys, args.account, now=ctx.clock.now())
    finally:
        ctx.db.dispose()
    print(f"Merchant: {issued.account.name}")
    print(f"Key id:   {issued.key_id} (the key is shown only now; OpenArc keeps just a keyed hash of it)")
    print(issued.secret)
    return 0
