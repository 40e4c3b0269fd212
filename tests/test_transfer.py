"""``openarc import`` and ``openarc export``: the API's rules on every row, and a lossless round trip."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Client
from openarc.cli import main
from openarc.config import Settings
from openarc.services import accounts, transfer

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
    code, out, err = run(capsys, "import", str(path), "--account", "merchant-a", "--database", settings.database_url,
                         "--ignore-unknown-columns")
    assert code == 2
    assert "Imported into 'merchant-a': 3 created, 0 updated, 0 skipped, 3 rejected." in out
    assert "Created: lines 2, 5, 9" in err
    lines = [line.strip() for line in err.splitlines() if line.strip().startswith(("line ", "lines "))]
    # Line 3: two fields fail, every message is there; the quoted name spans lines 6-7;
    # line 8 has more cells than the header.
    assert lines == [
        (
            "line 3: name: The name field must be at least 3 characters.; "
            "email: The email field must be a valid email address.; phone: The phone field format is invalid."
        ),
        "lines 6-7: name: The name field format is invalid.",
        "line 8: row: The row has 8 cells; the header names 6.",
    ]
    assert "after fixing the rejected rows imports them and skips the rows already imported" in err
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
    assert (code, out.strip()) == (2, "Imported into 'merchant-a': 3997 created, 0 updated, 0 skipped, 1 rejected.")
    assert [line.strip() for line in err.splitlines() if line.strip().startswith("line ")] == [
        "line 2999: row: The line is not UTF-8 text.",
    ]
    # The same in JSON lines; a header that is not UTF-8 refuses the file (no column can be trusted).
    (tmp_path / "mixed.jsonl").write_bytes(b'{"name": "Ann Smith", "email": "ann@example.com"}\n'
                                           + '{"name": "Zoë Smith"}\n'.encode("latin-1")
                                           + b'{"name": "Bob Smith", "email": "bob@example.com"}\n')
    (tmp_path / "header.csv").write_bytes("nämé,email\nAnn Smith,ann2@example.com\n".encode("latin-1"))
    code, out, err = run(capsys, "import", str(tmp_path / "mixed.jsonl"), "--account", "merchant-b",
                         "--database", settings.database_url)
    assert (code, counts(out)) == (2, (2, 0, 0, 1))
    assert "line 2: row: The line is not UTF-8 text." in err
    code, out, err = run(capsys, "import", str(tmp_path / "header.csv"), "--account", "merchant-b",
                         "--database", settings.database_url)
    assert (code, out) == (2, "")
    assert ("Nothing was imported into 'merchant-b'; the file was refused:\n"
            '  line 1 (the header) is not UTF-8 text (column 1 ("n\\xe4m\\xe9")), and without its column names '
            'no row can be read; save the file as UTF-8 (a spreadsheet\'s "CSV UTF-8")\n') in err
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
    assert result.stdout.decode().strip() == "Imported into 'merchant-a': 2 created, 0 updated, 0 skipped, 1 rejected."
    assert "line 3: row: The line is not UTF-8 text." in result.stderr.decode()
    assert emails(client, client.a.headers) == ["bob@example.com", "ann@example.com"]


def test_a_csv_field_past_the_csv_modules_limit_refuses_the_file_at_its_line(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Line 4's field is over 131,072 characters: where a record that broke the limit ends is not
    # known, so the file cannot be read whole; nothing is imported, and the report says where.
    path = tmp_path / "long.csv"
    path.write_text(f"name,email\nAnn Smith,ann@example.com\n\n{'a' * 200_000},x@example.com\n"
                    "Bob Smith,bob@example.com\n")
    code, out, err = run(capsys, "import", str(path), "--account", "merchant-a", "--database", settings.database_url)
    assert (code, out) == (2, "")
    assert "  line 4: a field is longer than 131,072 characters\n" in err
    assert "Traceback" not in err
    assert emails(client, client.a.headers) == []


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
    assert (code, out) == (2, "")
    assert 'line 5: the key "real_id" names no customer field' in err
    assert 'line 5: the key "invoice_prefix" names no customer field' in err
    code, out, err = run(capsys, "import", str(path), "--account", "merchant-a", "--database", settings.database_url,
                         "--ignore-unknown-columns")
    assert (code, counts(out)) == (2, (2, 0, 0, 3))
    assert 'Ignored columns: "real_id", "invoice_prefix"' in err
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
                         "--database", settings.database_url, "--ignore-unknown-columns")
    assert code == 2 and "would give: 3 created, 0 updated, 0 skipped, 3 rejected." in out
    assert err.count("\n  line") == 3
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
    assert code == 0 and "Imported into 'copy': 3 created, 0 updated, 0 skipped, 0 rejected." in out
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


# ---------------------------------------------------------------------------- import that never damages data

COUNTS = re.compile(r"(\d+) created, (\d+) updated, (\d+) skipped, (\d+) rejected")


def counts(out: str) -> tuple[int, ...]:
    """(created, updated, skipped, rejected) from an import's summary line."""
    found = COUNTS.search(out)
    assert found, out
    return tuple(int(n) for n in found.groups())


def listed(client: Client, headers: dict[str, str]) -> list[dict[str, object]]:
    """The merchant's customers, oldest first (every page)."""
    found: list[dict[str, object]] = []
    page = 1
    while True:
        body = client.get(f"/v1/customers?limit=100&page={page}", headers=headers).json()
        found += body["data"]
        if page >= body["meta"]["pagination"]["total_pages"]:
            return found[::-1]
        page += 1


def total(client: Client, headers: dict[str, str]) -> int:
    return int(client.get("/v1/customers?limit=1", headers=headers).json()["meta"]["pagination"]["total"])


def importing(capsys: pytest.CaptureFixture[str], settings: Settings, path: Path, *options: str,
              account: str = "merchant-a") -> tuple[int, str, str]:
    return run(capsys, "import", str(path), "--account", account, "--database", settings.database_url, *options)


@pytest.mark.parametrize("header", ["Name,Email,Phone", " name , EMAIL ,pHone "])
def test_header_names_match_whatever_their_case_and_surrounding_spaces(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str
) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text(f"{header}\r\nJohn Smith,john@example.com,541754301\r\nAnn Lee,ann@example.com,\r\n")
    code, out, err = importing(capsys, settings, path)
    assert [(c["name"], c["email"], c["phone"]) for c in listed(client, client.a.headers)] == [
        ("John Smith", "john@example.com", "541754301"), ("Ann Lee", "ann@example.com", None),
    ]
    assert (code, counts(out)) == (0, (2, 0, 0, 0)), err


def test_a_column_that_names_no_field_stops_the_import_before_any_row(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text("Name,Email,Fax,Phone Number\nJohn Smith,john@example.com,123,541754301\n")
    code, out, err = importing(capsys, settings, path)
    assert total(client, client.a.headers) == 0
    assert (code, out) == (2, "") and "Nothing was imported into 'merchant-a'" in err
    assert 'the column "Fax" names no customer field' in err
    assert 'the column "Phone Number" names no customer field' in err
    assert "--ignore-unknown-columns" in err and "Traceback" not in err

    # Two columns for one field, in any case, are refused too: which one would win is a guess.
    (tmp_path / "twice.csv").write_text("email,name,EMAIL\njohn@example.com,John Smith,john@example.com\n")
    code, _, err = importing(capsys, settings, tmp_path / "twice.csv")
    assert code == 2 and total(client, client.a.headers) == 0
    assert 'the columns "email" and "EMAIL" both name the email field' in err

    # A header whose columns name no field at all is refused even when told to ignore them:
    # every row would be a customer with nothing in it.
    (tmp_path / "none.csv").write_text("Nom,Courriel\nJean Dupont,jean@example.com\n")
    code, _, err = importing(capsys, settings, tmp_path / "none.csv", "--ignore-unknown-columns")
    assert code == 2 and total(client, client.a.headers) == 0
    assert "no column names a customer field" in err
    # A spreadsheet that wrote semicolons: said so, rather than offering to ignore the one "column".
    (tmp_path / "semicolons.csv").write_text("Name;Email;Phone\nJohn Smith;john@example.com;541754301\n")
    code, _, err = importing(capsys, settings, tmp_path / "semicolons.csv")
    assert code == 2 and total(client, client.a.headers) == 0
    assert "the columns seem to be separated by ';'" in err and "--ignore-unknown-columns" not in err


def test_ignore_unknown_columns_imports_the_known_ones_and_says_which_it_left_out(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text("Name,Email,Fax,,Phone\nJohn Smith,john@example.com,123,,541754301\n"
                    "Ann Lee,ann@example.com,,,\n")
    code, out, err = importing(capsys, settings, path, "--ignore-unknown-columns")
    assert [(c["name"], c["email"], c["phone"]) for c in listed(client, client.a.headers)] == [
        ("John Smith", "john@example.com", "541754301"), ("Ann Lee", "ann@example.com", None),
    ]
    assert (code, counts(out)) == (0, (2, 0, 0, 0))
    assert 'Ignored columns: "Fax"' in err


def test_a_nameless_column_is_refused_only_when_it_holds_something(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Spreadsheets write empty trailing columns ("name,email,,"): nothing is lost by leaving them out.
    (tmp_path / "trailing.csv").write_text("name,email,,\nJohn Smith,john@example.com,,\n")
    code, out, _ = importing(capsys, settings, tmp_path / "trailing.csv")
    (tmp_path / "holds.csv").write_text("name,email,\nAnn Lee,ann@example.com,\nBob Stone,bob@example.com,VIP\n")
    code2, _, err = importing(capsys, settings, tmp_path / "holds.csv")
    assert total(client, client.a.headers) == 1
    assert (code, counts(out), code2) == (0, (1, 0, 0, 0), 2)
    assert "column 3 has no name in the header but holds values (first on line 3)" in err


def test_importing_the_same_file_twice_creates_nothing_the_second_time(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("name,email,phone\nJohn Smith,john@example.com,541754301\nAnn Lee,ann@example.com,\n"
                    "Bob Stone,bob@example.com,12\n")
    first = importing(capsys, settings, path)
    assert total(client, client.a.headers) == 3
    code, out, err = importing(capsys, settings, path)
    assert total(client, client.a.headers) == 3
    assert (first[0], counts(first[1])) == (0, (3, 0, 0, 0))
    assert (code, counts(out)) == (0, (0, 0, 3, 0))
    assert "Skipped (already there): lines 2-4" in err


def test_on_conflict_update_applies_each_row_as_a_patch_would(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = client.a.headers
    client.app.state.ctx.clock.advance(-3600)  # made an hour ago: the import's update is later
    john = client.post("/v1/customers", headers=a, json={"name": "John Smith", "email": "John@Example.com",
                                                          "city": "York", "phone": "1111"}).json()["data"]
    path = tmp_path / "customers.csv"
    # The file's columns are the fields a PATCH body would carry: an empty cell clears its
    # field (as an empty value does in a PATCH), a column the file lacks is left as it is.
    path.write_text("email,phone,zip\njohn@example.com,541754301,\nann@example.com,22,10469\n")
    code, out, err = importing(capsys, settings, path, "--on-conflict", "update")
    assert (code, counts(out)) == (0, (1, 1, 0, 0)), err
    assert "Updated: line 2" in err and "Created: line 3" in err
    [first, second] = listed(client, a)
    assert first["id"] == john["id"]
    assert (first["email"], first["phone"], first["city"], first["zip"], first["name"]) == (
        "john@example.com", "541754301", "York", None, "John Smith")
    assert first["updated_at"] > john["updated_at"]
    assert (second["email"], second["zip"]) == ("ann@example.com", "10469")

    # The default is to skip; error rejects each matching row with its line.
    code, out, err = importing(capsys, settings, path)
    assert (code, counts(out)) == (0, (0, 0, 2, 0))
    code, out, err = importing(capsys, settings, path, "--on-conflict", "error")
    assert (code, counts(out)) == (2, (0, 0, 0, 2))
    assert "line 2: email: A customer with this email already exists." in err
    assert "line 3: email: A customer with this email already exists." in err
    assert total(client, a) == 2


def test_rows_are_matched_by_id_first_then_by_email_in_any_case(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = client.a.headers, client.b.headers
    ann = client.post("/v1/customers", headers=a, json={"name": "Ann Lee", "email": "Ann@Example.COM"}).json()["data"]
    bob = client.post("/v1/customers", headers=a, json={"name": "Bob Stone", "email": "bob@example.com"}).json()["data"]
    theirs = client.post("/v1/customers", headers=b, json={"email": "zed@example.com"}).json()["data"]
    path = tmp_path / "customers.csv"
    path.write_text(
        "customer_id,name,email\n"
        f"{bob['id']},Robert Stone,robert@example.com\n"  # bob's id: his row, whatever the email says
        ",Ann Lee,aNN@example.com\n"  # ann by email, another case
        f"{theirs['id']},Zed Alpha,zed@example.com\n"  # another merchant's id is no match: created
        "not-an-id,Cat Black,CAT@example.com\n"
    )
    code, out, err = importing(capsys, settings, path, "--on-conflict", "update")
    assert (code, counts(out)) == (0, (2, 2, 0, 0)), err
    rows = {c["id"]: c for c in listed(client, a)}
    assert len(rows) == 4 and theirs["id"] not in rows
    assert (rows[bob["id"]]["name"], rows[bob["id"]]["email"]) == ("Robert Stone", "robert@example.com")
    assert rows[ann["id"]]["email"] == "aNN@example.com"
    assert listed(client, b)[0]["email"] == "zed@example.com"
    # Exported, edited, imported back: every row is recognised by its id.
    export = tmp_path / "export.csv"
    assert run(capsys, "export", "--account", "merchant-a", "-o", str(export), "--database",
               settings.database_url)[0] == 0
    code, out, _ = importing(capsys, settings, export)
    assert (code, counts(out)) == (0, (0, 0, 4, 0))


def test_rows_repeating_an_earlier_row_of_the_file_are_conflicts_too(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = client.a.headers
    path = tmp_path / "customers.csv"
    path.write_text("name,email,phone\nAnn Lee,ann@example.com,11\nBob Stone,bob@example.com,22\n"
                    "Ann Leigh,ANN@example.com,33\nBob Stone,bob@example.com,22\n")
    code, out, err = importing(capsys, settings, path, "--dry-run", "--on-conflict", "error")
    assert (code, counts(out)) == (2, (2, 0, 0, 2))
    assert "line 4: email: Line 2 of this file has the same email." in err
    assert "line 5: email: Line 3 of this file has the same email." in err
    code, out, err = importing(capsys, settings, path)
    assert (code, counts(out)) == (0, (2, 0, 2, 0))
    assert "Same customer as an earlier row: line 4 (email, as line 2), line 5 (email, as line 3)" in err
    assert [(c["name"], c["phone"]) for c in listed(client, a)] == [("Ann Lee", "11"), ("Bob Stone", "22")]
    # update: the later row is applied to the customer the earlier one made (here: already there).
    code, out, err = importing(capsys, settings, path, "--on-conflict", "update")
    assert (code, counts(out)) == (0, (0, 4, 0, 0))
    assert [(c["name"], c["phone"]) for c in listed(client, a)] == [("Ann Leigh", "33"), ("Bob Stone", "22")]
    (tmp_path / "new.csv").write_text("name,email\nCat Black,cat@example.com\nCat White,Cat@Example.com\n")
    code, out, err = importing(capsys, settings, tmp_path / "new.csv", "--on-conflict", "update")
    assert (code, counts(out)) == (0, (1, 1, 0, 0))
    assert [c["name"] for c in listed(client, a)][2:] == ["Cat White"]


def big_file_with_an_unterminated_quote(path: Path, *, rows: int, broken: int, quoted: bool) -> None:
    lines = ["Name,Email,Phone"]
    for i in range(2, rows + 2):
        name = "Buyer " + "".join(chr(65 + i // 26**k % 26) for k in range(4))
        lines.append(f'{f"{chr(34)}{name}{chr(34)}" if quoted else name},b{i}@example.com,{5400000000 + i}')
    lines[broken - 1] = f'"Buyer Broken,broken@example.com,{5400000000 + broken}'
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("quoted", [False, True], ids=["bare-names", "quoted-names"])
def test_an_unterminated_quote_refuses_the_file_naming_the_line_it_starts_on(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], quoted: bool
) -> None:
    # 17,010 good rows, then a quote that never closes.  Bare names: the csv module reads the
    # rest of the file as that one field until its size limit, thousands of lines later.
    # Quoted names: the next row's opening quote is taken for the closing one.
    path = tmp_path / "big.csv"
    big_file_with_an_unterminated_quote(path, rows=22_000, broken=17_012, quoted=quoted)
    code, out, err = importing(capsys, settings, path)
    assert total(client, client.a.headers) == 0
    assert (code, out) == (2, "")
    assert "Nothing was imported into 'merchant-a'" in err
    assert "unterminated quoted field starting on line 17,012" in err
    assert "field larger than field limit" not in err and "Traceback" not in err


def test_a_quote_out_of_place_in_a_small_file_loses_no_row_silently(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Read leniently, line 3's quote would swallow line 4 into its field: Cat Black would be
    # neither imported nor named.  Nothing is imported, and a fixed file then imports whole.
    path = tmp_path / "small.csv"
    path.write_text('name,email\nAnn Lee,ann@example.com\n"Bob Stone,bob@example.com\nCat Black,cat@example.com\n')
    code, _, err = importing(capsys, settings, path)
    assert total(client, client.a.headers) == 0
    assert code == 2 and "unterminated quoted field starting on line 3" in err
    assert "Fix the file and run the same command again." in err
    # A closing quote followed by more text is refused too (the lenient reader glued them).
    (tmp_path / "glued.csv").write_text('name,email\nAnn Lee,ann@example.com\nBob Stone,"bob"@example.com\n')
    code, _, err = importing(capsys, settings, tmp_path / "glued.csv")
    assert code == 2 and total(client, client.a.headers) == 0
    assert "line 3: a quoted field ends and more text follows before the next comma" in err
    path.write_text('name,email\nAnn Lee,ann@example.com\n"Bob Stone",bob@example.com\nCat Black,cat@example.com\n')
    code, out, _ = importing(capsys, settings, path)
    assert (code, counts(out)) == (0, (3, 0, 0, 0))


def test_a_header_that_is_not_utf8_refuses_the_file(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("Nom,Prénom,email\nDupont,Jean,jean@example.com\n".encode("latin-1"))
    code, out, err = importing(capsys, settings, path)
    assert total(client, client.a.headers) == 0
    assert (code, out) == (2, "") and "Nothing was imported into 'merchant-a'" in err
    assert "line 1 (the header) is not UTF-8 text" in err and "Traceback" not in err


def test_json_lines_follow_the_same_rules(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = client.a.headers
    path = tmp_path / "customers.jsonl"
    good = [{" Name": "John Smith", "EMAIL": "john@example.com", "Phone": 541754301},
            {"name": "Ann Lee", "Email": "ann@example.com"}]
    path.write_text("\n".join([json.dumps(good[0]), json.dumps(good[1]),
                               json.dumps({"name": "Bob Stone", "Fax": "123"})]) + "\n")
    code, _, err = importing(capsys, settings, path)
    assert total(client, a) == 0
    assert code == 2 and 'line 3: the key "Fax" names no customer field' in err
    code, out, err = importing(capsys, settings, path, "--ignore-unknown-columns")
    assert (code, counts(out)) == (0, (3, 0, 0, 0)), err
    assert 'Ignored columns: "Fax"' in err
    assert [(c["name"], c["email"], c["phone"]) for c in listed(client, a)] == [
        ("John Smith", "john@example.com", "541754301"), ("Ann Lee", "ann@example.com", None), ("Bob Stone", None, None),
    ]
    # Again, with a malformed line, a row that repeats another and a key given twice: the
    # rows already there are skipped, the bad lines named.
    path.write_text("\n".join([
        json.dumps(good[0]), "{not json", json.dumps({"email": "CAT@example.com"}),
        json.dumps({"email": "cat@example.com", "name": "Cat Black"}),
        json.dumps({"email": "dan@example.com", "EMAIL": "dan@example.org"}),
    ]) + "\n")
    code, out, err = importing(capsys, settings, path, "--on-conflict", "skip")
    assert (code, counts(out)) == (2, (1, 0, 2, 2))
    assert "line 2: row: The line is not valid JSON" in err
    assert 'line 5: row: The keys "email" and "EMAIL" both name the email field.' in err
    assert "Same customer as an earlier row: line 4 (email, as line 3)" in err
    assert total(client, a) == 4


@pytest.mark.parametrize("mode", ["skip", "update", "error"])
def test_a_dry_run_reports_exactly_what_the_real_run_then_does(
    client: Client, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    a = client.a.headers
    ann = client.post("/v1/customers", headers=a, json={"name": "Ann Lee", "email": "ann@example.com"}).json()["data"]
    client.post("/v1/customers", headers=a, json={"name": "Bob Stone", "email": "Bob@example.com"})
    path = tmp_path / "customers.csv"
    path.write_text(
        "id,name,email,phone\n"
        f"{ann['id']},Ann Leigh,ann@example.org,11\n"  # ann, by id
        ",Bob Stone,bob@EXAMPLE.com,22\n"  # bob, by email
        ",Cat Black,cat@example.com,33\n"  # new
        ",Jo,not-an-email,44\n"  # invalid
        ",Cat Black,Cat@example.com,55\n"  # repeats line 4
        ",Dan Green,,66\n"  # new, no email: a second import would create it again
        ",Ann Leigh,ann@example.org,77\n"  # the email line 2 gave ann
    )
    before = run(capsys, "export", "--account", "merchant-a", "--database", settings.database_url)[1]
    dry_code, dry_out, dry_err = importing(capsys, settings, path, "--dry-run", "--on-conflict", mode)
    assert run(capsys, "export", "--account", "merchant-a", "--database", settings.database_url)[1] == before
    code, out, err = importing(capsys, settings, path, "--on-conflict", mode)
    assert "Dry run, nothing written." in dry_out and "Would" not in out
    assert (dry_code, counts(dry_out)) == (code, counts(out))
    assert counts(out) == {"skip": (2, 0, 4, 1), "update": (2, 4, 0, 1), "error": (2, 0, 0, 5)}[mode]

    def report(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("Running the same command")]

    assert report(dry_err) == report(err)
    assert "Note: a row without an email cannot be recognised by a later import of this file: line 7" in err
    # A dry run into a merchant that does not exist yet creates nothing, not even the merchant.
    dry_code, dry_out, _ = importing(capsys, settings, path, "--dry-run", account="newcomer")
    assert (dry_code, counts(dry_out)) == (2, (4, 0, 2, 1))
    assert run(capsys, "export", "--account", "newcomer", "--database", settings.database_url)[0] == 3


def test_an_import_stopped_midway_reports_exactly_the_rows_it_wrote_and_resumes(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    # Ctrl-C on line 1,500 of 2,000: creates are committed in batches, and the report lists
    # as created exactly the rows that are in the database; the same import again resumes.
    path = tmp_path / "customers.csv"
    path.write_text("name,email\n" + "".join(f"Buyer {chr(65 + i % 26)}{chr(65 + i // 26 % 26)},b{i}@example.com\n"
                                             for i in range(2000)))
    ctx = client.app.state.ctx
    account = accounts.ensure_account(ctx.db, "merchant-a", now=ctx.clock.now())

    def checked() -> transfer.Survey:
        return transfer.survey(lambda: transfer.text_of(path.open("rb")), "csv", customer_key=ctx.ids.customer.decode)

    def interrupt(row: transfer.Row) -> None:
        if row.line == 1500:
            raise KeyboardInterrupt

    report = transfer.import_customers(ctx.db, account.id, checked(), now=ctx.clock.now(), progress=interrupt)
    assert report.stopped is not None and report.stopped.reason == "interrupted"
    written = total(client, client.a.headers)
    assert 0 < written <= 1499 and report.created.count == written
    assert list(report.created) == list(range(2, written + 2)) and report.stopped.line == written + 2
    again = transfer.import_customers(ctx.db, account.id, checked(), now=ctx.clock.now())
    assert again.stopped is None and (again.skipped.count, again.created.count) == (written, 2000 - written)
    assert total(client, client.a.headers) == 2000
