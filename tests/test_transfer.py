"""``openarc import`` and ``openarc export``: the API's rules on every row, and a lossless round trip."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Client
from openarc.cli import main
from openarc.config import Settings
from openarc.services import transfer

GOOD_AND_BAD_CSV = """\
name,email,phone,zip,city,unknown column
John Smith,john@example.com,541754301,10469,New York,ignored
Jo,not-an-email,12ab,,,

Zoë Ångström,zoe@example.com,,10469-2345,Malmö,
"Jane
Roe",jane@example.com,,,,
Ann Lee,ann@example.com,1,2,3,4,5,6
Bob Stone,bob@example.com,,,York,
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def emails(client: Client, key_headers: dict[str, str]) -> list[str]:
    body = client.get("/v1/customers?limit=100", headers=key_headers).json()
    return [c["email"] for c in body["data"]]


def test_import_csv_takes_the_good_rows_and_names_every_bad_one(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(GOOD_AND_BAD_CSV, encoding="utf-8")
    code, out, err = run(capsys, "import", str(path), "--account", "merchant-a", "--database", settings.database_url)
    assert code == 2
    assert "Imported 3 customers into 'merchant-a'." in out
    lines = [line.strip() for line in err.splitlines() if line.strip().startswith("line ")]
    # Line 3: two fields fail, every message is there; the quoted name spans lines 6-7;
    # line 8 has more cells than the header.
    assert lines == [
        (
            "line 3: name: The name field must be at least 3 characters.; "
            "email: The email field must be a valid email address.; phone: The phone field format is invalid."
        ),
        "line 6: name: The name field format is invalid.",
        "line 8: row: The row has 8 cells; the header names 6.",
    ]
    assert emails(client, client.a.headers) == ["bob@example.com", "zoe@example.com", "john@example.com"]
    [zoe] = [c for c in client.get("/v1/customers", headers=client.a.headers).json()["data"] if c["city"] == "Malmö"]
    assert (zoe["name"], zoe["zip"], zoe["phone"]) == ("Zoë Ångström", "10469-2345", None)


def test_bytes_that_are_not_utf8_reject_their_own_line_only(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A Latin-1 "ë" on line 3,000 of 4,000: every other row is imported, that one is named.
    rows = [f"Buyer {chr(65 + i % 26)}{chr(65 + i // 26 % 26)}{chr(65 + i // 676 % 26)},b{i}@example.com".encode()
            for i in range(3998)]
    rows[2997] = "Zoë Smith,zoe@example.com".encode("latin-1")
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"name,email\n" + b"\n".join(rows) + b"\n")
    code, out, err = run(capsys, "import", str(path), "--account", "merchant-a", "--database", settings.database_url)
    assert (code, out.strip()) == (2, "Imported 3997 customers into 'merchant-a'.")
    assert [line.strip() for line in err.splitlines() if line.strip().startswith("line ")] == [
        "line 2999: row: The line is not UTF-8 text.",
    ]
    # The same in JSON lines, and a header that is not UTF-8 (no column can be trusted).
    (tmp_path / "mixed.jsonl").write_bytes(b'{"name": "Ann Smith", "email": "ann@example.com"}\n'
                                           + '{"name": "Zoë Smith"}\n'.encode("latin-1")
                                           + b'{"name": "Bob Smith", "email": "bob@example.com"}\n')
    (tmp_path / "header.csv").write_bytes("nämé,email\nAnn Smith,ann2@example.com\n".encode("latin-1"))
    code, out, err = run(capsys, "import", str(tmp_path / "mixed.jsonl"), "--account", "merchant-b",
                         "--database", settings.database_url)
    assert (code, out.strip()) == (2, "Imported 2 customers into 'merchant-b'.")
    assert "line 2: row: The line is not UTF-8 text." in err
    code, out, err = run(capsys, "import", str(tmp_path / "header.csv"), "--account", "merchant-b",
                         "--database", settings.database_url)
    assert (code, out.strip()) == (2, "Imported 0 customers into 'merchant-b'.")
    assert "line 1: file: The header is not UTF-8 text; nothing was imported." in err
    assert "Traceback" not in err


def test_import_from_standard_input_reads_a_spreadsheets_file_as_a_file(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    # Byte-order mark, CRLF line ends and one Latin-1 row, piped into `openarc import -`.
    data = ("\ufeffname,email\r\nAnn Smith,ann@example.com\r\n".encode()
            + "Zoë Smith,zoe@example.com\r\n".encode("latin-1")
            + b"Bob Smith,bob@example.com\r\n")
    result = subprocess.run(
        [sys.executable, "-m", "openarc", "import", "-", "--account", "merchant-a", "--database", settings.database_url],
        input=data, capture_output=True, timeout=60, check=False, cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout.decode().strip() == "Imported 2 customers into 'merchant-a'."
    assert "line 3: row: The line is not UTF-8 text." in result.stderr.decode()
    assert emails(client, client.a.headers) == ["bob@example.com", "ann@example.com"]


def test_a_csv_field_past_the_csv_modules_limit_stops_the_import_at_its_line(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Line 3's field is over 131,072 characters: line 2 is imported, nothing after line 3 is read
    # (where a record that broke the limit ends is not known), and the report says so.
    path = tmp_path / "long.csv"
    path.write_text(f"name,email\nAnn Smith,ann@example.com\n\n{'a' * 200_000},x@example.com\n"
                    "Bob Smith,bob@example.com\n")
    code, out, err = run(capsys, "import", str(path), "--account", "merchant-a", "--database", settings.database_url)
    assert (code, out.strip()) == (2, "Imported 1 customer into 'merchant-a'.")
    assert ("line 4: file: The file cannot be read from this line on (CSV: field larger than field limit "
            "(131072)); nothing from here on was imported.") in err
    assert "Traceback" not in err
    assert emails(client, client.a.headers) == ["ann@example.com"]


def test_import_json_lines(client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "customers.jsonl"
    path.write_text("\n".join([
        json.dumps({"name": "John Smith", "email": "john@example.com", "zip": 10469, "phone": 541754301}),
        "{not json",
        json.dumps(["a", "list"]),
        "",
        json.dumps({"email": "old@example.com", "created_at": 1_600_000_000, "updated_at": 1_650_000_000,
                    "id": "ignored", "real_id": 5, "invoice_prefix": "ZZZZ"}),
        json.dumps({"email": "when@example.com", "created_at": "yesterday"}),
    ]) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "import", str(path), "--account", "merchant-a", "--database", settings.database_url)
    assert code == 2 and "Imported 2 customers" in out
    assert "line 2: row: The line is not valid JSON" in err
    assert "line 3: row: The line must be a JSON object." in err
    assert "line 6: created_at: The created_at field must be a Unix time in seconds." in err
    data = client.get("/v1/customers", headers=client.a.headers).json()["data"]
    old, john = data
    assert (john["zip"], john["phone"]) == ("10469", "541754301")
    assert (old["created_at"], old["updated_at"]) == (1_600_000_000, 1_650_000_000)
    assert old["invoice_prefix"] != "ZZZZ" and old["id"] != "ignored"


def test_a_dry_run_validates_and_imports_nothing(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(GOOD_AND_BAD_CSV, encoding="utf-8")
    code, out, err = run(capsys, "import", str(path), "--dry-run", "--account", "merchant-a",
                         "--database", settings.database_url)
    assert code == 2 and "Would import 3 customers" in out and err.count("line ") == 3
    assert emails(client, client.a.headers) == []


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_then_import_loses_nothing(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    a = client.a.headers
    full = {"name": "John Smith", "email": "customer@xyz.com", "description": "Donut, shop \"customer\"",
            "send_email_address": "invoicing@xyz.com", "cc_email_address": "cc@xyz.com",
            "address_1": "103 Mason Street", "address_2": "2nd Floor, #4 (rear)", "city": "New York",
            "state": "NY", "zip": "10469-2345", "phone": "541754301", "country": "US"}
    client.post("/v1/customers", headers=a, json=full)
    client.post("/v1/customers", headers=a, json={"email": "only@example.com"})
    client.app.state.ctx.clock.advance(3600)
    third = client.post("/v1/customers", headers=a, json={"name": "Zoë Ångström", "city": "Malmö"}).json()["data"]
    client.app.state.ctx.clock.advance(60)
    client.patch(f"/v1/customers/{third['id']}", headers=a, json={"description": "Line one, line two"})
    client.post("/v1/customers", headers=client.b.headers, json={"email": "other@example.com"})  # not exported

    db = settings.database_url
    first = tmp_path / f"a.{fmt}"
    assert run(capsys, "export", "--account", "merchant-a", "--output", str(first), "--database", db)[0] == 0
    code, out, _ = run(capsys, "import", str(first), "--account", "copy", "--database", db)
    assert code == 0 and "Imported 3 customers into 'copy'." in out
    code, second, _ = run(capsys, "export", "--account", "copy", "--format", fmt, "--database", db)
    assert code == 0

    def rows(text: str) -> list[dict[str, object]]:
        records = list(transfer.read_rows(io.StringIO(text), fmt))  # type: ignore[arg-type]
        return [{k: v for k, v in dict(r.fields or {}).items() if k != "id"} for r in records]

    before, after = rows(first.read_text(encoding="utf-8")), rows(second)
    assert len(before) == 3 and before == after
    assert before[0]["description"] == full["description"] and str(before[0]["zip"]) == "10469-2345"
    assert int(before[2]["updated_at"]) == int(before[2]["created_at"]) + 60  # type: ignore[arg-type]
    # The ids are new (server-owned), everything else is the same.
    assert [r.fields["id"] for r in transfer.read_rows(io.StringIO(second), fmt)] != [  # type: ignore[index, arg-type]
        r.fields["id"] for r in transfer.read_rows(io.StringIO(first.read_text(encoding="utf-8")), fmt)  # type: ignore[index, arg-type]
    ]


def test_export_writes_csv_to_stdout_with_a_header(
    client: Client, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    client.post("/v1/customers", headers=client.a.headers, json={"email": "x@example.com"})
    code, out, _ = run(capsys, "export", "--account", "merchant-a", "--database", settings.database_url)
    header, row = out.splitlines()
    assert code == 0 and header.split(",") == list(transfer.COLUMNS)
    assert ",x@example.com," in row


def test_export_of_an_unknown_merchant_fails(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "export", "--account", "nobody", "--database", settings.database_url)
    assert code == 3 and "nobody" in err


def test_count_lines_for_the_progress_bar() -> None:
    assert transfer.count_lines(io.BytesIO(b"")) == 0
    assert transfer.count_lines(io.BytesIO(b"a\nb\n")) == 2
    assert transfer.count_lines(io.BytesIO(b"a\nb")) == 2
