"""Customers in and out of one merchant, as CSV or JSON lines.

Import goes through ``customers.create`` row by row, so every row meets exactly the
rules the API applies; a row that fails is reported with its line number and every
failing field, and the others are imported.  Export writes the same columns import
reads, oldest first, so export → import → export gives the same rows, ids aside:
ids are server-owned and salted per installation, so imported customers get new ones.
``created_at``/``updated_at`` are kept when a row carries them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Literal

import orjson
from sqlalchemy import select

from openarc.db import Database
from openarc.db.steps import run
from openarc.db.tables import customers as customers_table
from openarc.errors import Invalid
from openarc.services import customers
from openarc.services import validation as v

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")

#: The columns of an export, and what import reads (``id`` is informational and ignored).
COLUMNS = ("id", *customers.RULES, "created_at", "updated_at")
TIMESTAMPS = ("created_at", "updated_at")
_MAX_TIMESTAMP = 2**53


def format_of(name: str, given: str | None = None) -> Format:
    """The format named by ``given``, else by the file name's extension (CSV by default)."""
    if given:
        if given not in FORMATS:
            raise Invalid.one("format", f"The format must be one of {', '.join(FORMATS)}.")
        return given  # type: ignore[return-value]
    lowered = name.lower()
    return "jsonl" if lowered.endswith((".jsonl", ".ndjson", ".json")) else "csv"


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class Row:
    """One record of the file: its first line (1-based), the lines read so far, and its fields
    (or the reason it could not even be read)."""

    line: int
    lines_read: int
    fields: Mapping[str, object] | None
    problem: dict[str, list[str]] | None = None


def text_of(binary: IO[bytes]) -> IO[str]:
    """A file to import, as text.  Bytes that are not UTF-8 become lone surrogates
    (``surrogateescape``) instead of failing the read, so the line holding them is rejected
    on its own, with its number, and the rest of the file is still read.  ``utf-8-sig``:
    spreadsheets put a byte-order mark before the header."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")


_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_NOT_UTF8_PROBLEM = {"row": ["The line is not UTF-8 text."]}


def read_rows(stream: IO[str], fmt: Format) -> Iterator[Row]:
    """The file's records, from a stream made by ``text_of``."""
    return _read_csv(stream) if fmt == "csv" else _read_jsonl(stream)


def _read_csv(stream: IO[str]) -> Iterator[Row]:
    reader = csv.reader(stream)
    done = 0
    try:
        header = next(reader, None)
        if header is None:
            return
        if any(_NOT_UTF8.search(cell) for cell in header):
            # Without the column names no row can be read: say so, import nothing.
            yield Row(1, reader.line_num, None, {"file": ["The header is not UTF-8 text; nothing was imported."]})
            return
        names = [h.strip() for h in header]
        done = reader.line_num
        for record in reader:
            line, done = done + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if any(_NOT_UTF8.search(cell) for cell in record):
                yield Row(line, done, None, _NOT_UTF8_PROBLEM)
                continue
            if len(record) > len(names):
                yield Row(line, done, None, {"row": [f"The row has {len(record)} cells; the header names {len(names)}."]})
                continue
            yield Row(line, done, dict(zip(names, record, strict=False)))
    except csv.Error as exc:
        # The csv module's own limits (a field over 131,072 characters): where a record that
        # broke them ends is not known, so reading stops at the line it began on.
        yield Row(done + 1, reader.line_num, None, {
            "file": [f"The file cannot be read from this line on (CSV: {exc}); nothing from here on was imported."],
        })


def _read_jsonl(stream: IO[str]) -> Iterator[Row]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        if _NOT_UTF8.search(text):
            yield Row(number, number, None, _NOT_UTF8_PROBLEM)
            continue
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            yield Row(number, number, None, {"row": [f"The line is not valid JSON: {exc.msg}."]})
            continue
        if not isinstance(data, dict):
            yield Row(number, number, None, {"row": ["The line must be a JSON object."]})
            continue
        yield Row(number, number, data)


def count_lines(stream: IO[bytes]) -> int:
    """Lines in a file, for a progress bar's total (read in blocks, not kept)."""
    total, last = 0, b"\n"
    for block in iter(lambda: stream.read(1 << 20), b""):
        total += block.count(b"\n")
        last = block[-1:]
    return total + (last != b"\n")


# ---------------------------------------------------------------------------- importing


def _timestamp(fields: Mapping[str, object], name: str) -> int | None:
    raw = fields.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = raw.strip() if isinstance(raw, str) else raw
    if isinstance(text, bool) or not isinstance(text, (int, str)) or not str(text).isdigit():
        raise Invalid.one(name, f"The {name} field must be a Unix time in seconds.")
    value = int(text)
    if value > _MAX_TIMESTAMP:
        raise Invalid.one(name, f"The {name} field must be a Unix time in seconds.")
    return value


def validate(fields: Mapping[str, object]) -> tuple[dict[str, str | None], int | None, int | None]:
    """The customer's fields by the API's rules, and its timestamps; ``Invalid`` names every bad field."""
    problems: dict[str, list[str]] = {}
    values: dict[str, str | None] = {}
    try:
        values = v.clean(customers.RULES, fields, partial=False)
    except Invalid as exc:
        problems.update(exc.errors)
    stamps: list[int | None] = []
    for name in TIMESTAMPS:
        try:
            stamps.append(_timestamp(fields, name))
        except Invalid as exc:
            problems.update(exc.errors)
            stamps.append(None)
    if problems:
        raise Invalid(problems)
    return values, stamps[0], stamps[1]


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    errors: dict[str, list[str]]

    @property
    def reason(self) -> str:
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def import_customers(
    db: Database,
    account_id: int,
    rows: Iterable[Row],
    *,
    now: int,
    dry_run: bool = False,
    progress: Callable[[Row], None] | None = None,
) -> ImportReport:
    """Create a customer per valid row (each its own transaction); report every invalid one."""
    report = ImportReport()
    for row in rows:
        try:
            if row.problem is not None:
                raise Invalid(row.problem)
            assert row.fields is not None
            values, created_at, updated_at = validate(row.fields)
        except Invalid as exc:
            report.rejected.append(Rejected(row.line, exc.errors))
        else:
            if not dry_run:
                with db.raw.write() as raw:
                    created = run(raw, customers.create(account_id, values,
                                                        now=created_at if created_at is not None else now))
                if updated_at is not None and updated_at != created.updated_at:
                    _set_updated_at(db, created.id, updated_at)
            report.imported += 1
        if progress is not None:
            progress(row)
    return report


def _set_updated_at(db: Database, customer_id: int, updated_at: int) -> None:
    with db.write() as conn:
        conn.execute(
            customers_table.update().where(customers_table.c.id == customer_id).values(updated_at=updated_at)
        )


# ---------------------------------------------------------------------------- exporting


def export_customers(
    db: Database, account_id: int, public_id: Callable[[int], str], *, batch: int = 1000
) -> Iterator[dict[str, object]]:
    """The merchant's customers, oldest first, as ``COLUMNS`` → value; read in batches."""
    table = customers_table
    columns = [table.c.id, *(table.c[name] for name in COLUMNS[1:])]
    after = 0
    while True:
        with db.read() as conn:
            rows = conn.execute(
                select(*columns).where(table.c.account_id == account_id, table.c.id > after)
                .order_by(table.c.id).limit(batch)
            ).all()
        for row in rows:
            record = dict(row._mapping)
            record["id"] = public_id(record["id"])
            yield record
        if len(rows) < batch:
            return
        after = rows[-1].id


def write(out: IO[str], records: Iterable[Mapping[str, object]], fmt: Format) -> int:
    """Write ``records`` as CSV (with a header; null as an empty cell) or JSON lines; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for record in records:
            writer.writerow(["" if record[name] is None else record[name] for name in COLUMNS])
            count += 1
    else:
        for record in records:
            out.write(orjson.dumps({name: record[name] for name in COLUMNS}).decode() + "\n")
            count += 1
    return count

