"""Pure rules: invoice prefixes, Carbon wording, id codecs."""

from __future__ import annotations

from factories import BANK_ACCOUNT_NUMBER, CVV, VISA
from openarc.ids import Ids
from openarc.services.ordinals import invoice_prefix
from openarc.timefmt import readable


def test_invoice_prefixes_are_a_permutation_then_grow() -> None:
    first = [invoice_prefix(7, n) for n in range(36**3)]
    assert len(set(first)) == len(first)
    assert all(len(p) == 4 and p.isalnum() and p == p.upper() for p in first)
    assert len(invoice_prefix(7, 36**4 - 1)) == 4
    assert len(invoice_prefix(7, 36**4)) == 5
    assert invoice_prefix(7, 0) != invoice_prefix(8, 0)


def test_readable_matches_carbon_wording() -> None:
    assert readable(100, 100) == "1 second ago"
    assert readable(100, 102) == "2 seconds ago"
    assert readable(0, 60) == "1 minute ago"
    assert readable(0, 7200) == "2 hours ago"
    assert readable(0, 86400 * 8) == "1 week ago"
    assert readable(0, 86400 * 400) == "1 year ago"
    assert readable(100, 50) == "1 second ago"


def test_ids_roundtrip_and_do_not_cross_types() -> None:
    ids = Ids(b"secret")
    other = Ids(b"other")
    for key in (1, 110, 2**31, 2**53):
        public = ids.customer.encode(key)
        assert len(public) >= 16 and ids.customer.decode(public) == key
        assert ids.card.decode(public) is None
        assert other.customer.decode(public) != key


def test_the_installation_secret_lives_beside_not_in_the_database(tmp_path) -> None:
    import stat

    from openarc.config import Settings
    from openarc.context import build_context

    ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    try:
        secret = tmp_path / "x.secret"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert ctx.secrets.root == bytes.fromhex(secret.read_text().strip())
        with ctx.db.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM installation").scalar() == 0
    finally:
        ctx.db.dispose()
    again = build_context(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    assert again.secrets == ctx.secrets
    again.db.dispose()


def test_redaction_masks_card_data_and_keys() -> None:
    from openarc import redact

    sent = {"card_number": VISA, "cvv": CVV, "name": "Ann", "cards": [{"cvv": "998"}],
            "note": "call 4012 0000 9876 5439", "account_number": BANK_ACCOUNT_NUMBER}
    masked = redact.body(sent)
    flat = repr(masked)
    for secret in (VISA, CVV, "998", "4012 0000 9876 5439", BANK_ACCOUNT_NUMBER):
        assert secret not in flat
    assert masked["name"] == "Ann"
    assert redact.headers({"Authorization": "Bearer oa_sk_abc", "Accept": "*/*"}) == {
        "Authorization": "[redacted]", "Accept": "*/*"}
    assert "oa_sk_" not in redact.text("key=oa_sk_abcDEF-123 in a query")


def test_the_ascii_fast_path_agrees_with_the_unicode_categories() -> None:
    import unicodedata

    from openarc.services import validation as v

    for c in map(chr, range(128)):
        letter = unicodedata.category(c)[0] == "L"
        letter_or_digit = unicodedata.category(c)[0] in "LN"
        assert v.letters(c) is letter, repr(c)
        assert v.letters_and_spaces(c) is (letter or c == " "), repr(c)
        assert v.alphanumeric_words(c) is (letter_or_digit or c == " "), repr(c)
        assert v.address(c) is (letter_or_digit or c in " .,#'/&()-"), repr(c)
    for check in (v.letters, v.letters_and_spaces, v.alphanumeric_words, v.address):
        assert check("") is False
    assert v.letters_and_spaces("José Ñúñez") and not v.letters_and_spaces("José 2")


def test_redaction_shortcut_changes_nothing() -> None:
    """``redact.text`` skips its substitutions when a quick search finds nothing to mask: on random
    text it must answer exactly what the substitutions alone would."""
    import random

    from openarc import redact

    rng = random.Random(11)
    alphabet = "0123456789 -.abOASKoa_sk_BeArEr\t/\u0663\u0967\u212a"  # and digits of other scripts, Kelvin
    for _ in range(20_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert redact.text(value) == redact.masked(value), value


def test_redaction_masks_card_numbers_by_value_and_keeps_everything_else() -> None:
    """Only Luhn-valid runs of 13–19 digits (or runs holding one) are card numbers: ids, request
    ids, phone numbers and amounts are kept, so log lines still match what the client saw."""
    from openarc import redact

    for card in (VISA, "4111 1111 1111 1111", "5555-5555-5555-4444", "3782.822463.10005", "order 7 " + VISA):
        assert VISA not in redact.text(card) and redact.REDACTED in redact.text(card), card
    for kept in ("555-000-0042", "+1 (555) 000 0042", "15550000042", "20261203", "4111111111111112",
                 "0123456789abcdef0123456789abcdef", "req-12345678-99", "amount 1000000000"):
        assert redact.text(kept) == kept, kept
    assert redact.text("9" * 64) == redact.REDACTED  # nobody's id or phone number
    named = redact.body({"card[cvv]": "1", "cardNumber": "x", "Account-Number": "y", "phone": "5550000042"})
    assert named == {"card[cvv]": "[redacted]", "cardNumber": "[redacted]", "Account-Number": "[redacted]",
                     "phone": "5550000042"}


def test_access_log_timestamps_match_datetime() -> None:
    import random
    from datetime import UTC, datetime

    from openarc.logs import timestamp as _timestamp

    rng = random.Random(5)
    for now in [0.0, 0.9995, 1.0, 1_795_697_494.2489996, *(rng.uniform(0, 4e9) for _ in range(20_000))]:
        assert _timestamp(now) == datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"), now
