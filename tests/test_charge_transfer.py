"""``openarc export --charges`` and ``openarc import --charges``: charges and refunds move between
installations whole, link to their customers by email, and a second import changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Client, database_url
from factories import VISA, card_form
from openarc.api.app import create_app
from openarc.cli import main
from openarc.config import Settings

DAY = 86_400


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_charges_move_to_another_installation_whole(client: Client, settings: Settings, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    a = client.a.headers
    customer = client.post("/v1/customers", headers=a, data={"name": "John Smith", "email": "john@example.com"}).json()
    token = client.post("/v1/tokens", headers=a, data=card_form(VISA)).json()["data"]["id"]
    client.patch(f"/v1/customers/{customer['data']['id']}", headers=a, data={"token_id": token})
    made = client.post("/v1/charges", headers=a, json={"amount": 1000, "currency": "usd",
                                                       "customer_id": customer["data"]["id"],
                                                       "metadata": '{"order": "42"}'}).json()["data"]
    keyed = client.post("/v1/charges", headers=a, json={"amount": 700, "currency": "usd", "card_number": VISA,
                                                        "exp_month": "3", "exp_year": "2031", "capture": 0}).json()
    client.app.state.ctx.clock.advance(DAY + 1)
    client.post(f"/v1/charges/{made['id']}/refunds", headers=a, json={"amount": 300, "reason": "duplicate"})
    client.post(f"/v1/charges/{made['id']}/refunds", headers=a, json={"amount": 200})

    out = tmp_path / "charges.jsonl"
    code, _, err = run(capsys, "export", "--account", "merchant-a", "--charges", "-o", str(out),
                       "--database", settings.database_url)
    assert code == 0 and "Exported 2 charges of 'merchant-a'" in err
    text = out.read_text()
    assert VISA not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["amount"] for r in records] == [1000, 700]
    assert records[0]["customer_email"] == "john@example.com" and len(records[0]["refunds"]) == 2

    # Another installation: its own database and secret, a customer with the same email.
    other = Settings(database_url=database_url(tmp_path / "other.db"))
    with Client(create_app(other)) as second:
        second.a = second.merchant("merchant-b")
        mine = second.post("/v1/customers", headers=second.a.headers,
                           data={"name": "John Smith", "email": "john@example.com"}).json()["data"]["id"]
        code, stdout, _ = run(capsys, "import", str(out), "--account", "merchant-b", "--charges",
                              "--database", other.database_url)
        assert code == 0 and "Imported 2 charges into 'merchant-b'." in stdout
        listed = second.get("/v1/charges", headers=second.a.headers).json()["data"]
        assert [(c["amount"], c["status"], c["amount_refunded"]) for c in listed] == [
            (700, "authorized", 0), (1000, "partial_refund", 500)]
        assert [r["refund_amount"] for r in listed[1]["refund"]["data"]] == ["300", "200"]
        assert listed[1]["card"]["data"]["last4digit"] == VISA[-4:]
        assert listed[1]["card"]["data"]["customer_id"] == mine
        found = second.get(f"/v1/customers/{mine}", headers=second.a.headers).json()["data"]
        assert [c["amount"] for c in found["charge"]["data"]] == [1000]
        meta = second.get(f"/v1/charges/{listed[1]['id']}?include=transaction_metadata",
                          headers=second.a.headers).json()["data"]["transaction_metadata"]["data"]
        assert meta == [{"object": "TransactionMeta", "key": "order", "value": "42"}]
        # The imported money still obeys the rules: only what remains can be refunded.
        assert second.post(f"/v1/charges/{listed[1]['id']}/refunds", headers=second.a.headers,
                           json={"amount": 501}).status_code == 409
        # Again: nothing changes.
        code, stdout, _ = run(capsys, "import", str(out), "--account", "merchant-b", "--charges",
                              "--database", other.database_url)
        assert code == 0 and "Imported 0 charges into 'merchant-b'; skipped 2 already there." in stdout
        assert second.get("/v1/charges", headers=second.a.headers).json()["meta"]["pagination"]["total"] == 2
    assert keyed["data"]["status"] == "authorized"


def test_bad_lines_are_named_and_import_nothing(client: Client, settings: Settings, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    made = client.post("/v1/charges", headers=client.a.headers, json={
        "amount": 1000, "currency": "usd", "card_number": VISA, "exp_month": "3", "exp_year": "2031"}).json()
    out = tmp_path / "charges.jsonl"
    assert run(capsys, "export", "--account", "merchant-a", "--charges", "-o", str(out),
               "--database", settings.database_url)[0] == 0
    good = json.loads(out.read_text())
    bad_amounts = {**good, "id": "x", "amount_refunded": 5000, "host_reference_number": "1"}
    sneaky = {**good, "host_reference_number": "2", "card": {**good["card"], "card_holder_name": VISA}}
    broken = {**good, "host_reference_number": "3", "refunds": [{"amount": 1, "status": "refunded",
                                                                  "created_at": 1, "updated_at": 1}]}
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([json.dumps(bad_amounts), "{not json", json.dumps(sneaky), json.dumps(broken), ""]))
    code, stdout, err = run(capsys, "import", str(path), "--account", "merchant-b", "--charges",
                            "--database", settings.database_url)
    assert code == 2 and "Imported 0 charges" in stdout
    assert "line 1: amount_refunded: The amounts must satisfy" in err
    assert "line 2: row: The line is not valid JSON." in err
    assert "line 3: card: The card must not hold a card number." in err
    assert "line 4: refunds: The refunds must add up to amount_refunded." in err
    assert client.get("/v1/charges", headers=client.b.headers).json()["data"] == []
    assert made["data"]["status"] == "submitted_for_settlement"
    assert run(capsys, "export", "--account", "merchant-a", "--charges", "--format", "csv",
               "--database", settings.database_url)[0] == 2
