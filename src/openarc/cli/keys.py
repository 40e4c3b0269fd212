"""``openarc keys …``: merchants' API keys."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from openarc.cli.common import add_database_option, opened
from openarc.services import accounts


def register(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser(
        "keys", help="manage API keys", description="Create, list and revoke merchants' API keys.",
    ).add_subparsers(dest="keys_command", required=True, metavar="{create,list,revoke}")
    create = keys.add_parser("create", help="create a merchant if new and print a new API key (last line)",
                             description="Create the merchant NAME if new, and print a new API key of it on the "
                                         "last line (shown only now).")
    create.add_argument("--account", required=True, metavar="NAME",
                        help="merchant name, 1 to 100 printable characters (required; no default)")
    add_database_option(create)
    create.set_defaults(run=run_create)
    listing = keys.add_parser("list", help="list keys: merchant, key id, created, last used, revoked",
                              description="List every key: merchant, key id, created, last used, revoked.")
    add_database_option(listing)
    listing.set_defaults(run=run_list)
    revoke = keys.add_parser(
        "revoke", help="revoke a key, given in full or by the id `keys list` shows",
        description="Revoke a key: running servers refuse it from then on.  A key revoked before is left "
                    "as it was: the command says when it was revoked and exits 0 (nothing left to do), so "
                    "revoking is safe to repeat.  An unknown key exits 3.",
    )
    revoke.add_argument("key", metavar="KEY",
                        help="the key in full (oa_sk_…), or its key id as `keys list` shows it (required; no default)")
    add_database_option(revoke)
    revoke.set_defaults(run=run_revoke)


def _when(ts: int | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def run_create(args: argparse.Namespace) -> int:
    with opened(args) as ctx:
        issued = accounts.issue_key(ctx.db, ctx.secrets.api_keys, args.account, now=ctx.clock.now())
    print(f"Merchant: {issued.account.name}")
    print(f"Key id:   {issued.key_id} (the key is shown only now; OpenArc keeps just a keyed hash of it)")
    print(issued.secret)
    return 0


def run_list(args: argparse.Namespace) -> int:
    with opened(args) as ctx:
        keys = accounts.list_keys(ctx.db)
    print(f"{'MERCHANT':<24} {'KEY ID':<18} {'CREATED':<21} {'LAST USED':<21} REVOKED")
    for k in keys:
        print(f"{k.account:<24} {k.key_id:<18} {_when(k.created_at):<21} {_when(k.last_used_at):<21} {_when(k.revoked_at)}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    with opened(args) as ctx:
        before = {k.key_id: k.revoked_at for k in accounts.list_keys(ctx.db)}
        # Revoking keeps the first revocation's time: a second one changes nothing.
        key_id = accounts.revoke(ctx.db, ctx.secrets.api_keys, args.key, now=ctx.clock.now())
    if before.get(key_id) is not None:
        print(f"Key {key_id} was already revoked, at {_when(before[key_id])}; nothing changed.")
        return 0
    print(f"Revoked {key_id}.")
    return 0
