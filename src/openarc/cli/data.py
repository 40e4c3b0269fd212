"""``openarc import FILE`` and ``openarc export``: one merchant's customers as CSV or JSON lines,
or (``--charges``) its card charges with their refunds as JSON lines."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from tqdm import tqdm

from openarc.cli.common import add_database_option, opened
from openarc.errors import Invalid
from openarc.services import accounts, charge_transfer, transfer

#: Files with at least this many lines get a progress bar (on a terminal).
PROGRESS_FROM_LINES = 1000
EXIT_REJECTED = 2


def register(commands: argparse._SubParsersAction) -> None:
    load = commands.add_parser(
        "import", help="import customers from CSV or JSON lines, validated as the API validates them",
    )
    load.add_argument("file", metavar="FILE", help="a .csv or .jsonl file, or - for standard input")
    load.add_argument("--account", required=True, metavar="NAME", help="merchant (created if new)")
    load.add_argument("--format", choices=transfer.FORMATS, help="default: from the file name, else csv")
    load.add_argument("--dry-run", action="store_true", help="validate and report, import nothing")
    load.add_argument("--charges", action="store_true",
                      help="the file holds card charges (JSON lines, as `openarc export --charges` writes them)")
    add_database_option(load)
    load.set_defaults(run=run_import)

    dump = commands.add_parser("export", help="export a merchant's customers as CSV or JSON lines")
    dump.add_argument("--account", required=True, metavar="NAME", help="merchant")
    dump.add_argument("--output", "-o", metavar="FILE", help="default: standard output")
    dump.add_argument("--format", choices=transfer.FORMATS, help="default: from --output's name, else csv")
    dump.add_argument("--charges", action="store_true",
                      help="export the merchant's card charges and their refunds (JSON lines) instead of customers")
    add_database_option(dump)
    dump.set_defaults(run=run_export)


def run_import(args: argparse.Namespace) -> int:
    if args.charges:
        return run_import_charges(args)
    fmt = transfer.format_of(args.file, args.format)
    with ExitStack() as stack:
        ctx = stack.enter_context(opened(args))
        if args.file == "-":
            stream, lines = transfer.text_of(sys.stdin.buffer), 0
        else:
            path = Path(args.file)
            with path.open("rb") as raw:
                lines = transfer.count_lines(raw)
            stream = stack.enter_context(transfer.text_of(path.open("rb")))
        account = accounts.ensure_account(ctx.db, args.account, now=ctx.clock.now())
        bar = stack.enter_context(tqdm(
            total=lines or None, unit="line", desc="Importing", file=sys.stderr,
            disable=None if lines >= PROGRESS_FROM_LINES else True,
        ))

        def advance(row: transfer.Row) -> None:
            bar.update(row.lines_read - bar.n)

        report = transfer.import_customers(
            ctx.db, account.id, transfer.read_rows(stream, fmt), now=ctx.clock.now(),
            dry_run=args.dry_run, progress=advance,
        )
    verb = "Would import" if args.dry_run else "Imported"
    print(f"{verb} {report.imported} customer{'s' * (report.imported != 1)} into '{account.name}'.")
    if not report.rejected:
        return 0
    print(f"Rejected {len(report.rejected)} row{'s' * (len(report.rejected) != 1)}:", file=sys.stderr)
    for rejected in report.rejected:
        print(f"  line {rejected.line}: {rejected.reason}", file=sys.stderr)
    return EXIT_REJECTED


def run_import_charges(args: argparse.Namespace) -> int:
    if args.format == "csv":
        raise Invalid.one("format", "Charges are imported from JSON lines only (they hold their refunds).")
    with ExitStack() as stack:
        ctx = stack.enter_context(opened(args))
        if args.file == "-":
            stream = transfer.text_of(sys.stdin.buffer)
        else:
            binary = stack.enter_context(Path(args.file).open("rb"))
            stream = stack.enter_context(transfer.text_of(binary))
        account = accounts.ensure_account(ctx.db, args.account, now=ctx.clock.now())
        report = charge_transfer.import_charges(ctx.db, account.id, stream, customer_key=ctx.ids.customer.decode,
                                                dry_run=args.dry_run)
    verb = "Would import" if args.dry_run else "Imported"
    print(f"{verb} {report.imported} charge{'s' * (report.imported != 1)} into '{account.name}'"
          f"{f'; skipped {report.skipped} already there' if report.skipped else ''}.")
    if not report.rejected:
        return 0
    print(f"Rejected {len(report.rejected)} line{'s' * (len(report.rejected) != 1)}:", file=sys.stderr)
    for line, errors in report.rejected:
        reason = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        print(f"  line {line}: {reason}", file=sys.stderr)
    return EXIT_REJECTED


def run_export(args: argparse.Namespace) -> int:
    if args.charges and args.format == "csv":
        raise Invalid.one("format", "Charges are exported as JSON lines only (they hold their refunds).")
    fmt: transfer.Format = "jsonl" if args.charges else transfer.format_of(args.output or "", args.format)
    noun = "charge" if args.charges else "customer"
    with opened(args) as ctx:
        account = accounts.account_named(ctx.db, args.account)
        records: Iterable[Mapping[str, object]]
        if args.charges:
            records = charge_transfer.export_charges(ctx.db, account.id, ctx.ids.charge.encode, ctx.ids.customer.encode)
        else:
            records = transfer.export_customers(ctx.db, account.id, ctx.ids.customer.encode)
        write = charge_transfer.write if args.charges else partial(transfer.write, fmt=fmt)
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                count = write(out, records)
            print(f"Exported {count} {noun}{'s' * (count != 1)} of '{account.name}' to {args.output}.",
                  file=sys.stderr)
        else:
            try:
                write(sys.stdout, records)
                sys.stdout.flush()
            except BrokenPipeError:
                # `openarc export | head`: the reader has gone; stop quietly, as Unix tools do.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
