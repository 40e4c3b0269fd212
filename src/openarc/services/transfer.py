"""Customers in and out of one merchant, as CSV or JSON lines.

Import never damages data, and says exactly what it did:

* Columns (a CSV header's cells, JSON keys) name fields in any case, spaces around them
  ignored.  A column that names no field refuses the file before any row is imported, naming
  it, unless the caller asked for such columns to be ignored; so does a header that is not
  UTF-8 text, two columns for one field, or a header that names no customer field at all.
* The file is read twice.  First whole (``survey``), to check that every record can be
  delimited (an unterminated quote is named by the line its record starts on) and to collect
  the ids and emails its rows carry: a file that cannot be read whole is refused and nothing
  is imported.  Then row by row (``import_customers``).
* Each row is checked by the API's rules (``customers.RULES``) and matched to the merchant's
  customers as they were when the import began (by ``id``/``customer_id`` when it is one of
  the merchant's, else by email in any case) and to the earlier rows of the file.  A match is
  a conflict, settled by ``on_conflict``: skip the row (the default: importing a file twice
  creates nothing the second time), update the customer as a PATCH would, or reject the row.
* What every row does is decided from those reads alone, before it is written, so a dry run
  reports exactly what the real run then does.

Export writes the same columns import reads, oldest first, so export → import → export gives
the same rows, ids aside: ids are server-owned and salted per installation, so imported
customers get new ones.  ``created_at``/``updated_at`` are kept when a row creates a customer.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Literal

import orjson
from sqlalchemy import func, select

from openarc.db import Database
from openarc.db.raw import Raw
from openarc.db.steps import run
from openarc.db.tables import customers as customers_table
from openarc.errors import Invalid, NotFound
from openarc.services import customers
from openarc.services import validation as v

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")
OnConflict = Literal["skip", "update", "error"]
ON_CONFLICT: tuple[OnConflict, ...] = ("skip", "update", "error")

#: The columns of an export, and what import reads.
COLUMNS = ("id", *customers.RULES, "created_at", "updated_at")
TIMESTAMPS = ("created_at", "updated_at")
#: What a column (or JSON key) may be called, lower-cased, and the field it fills.
NAMES: dict[str, str] = {**{name: name for name in COLUMNS}, "customer_id": "id"}
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


class Refused(Exception):
    """The file cannot be imported as it is, and nothing of it was.  ``problems``: one sentence
    each, naming its line; ``unknown_columns``: whether ignoring unknown columns would help."""

    def __init__(self, problems: list[str], *, unknown_columns: bool = False) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.unknown_columns = unknown_columns


@dataclass(frozen=True, slots=True)
class Row:
    """One record of the file: its first line (1-based), its last, and its fields by field
    name (or the reason it could not even be read)."""

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
_ONLY_IGNORED = {"row": ["The row holds values only in columns that are not imported."]}


def _shown(text: str) -> str:
    """Text as read, the bytes that are not UTF-8 written as \\xNN."""
    return _NOT_UTF8.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(v.WHITESPACE))


class Reader:
    """The rows of a file, their fields keyed by field name.

    Iterating raises ``Refused`` when the file as a whole cannot be imported: at the header,
    at a record the CSV reader cannot delimit, or (after the last row, so that all of them
    are named) when columns that name no field hold values.  ``ignored``: the columns left
    out (``ignore_unknown``), as written, with the first line that showed each.
    """

    def __init__(self, stream: IO[str], fmt: Format, *, ignore_unknown: bool = False) -> None:
        self.stream = stream
        self.fmt = fmt
        self.ignore_unknown = ignore_unknown
        self.ignored: dict[str, int] = {}

    def __iter__(self) -> Iterator[Row]:
        return self._csv() if self.fmt == "csv" else self._jsonl()

    def _field(self, written: str, line: int, unknown: dict[str, int]) -> str | None:
        """The field a column called ``written`` fills, or None (noted as ignored or unknown)."""
        name = NAMES.get(written.lower())
        if name is None:
            (self.ignored if self.ignore_unknown else unknown).setdefault(written, line)
        return name

    # -------------------------------------------------------------------- CSV

    def _csv(self) -> Iterator[Row]:
        # strict: a quote that is not where CSV allows one is an error, not glued into a field.
        reader = csv.reader(self.stream, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise Refused([_csv_problem(exc, 1, reader.line_num)]) from None
        if header is None:
            return
        fields = self._header(header, reader.line_num)
        nameless = [i for i, cell in enumerate(header) if not cell.strip()]
        holding: dict[int, int] = {}  # nameless column (0-based) -> first line with a value in it
        done = reader.line_num
        while True:
            start = done + 1
            try:
                record = next(reader, None)
            except csv.Error as exc:
                raise Refused([_csv_problem(exc, start, reader.line_num)]) from None
            if record is None:
                break
            done = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            for i in nameless:
                if i < len(record) and record[i].strip():
                    holding.setdefault(i, start)
            if any(_NOT_UTF8.search(cell) for cell in record):
                yield Row(start, done, None, _NOT_UTF8_PROBLEM)
            elif len(record) > len(fields):
                yield Row(start, done, None, {"row": [f"The row has {len(record)} cells; the header names {len(fields)}."]})
            else:
                values = {name: cell for name, cell in zip(fields, record, strict=False) if name is not None}
                if all(_blank(value) for value in values.values()):
                    yield Row(start, done, None, _ONLY_IGNORED)
                else:
                    yield Row(start, done, values)
        if holding and self.ignore_unknown:
            for i, line in holding.items():
                self.ignored.setdefault(f"column {i + 1} (no name)", line)
        elif holding:
            raise Refused([f"column {i + 1} has no name in the header but holds values (first on line {line})"
                           for i, line in sorted(holding.items())], unknown_columns=True)

    def _header(self, header: list[str], line: int) -> list[str | None]:
        """The field each column fills (None: left out), or ``Refused``."""
        if any(_NOT_UTF8.search(cell) for cell in header):
            bad = [f'{i} ("{_shown(cell.strip())}")' for i, cell in enumerate(header, 1) if _NOT_UTF8.search(cell)]
            raise Refused([(
                f"line {line} (the header) is not UTF-8 text (column{'s' * (len(bad) > 1)} {', '.join(bad)}), and "
                'without its column names no row can be read; save the file as UTF-8 (a spreadsheet\'s "CSV UTF-8")'
            )])
        problems: list[str] = []
        unknown: dict[str, int] = {}
        named: dict[str, str] = {}  # field -> the column that names it, as written
        fields: list[str | None] = []
        for cell in header:
            written = cell.strip()
            name = self._field(written, line, unknown) if written else None
            if name is not None and name in named:
                problems.append(f'line {line}: the columns "{named[name]}" and "{written}" both name the {name} field')
                name = None
            elif name is not None:
                named[name] = written
            fields.append(name)
        problems[:0] = [f'line {line}: the column "{written}" names no customer field' for written in unknown]
        known = any(name in customers.RULES for name in named)
        if not known:
            problems.append(f"line {line}: no column names a customer field")
            separator = next((c for c in ";\t|" if len(header) == 1 and c in header[0]), None)
            if separator is not None:
                problems.append(f"line {line}: the columns seem to be separated by {separator!r}; "
                                "save the file with commas between them (CSV)")
        if problems:
            raise Refused(problems, unknown_columns=bool(unknown) and known)
        return fields

    # -------------------------------------------------------------------- JSON lines

    def _jsonl(self) -> Iterator[Row]:
        unknown: dict[str, int] = {}
        for number, text in enumerate(self.stream, start=1):
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
            values: dict[str, object] = {}
            keys: dict[str, str] = {}  # field -> the key that gave it
            twice: list[str] = []
            for key, value in data.items():
                written = key.strip()
                name = self._field(written, number, unknown)
                if name is None:
                    continue
                if name in keys:
                    twice.append(f'The keys "{keys[name]}" and "{written}" both name the {name} field.')
                keys[name] = written
                values[name] = value
            if twice:
                yield Row(number, number, None, {"row": twice})
            elif all(_blank(value) for value in values.values()):
                if any(not _blank(value) for value in data.values()):
                    yield Row(number, number, None, _ONLY_IGNORED)
                # else: an object with nothing in it, like a blank line
            else:
                yield Row(number, number, values)
        if unknown:
            raise Refused([f'line {line}: the key "{key}" names no customer field' for key, line in unknown.items()],
                          unknown_columns=True)


def _csv_problem(exc: csv.Error, start: int, end: int) -> str:
    """Why the record starting on line ``start`` cannot be delimited (the reader stopped on
    line ``end``), in words that point at the cause rather than at the csv module's limits."""
    text = str(exc)
    if "unexpected end of data" in text:
        return (f"unterminated quoted field starting on line {start:,}: no closing quote up to the end of "
                f"the file (line {end:,})")
    if "expected after" in text:
        if end > start:
            return (f"unterminated quoted field starting on line {start:,}: the next quote, on line {end:,}, "
                    "cannot close it (more text follows it before the next comma)")
        return (f"line {start:,}: a quoted field ends and more text follows before the next comma "
                '(a quote inside a quoted field is written twice: "")')
    if "field limit" in text:
        limit = csv.field_size_limit()
        if end > start:
            return (f"unterminated quoted field starting on line {start:,}: no closing quote within "
                    f"{limit:,} characters (by line {end:,})")
        return f"line {start:,}: a field is longer than {limit:,} characters"
    return f"line {start:,}: the record starting there cannot be read as CSV ({text})"


def read_rows(stream: IO[str], fmt: Format, *, ignore_unknown: bool = False) -> Iterator[Row]:
    """The file's records, from a stream made by ``text_of`` (see ``Reader``)."""
    return iter(Reader(stream, fmt, ignore_unknown=ignore_unknown))


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


def _id_of(fields: Mapping[str, object], customer_key: Callable[[str], int | None]) -> int | None:
    """The key the row's id stands for (any merchant's, or none)."""
    public = fields.get("id")
    return customer_key(public.strip()) if isinstance(public, str) and public.strip() else None


def _email_of(fields: Mapping[str, object]) -> str | None:
    """The row's email as it would be stored, lower-cased: what rows are matched by."""
    email = v.normalise(customers.RULES["email"], fields.get("email"))
    return email.lower() if isinstance(email, str) else None


@dataclass
class Survey:
    """A file read whole and found importable: how to read it again, and the ids (decoded) and
    emails (lower-cased) its rows carry."""

    open_text: Callable[[], IO[str]]
    fmt: Format
    ignore_unknown: bool
    customer_key: Callable[[str], int | None]
    ids: set[int]
    emails: set[str]
    ignored: dict[str, int]

    def rows(self, stream: IO[str]) -> Reader:
        return Reader(stream, self.fmt, ignore_unknown=self.ignore_unknown)


def survey(open_text: Callable[[], IO[str]], fmt: Format, *, customer_key: Callable[[str], int | None],
           ignore_unknown: bool = False) -> Survey:
    """Read the whole file once, writing nothing; ``Refused`` when it cannot be imported as it is."""
    ids: set[int] = set()
    emails: set[str] = set()
    with open_text() as stream:
        reader = Reader(stream, fmt, ignore_unknown=ignore_unknown)
        for row in reader:
            if row.fields is None:
                continue
            key = _id_of(row.fields, customer_key)
            if key is not None:
                ids.add(key)
            email = _email_of(row.fields)
            if email is not None:
                emails.add(email)
    return Survey(open_text, fmt, ignore_unknown, customer_key, ids, emails, reader.ignored)


_SCAN_BATCH = 5000


def _existing(db: Database, account_id: int, ids: set[int], emails: set[str]) -> tuple[set[int], dict[str, int]]:
    """Which of ``ids`` are the merchant's customers, and its oldest customer for each of
    ``emails`` (compared lower-cased: ``Ann@Example.com`` is ``ann@example.com``).

    One pass over the merchant's customers, oldest first, in batches: there is no index on
    ``lower(email)``, so any lookup by it reads them all; ``lower(email) IN (…)`` batches of
    the file's emails read them all once per batch (measured: 2.6 s of a 40,000-row re-import,
    and growing with rows × customers), this reads them once.
    """
    table = customers_table
    found: set[int] = set()
    by_email: dict[str, int] = {}
    if not ids and not emails:
        return found, by_email
    after = 0
    while True:
        with db.read() as conn:
            rows = conn.execute(
                select(table.c.id, func.lower(table.c.email))
                .where(table.c.account_id == account_id, table.c.id > after)
                .order_by(table.c.id).limit(_SCAN_BATCH)
            ).all()
        for key, email in rows:
            if key in ids:
                found.add(key)
            if email is not None and email in emails:
                by_email.setdefault(email, key)
        if len(rows) < _SCAN_BATCH:
            return found, by_email
        after = rows[-1][0]


class Lines:
    """Line numbers, kept as ranges (a 40,000-row file that all did one thing is one range)."""

    def __init__(self) -> None:
        self.count = 0
        self.ranges: list[list[int]] = []

    def add(self, line: int) -> None:
        self.count += 1
        if self.ranges and self.ranges[-1][1] == line - 1:
            self.ranges[-1][1] = line
        else:
            self.ranges.append([line, line])

    def __iter__(self) -> Iterator[int]:
        for first, last in self.ranges:
            yield from range(first, last + 1)

    def __str__(self) -> str:
        parts = [str(first) if first == last else f"{first}-{last}" for first, last in self.ranges]
        return f"line{'s' * (len(parts) > 1 or self.count > 1)} {', '.join(parts)}"


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    errors: dict[str, list[str]]
    last_line: int | None = None

    @property
    def where(self) -> str:
        if self.last_line is None or self.last_line == self.line:
            return f"line {self.line}"
        return f"lines {self.line}-{self.last_line}"

    @property
    def reason(self) -> str:
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())


@dataclass(frozen=True, slots=True)
class Repeat:
    """A row that matched the same customer as an earlier row of the file."""

    line: int
    earlier: int
    by: str  # "id" or "email"


@dataclass(frozen=True, slots=True)
class Stopped:
    """The import stopped at ``line`` (None: before its first row): nothing from there on was written."""

    line: int | None
    reason: str


@dataclass
class ImportReport:
    created: Lines = field(default_factory=Lines)
    updated: Lines = field(default_factory=Lines)
    skipped: Lines = field(default_factory=Lines)
    rejected: list[Rejected] = field(default_factory=list)
    repeats: list[Repeat] = field(default_factory=list)
    #: Created rows without an email: a later import of the same file cannot recognise them.
    unmatchable: Lines = field(default_factory=Lines)
    ignored: dict[str, int] = field(default_factory=dict)
    stopped: Stopped | None = None

    @property
    def imported(self) -> int:
        return self.created.count + self.updated.count


class _Created:
    """A customer a row of the file creates (its key once written; None in a dry run)."""

    __slots__ = ("key", "line")

    def __init__(self, line: int) -> None:
        self.line = line
        self.key: int | None = None


_Target = int | _Created


#: Rows created in one transaction, at most, and for at most this long (the merchant's row and,
#: on SQLite, the database's write lock are held meanwhile).  Measured on 40,000 rows (SQLite):
#: a transaction per row spent most of the import committing.
_BATCH_ROWS = 500
_BATCH_SECONDS = 0.2


class _Import:
    """One import's decisions: which customer each row matches, and what it does about it.

    Creates are written in batches (``_BATCH_ROWS``), each its own transaction; the report
    learns a row's outcome only once what it wrote is committed (``_pending``), so a report
    cut short by a failure lists exactly the rows written."""

    def __init__(self, db: Database, account_id: int | None, checked: Survey, *, now: int,
                 on_conflict: OnConflict, dry_run: bool) -> None:
        self.db, self.account_id, self.now = db, account_id, now
        self.customer_key = checked.customer_key
        self.on_conflict, self.dry_run = on_conflict, dry_run
        self.report = ImportReport(ignored=checked.ignored)
        # The merchant's customers as they were when the import began…
        self.ids, self.emails = (set(), {}) if account_id is None else _existing(db, account_id, checked.ids,
                                                                               checked.emails)
        # …and what the rows read so far matched or created: by email, and the first line for each.
        self.claimed: dict[str, _Target] = {}
        self.first_line: dict[_Target, int] = {}
        self._batch: ExitStack | None = None
        self._raw: Raw | None = None
        self._batch_rows = 0
        self._batch_since = 0.0
        self._pending: list[Callable[[], None]] = []
        #: The first line whose outcome is not in the report yet.
        self.unreported: int | None = None

    def match(self, fields: Mapping[str, object], email: str | None) -> tuple[_Target | None, str]:
        key = _id_of(fields, self.customer_key)
        if key is not None and key in self.ids:
            return key, "id"
        if email is not None:
            found: _Target | None = self.emails.get(email)
            if found is None:
                found = self.claimed.get(email)
            if found is not None:
                return found, "email"
        return None, ""

    def take(self, row: Row) -> None:
        """Decide the row's outcome, and write it (a create, in the open batch)."""
        if self.unreported is None:
            self.unreported = row.line
        self._decide(row)
        if self._batch is None:
            self._report()
        elif self._batch_rows >= _BATCH_ROWS or time.monotonic() - self._batch_since >= _BATCH_SECONDS:
            self.commit()

    def _decide(self, row: Row) -> None:
        report, note = self.report, self._pending.append
        try:
            if row.problem is not None:
                raise Invalid(row.problem)
            assert row.fields is not None
            values, created_at, updated_at = validate(row.fields)
        except Invalid as exc:
            note(partial(report.rejected.append, Rejected(row.line, exc.errors, row.lines_read)))
            return
        email = _email_of(row.fields)
        target, by = self.match(row.fields, email)
        if target is None:
            target = _Created(row.line)
            if not self.dry_run:
                target.key = self._create(values, created_at, updated_at)
            note(partial(report.created.add, row.line))
            if email is None:
                note(partial(report.unmatchable.add, row.line))
        else:
            earlier = self.first_line.get(target)
            if self.on_conflict == "error":
                message = (f"Line {earlier} of this file has the same {by}." if earlier is not None
                           else f"A customer with this {by} already exists.")
                note(partial(report.rejected.append, Rejected(row.line, {by: [message]}, row.lines_read)))
            else:
                if earlier is not None:
                    note(partial(report.repeats.append, Repeat(row.line, earlier, by)))
                if self.on_conflict == "update":
                    try:
                        self._update(target, row.fields)
                    except NotFound:
                        note(partial(report.rejected.append, Rejected(row.line, {by: [
                            "The customer this row matches was deleted during the import."]}, row.lines_read)))
                        return
                    note(partial(report.updated.add, row.line))
                else:
                    note(partial(report.skipped.add, row.line))
        self.first_line.setdefault(target, row.line)
        if email is not None:
            self.claimed.setdefault(email, target)

    def _report(self) -> None:
        for outcome in self._pending:
            outcome()
        self._pending.clear()
        self.unreported = None

    def commit(self) -> None:
        """Commit the open batch, if any, and report its rows."""
        if self._batch is not None:
            batch, self._batch, self._raw = self._batch, None, None
            batch.close()
        self._report()

    def abandon(self) -> None:
        """Roll the open batch back: its rows were not written, and are not reported."""
        if self._batch is not None:
            batch, self._batch, self._raw = self._batch, None, None
            with suppress(Exception):  # the connection may be what failed
                batch.__exit__(RuntimeError, RuntimeError("import stopped"), None)
        self._pending.clear()

    def _create(self, values: Mapping[str, str | None], created_at: int | None, updated_at: int | None) -> int:
        assert self.account_id is not None
        if self._raw is None:
            self._batch = ExitStack()
            self._raw = self._batch.enter_context(self.db.raw.write())
            self._batch_rows, self._batch_since = 0, time.monotonic()
        raw = self._raw
        made = run(raw, customers.create(self.account_id, values,
                                         now=created_at if created_at is not None else self.now))
        if updated_at is not None and updated_at != made.updated_at:
            raw.run("UPDATE customers SET updated_at = :updated_at WHERE id = :id",
                    {"updated_at": updated_at, "id": made.id})
        self._batch_rows += 1
        return made.id

    def _update(self, target: _Target, fields: Mapping[str, object]) -> None:
        """The row's customer fields, as the body of a PATCH (an empty value clears its field),
        in its own transaction, after the creates before it are committed."""
        if self.dry_run:
            return
        self.commit()
        assert self.account_id is not None
        key = target.key if isinstance(target, _Created) else target
        assert key is not None
        customers.update(self.db, self.account_id, key, {name: fields[name] for name in customers.RULES if name in fields},
                         now=self.now)


def import_customers(
    db: Database,
    account_id: int | None,
    checked: Survey,
    *,
    now: int,
    on_conflict: OnConflict = "skip",
    dry_run: bool = False,
    progress: Callable[[Row], None] | None = None,
) -> ImportReport:
    """Import the rows of a surveyed file into the merchant (``None``: one that does not exist
    yet, for a dry run); creates are committed in batches, each update on its own.  Anything that stops it midway (the
    database gone, an interrupt) ends the report with ``stopped``: the lines it lists as
    created or updated were written, nothing from the line it stopped at on was."""
    if on_conflict not in ON_CONFLICT:
        raise Invalid.one("on_conflict", f"on_conflict must be one of {', '.join(ON_CONFLICT)}.")
    work = _Import(db, account_id, checked, now=now, on_conflict=on_conflict, dry_run=dry_run)
    line: int | None = None
    try:
        with checked.open_text() as stream:
            for row in checked.rows(stream):
                line = row.line
                work.take(row)
                if progress is not None:
                    progress(row)
                line = None
        work.commit()
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - reported, with what was written
        first = work.unreported if work.unreported is not None else line
        work.abandon()
        if isinstance(exc, Refused):
            reason = f"the file changed while it was imported: {exc}"
        elif isinstance(exc, KeyboardInterrupt):
            reason = "interrupted"
        else:
            text = str(exc).strip()
            reason = f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
        work.report.stopped = Stopped(first, reason)
    return work.report


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

