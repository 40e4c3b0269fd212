"""``openarc import FILE`` and ``openarc export``: one merchant's customers as CSV or JSON lines,
or (``--charges``) its card charges with their refunds as JSON lines."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import IO

from tqdm import tqdm

from openarc.cli.common import add_database_option, opened
from openarc.context import AppContext
from openarc.errors import Invalid, NotFound
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
    load.add_argument("--dry-run", action="store_true",
                      help="report exactly what the import would do (every row's outcome), writing nothing")
    load.add_argument("--on-conflict", choices=transfer.ON_CONFLICT, default="skip",
                      help="a row that matches a customer already there (by id, else by email in any case) or an "
                           "earlier row of the file: skip it (default), update the customer as a PATCH would, "
                           "or reject the row")
    load.add_argument("--ignore-unknown-columns", action="store_true",
                      help="leave out columns (JSON keys) that name no customer field instead of refusing the file")
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
            # Read twice (checked whole first, then imported): standard input is kept in a file.
            path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="openarc-import-"))) / "stdin"
            with path.open("wb") as copy:
                shutil.copyfileobj(sys.stdin.buffer, copy)
        else:
            path = Path(args.file)
        with path.open("rb") as raw:
            lines = transfer.count_lines(raw)

        def open_text() -> IO[str]:
            return transfer.text_of(path.open("rb"))

        account_id, name = _merchant(ctx, args.account, dry_run=args.dry_run, checked=None)
        try:
            checked = transfer.survey(open_text, fmt, customer_key=ctx.ids.customer.decode,
                                      ignore_unknown=args.ignore_unknown_columns)
        except transfer.Refused as exc:
            print(f"Nothing was imported into '{name}'; the file was refused:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            if exc.unknown_columns:
                print(f"Columns (and JSON keys) may be, in any case: id or customer_id, {', '.join(transfer.COLUMNS[1:])}. "
                      "To import the file without the others, run the same command with --ignore-unknown-columns.",
                      file=sys.stderr)
            else:
                print("Fix the file and run the same command again.", file=sys.stderr)
            return EXIT_REJECTED
        # Only now that the file can be imported is a new merchant created.
        account_id, name = _merchant(ctx, args.account, dry_run=args.dry_run, checked=checked)
        bar = stack.enter_context(tqdm(
            total=lines or None, unit="line", desc="Importing", file=sys.stderr,
            disable=None if lines >= PROGRESS_FROM_LINES else True,
        ))

        def advance(row: transfer.Row) -> None:
            bar.update(row.lines_read - bar.n)

        report = transfer.import_customers(ctx.db, account_id, checked, now=ctx.clock.now(),
                                           on_conflict=args.on_conflict, dry_run=args.dry_run, progress=advance)
    return print_report(report, name, dry_run=args.dry_run, on_conflict=args.on_conflict)


def _merchant(ctx: AppContext, name: str, *, dry_run: bool,
              checked: transfer.Survey | None) -> tuple[int | None, str]:
    """The merchant's key and name.  A dry run creates nothing, so a merchant that does not
    exist yet is None (no customers); a real run creates it, once the file was found
    importable (``checked``)."""
    name = accounts.validate_name(name)
    if checked is not None and not dry_run:
        account = accounts.ensure_account(ctx.db, name, now=ctx.clock.now())
        return account.id, account.name
    try:
        account = accounts.account_named(ctx.db, name)
    except NotFound:
        return None, name
    return account.id, account.name


#: What running the same command again does, after rows were rejected or after a stop.
_AFTER_REJECTED = {
    "skip": "Running the same command again after fixing the rejected rows imports them and skips the rows "
            "already imported (recognised by id or email).",
    "update": "Running the same command again after fixing the rejected rows imports them; the rows already "
              "imported are recognised (by id or email) and updated again, not duplicated.",
    "error": "Running the same command again with --on-conflict skip, after fixing any row rejected for its "
             "fields, imports what is missing and skips the rows already there (recognised by id or email).",
}
_AFTER_STOP = {
    "skip": "Running the same command again resumes: the rows already imported are recognised (by id or email) "
            "and skipped.",
    "update": "Running the same command again resumes: the rows already imported are recognised (by id or email) "
              "and updated again, not duplicated.",
    "error": "Running the same command again with --on-conflict skip resumes: the rows already imported are "
             "recognised (by id or email) and skipped.",
}


def print_report(report: transfer.ImportReport, name: str, *, dry_run: bool, on_conflict: str) -> int:
    """The summary on standard output; every row's outcome, by line, on standard error.  A dry
    run prints the same as the real run would, but for what to do next."""
    counts = (f"{report.created.count} created, {report.updated.count} updated, {report.skipped.count} skipped, "
              f"{len(report.rejected)} rejected")
    if dry_run:
        print(f"Dry run, nothing written. Importing into '{name}' would give: {counts}.")
    else:
        print(f"Imported into '{name}': {counts}.")
    err = sys.stderr
    if report.ignored:
        print("Ignored columns: " + ", ".join(f'"{column}"' for column in report.ignored), file=err)
    for label, lines in (("Created", report.created), ("Updated", report.updated),
                         ("Skipped (already there)", report.skipped)):
        if lines.count:
            print(f"{label}: {lines}", file=err)
    if report.repeats:
        print("Same customer as an earlier row: "
              + ", ".join(f"line {r.line} ({r.by}, as line {r.earlier})" for r in report.repeats), file=err)
    if report.rejected:
        print(f"Rejected {len(report.rejected)} row{'s' * (len(report.rejected) != 1)}:", file=err)
        for rejected in report.rejected:
            print(f"  {rejected.where}: {rejected.reason}", file=err)
    if report.unmatchable.count:
        print(f"Note: a row without an email cannot be recognised by a later import of this file: "
              f"{report.unmatchable} (each would be created again).", file=err)
    if report.stopped is not None:
        where = f"line {report.stopped.line}" if report.stopped.line is not None else "its first row"
        print(f"Stopped at {where} ({report.stopped.reason}): the rows listed above as created or updated "
              f"were {'checked' if dry_run else 'written'}, nothing from {where} on was.", file=err)
    if not dry_run and report.stopped is not None:
        print(_AFTER_STOP[on_conflict], file=err)
    elif not dry_run and report.rejected:
        print(_AFTER_REJECTED[on_conflict], file=err)
    return EXIT_REJECTED if report.rejected or report.stopped is not None else 0


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
