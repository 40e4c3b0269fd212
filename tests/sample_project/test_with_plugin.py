"""A user's project: nothing but the ``openarc`` fixture (from the installed plugin) and the
official ``payarc`` SDK.  tests/test_sandbox.py runs this file alone in a pytest of its own, as
in a user's project; OpenArc's own session collects it too, which shows the plugin living
beside tests/conftest.py without a clash.  No conftest.py here: every directory's conftest
is imported as the module ``conftest``, and a second one would shadow tests/conftest.py."""

import asyncio

from payarc import Payarc


def test_create_and_find_a_customer(openarc):
    payarc = Payarc(bearer_token=openarc.key, base_url=openarc.url)
    customer = asyncio.run(payarc.customers["create"]({"email": "anon@example.com", "name": "John Doe"}))
    found = asyncio.run(payarc.customers["retrieve"](customer["object_id"]))
    assert found["email"] == "anon@example.com"
    listed = asyncio.run(payarc.customers["list"]({"limit": 10}))
    assert [c["email"] for c in listed["customers"]] == ["anon@example.com"]


def test_the_next_test_starts_empty(openarc):
    payarc = Payarc(bearer_token=openarc.key, base_url=openarc.url)
    listed = asyncio.run(payarc.customers["list"]({"limit": 10}))
    assert listed["customers"] == []
    assert listed["pagination"]["total"] == 0
    asyncio.run(payarc.customers["create"]({"email": "second@example.com"}))


def test_and_so_does_the_one_after(openarc):
    payarc = Payarc(bearer_token=openarc.key, base_url=openarc.url)
    assert asyncio.run(payarc.customers["list"]())["customers"] == []


def test_charge_settle_and_refund(openarc):
    payarc = Payarc(bearer_token=openarc.key, base_url=openarc.url)
    customer = asyncio.run(payarc.customers["create"]({"name": "John Doe", "cards": [
        {"card_source": "INTERNET", "card_number": "4012000098765439", "exp_month": "03", "exp_year": "2031",
         "cvv": "999"}]}))
    charge = asyncio.run(customer["charges"]["create"]({"amount": 1500, "currency": "usd"}))
    assert openarc.settle() == {"settled": 1, "ach_settled": 0}
    refunded = asyncio.run(payarc.charges["create_refund"](charge["object_id"]))
    assert (refunded["status"], refunded["amount_refunded"]) == ("refunded", 1500)
