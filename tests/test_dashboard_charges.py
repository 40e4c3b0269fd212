"""Charges in the dashboard: the customer's charges with refund and void (behind a
confirmation page), the merchant's charge list with its filters and totals.

In-process over the real app and database (charges made through ``/v1``, settled by the
sandbox clock), and once in Debian's Chromium against a live sandbox server.  Nothing of
OpenArc is mocked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from browsers import chromium_page
from conftest import Client, LiveServer, Merchant, start_server, stop_server
from openarc.services import accounts
from signin import csrf_of, sign_in

VISA = "4012000098765439"
#: A sandbox trigger card: every charge on it is declined with the status "Declined" (services.triggers).
DECLINED_CARD = "4000000000000341"
DAY = 86_400

# ---------------------------------------------------------------------------- helpers


def card_form(number: str = VISA) -> dict[str, str]:
    return {"card_source": "INTERNET", "card_number": number, "exp_month": "04", "exp_year": "2031", "cvv": "997"}




def customer_with_card(client: Client, merchant: Merchant, number: str = VISA, name: str = "John Smith") -> str:
    headers = merchant.headers
    customer = client.post("/v1/customers", headers=headers, data={"name": name, "email": "john@example.com"})
    customer_id = customer.json()["data"]["id"]
    token = client.post("/v1/tokens", headers=headers, data=card_form(number)).json()["data"]["id"]
    attached = client.patch(f"/v1/customers/{customer_id}", headers=headers, data={"token_id": token})
    assert attached.status_code == 200, attached.text
    return customer_id


def charge(client: Client, merchant: Merchant, customer_id: str, amount: int = 1500) -> str:
    made = client.post("/v1/charges", headers=merchant.headers,
                       json={"amount": amount, "currency": "usd", "customer_id": customer_id})
    assert made.status_code == 201, made.text
    return made.json()["data"]["id"]


def api_charge(client: Client, merchant: Merchant, charge_id: str) -> dict[str, Any]:
    found = client.get(f"/v1/charges/{charge_id}", headers=merchant.headers)
    assert found.status_code == 200, found.text
    return found.json()["data"]


def settle(client: Client) -> None:
    """Past the next daily cut-off: every captured charge has settled."""
    client.app.state.ctx.clock.advance(DAY + 1)


def row(html: str, charge_id: str) -> str:
    found = re.search(rf'<tr id="charge-{charge_id}">(.*?)</tr>', html, re.DOTALL)
    assert found, f"no row for charge {charge_id}"
    return found.group(1)


def text_of(html: str) -> str:
    """The visible words of some HTML, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def alert_of(html: str) -> str:
    found = re.search(r'<p class="notice refused" role="alert">(.*?)</p>', html, re.DOTALL)
    assert found, "no refusal shown"
    return found.group(1)


def totals_of(html: str) -> tuple[str, ...]:
    """(captured, refunded, net) as the charge list shows them."""
    return tuple(re.findall(r'<dd id="total-(?:captured|refunded|net)">([^<]*)</dd>', html))


# ---------------------------------------------------------------------------- the customer's charges


def test_the_customer_page_lists_charges_with_the_actions_each_allows(client: Client) -> None:
    customer_id = customer_with_card(client, client.a)
    settled = charge(client, client.a, customer_id, 1500)
    settle(client)
    pending = charge(client, client.a, customer_id, 125_050)
    sign_in(client, client.a)

    page = client.get(f"/dashboard/customers/{customer_id}")
    assert page.status_code == 200
    html = page.text
    # Newest first.
    assert html.index(f'id="charge-{pending}"') < html.index(f'id="charge-{settled}"')

    first = row(html, settled)
    assert "$15.00" in first and "Settled" in first and "Visa ending 5439" in first
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", first)
    # Refund: an amount field filled with what remains; no void once settled.
    assert re.search(r'<input id="refund-[^"]+" name="amount"[^>]*value="15.00"', first)
    assert "Refund…" in first and "Void…" not in first

    second = row(html, pending)
    assert "$1,250.50" in second and "Submitted for settlement" in second
    assert "Void…" in second and "Refund…" not in second
    assert re.findall(r'<option value="([a-z_]+)"', second) == [
        "requested_by_customer", "fraudulent", "duplicate", "other"]

    # Never more of the card than its brand and last 4.
    assert VISA not in html and "401200" not in html


def test_a_refund_in_part_through_the_confirmation_page(client: Client) -> None:
    customer_id = customer_with_card(client, client.a)
    charge_id = charge(client, client.a, customer_id, 1500)
    settle(client)
    sign_in(client, client.a)

    confirm = client.get(f"/dashboard/charges/{charge_id}/refund", params={"amount": "5", "return_to": "customer"})
    assert confirm.status_code == 200
    assert "Refund $5.00?" in confirm.text and "Visa ending 5439" in confirm.text
    assert 'name="amount" value="5.00"' in confirm.text
    # Showing the confirmation changed nothing.
    assert api_charge(client, client.a, charge_id)["amount_refunded"] == 0

    done = client.post(f"/dashboard/charges/{charge_id}/refund", follow_redirects=False,
                       data={"csrf_token": csrf_of(confirm.text), "amount": "5.00", "return_to": "customer"})
    assert done.status_code == 303
    assert done.headers["location"].endswith(f"/dashboard/customers/{customer_id}?notice=refunded")
    after = client.get(done.headers["location"])
    assert '<p class="notice" role="status">Refund made.</p>' in after.text
    refunded_row = text_of(row(after.text, charge_id))
    assert "Partially refunded" in refunded_row and "$5.00 refunded" in refunded_row
    assert re.search(r'name="amount"[^>]*value="10.00"', row(after.text, charge_id))  # what remains

    read = api_charge(client, client.a, charge_id)
    assert (read["amount_refunded"], read["status"]) == (500, "partial_refund")
    assert [r["refund_amount"] for r in read["refund"]["data"]] == ["500"]


def test_refused_refunds_and_voids_are_shown_as_notices(client: Client) -> None:
    customer_id = customer_with_card(client, client.a)
    charge_id = charge(client, client.a, customer_id, 1500)
    settle(client)
    token = sign_in(client, client.a)

    # More than was captured: PayArc's words, on the confirmation page, with the charge as it is.
    over = client.post(f"/dashboard/charges/{charge_id}/refund", data={"csrf_token": token, "amount": "20.00"})
    assert over.status_code == 409
    assert alert_of(over.text) == "Amount requested is not available for Refund"
    assert "Settled" in over.text and 'value="20.00"' in over.text  # the amount can be corrected

    # A settled charge cannot be voided (e.g. the page was opened before the cut-off).
    late = client.post(f"/dashboard/charges/{charge_id}/void", data={"csrf_token": token, "reason": "duplicate"})
    assert late.status_code == 409
    assert alert_of(late.text) == "Reversal Not Allowed."

    # Input the services would not take: the field's message, not a 500.
    for amount, message in [("abc", "Enter an amount in dollars and cents, such as 5.00."),
                            ("0", "The amount must be at least $0.01.")]:
        wrong = client.post(f"/dashboard/charges/{charge_id}/refund", data={"csrf_token": token, "amount": amount})
        assert wrong.status_code == 422
        assert f'<ul class="errors" id="e-amount"><li>{message}</li></ul>' in wrong.text
    shown = client.get(f"/dashboard/charges/{charge_id}/refund", params={"amount": "1.999"})
    assert shown.status_code == 422 and 'aria-invalid="true"' in shown.text
    bad_reason = client.post(f"/dashboard/charges/{charge_id}/void", data={"csrf_token": token, "reason": "bored"})
    assert bad_reason.status_code == 422 and 'id="e-reason"' in bad_reason.text

    read = api_charge(client, client.a, charge_id)
    assert (read["status"], read["amount_refunded"], read["amount_voided"]) == ("settled", 0, 0)

    # The whole of it, then anything more: refused too.
    whole = client.post(f"/dashboard/charges/{charge_id}/refund", data={"csrf_token": token, "amount": "15.00"},
                        follow_redirects=False)
    assert whole.status_code == 303
    again = client.post(f"/dashboard/charges/{charge_id}/refund", data={"csrf_token": token, "amount": "0.01"})
    assert again.status_code == 409 and "Refunded" in again.text
    assert api_charge(client, client.a, charge_id)["amount_refunded"] == 1500


def test_void_before_settlement_with_a_reason(client: Client) -> None:
    customer_id = customer_with_card(client, client.a)
    charge_id = charge(client, client.a, customer_id, 2000)
    sign_in(client, client.a)

    confirm = client.get(f"/dashboard/charges/{charge_id}/void", params={"reason": "duplicate"})
    assert confirm.status_code == 200 and "Void this charge?" in confirm.text
    assert '<option value="duplicate" selected>' in confirm.text
    done = client.post(f"/dashboard/charges/{charge_id}/void", follow_redirects=False,
                       data={"csrf_token": csrf_of(confirm.text), "reason": "duplicate", "return_to": "customer"})
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert "Charge voided." in after.text
    voided_row = text_of(row(after.text, charge_id))
    assert "Voided" in voided_row and "No action" in voided_row
    read = api_charge(client, client.a, charge_id)
    assert (read["status"], read["void_reason"], read["amount_voided"]) == ("void", "duplicate", 2000)


def test_refunding_an_unsettled_charge_says_it_voids_all_of_it(client: Client) -> None:
    customer_id = customer_with_card(client, client.a)
    charge_id = charge(client, client.a, customer_id, 1500)
    token = sign_in(client, client.a)
    confirm = client.get(f"/dashboard/charges/{charge_id}/refund", params={"amount": "5.00"})
    assert "a refund voids the whole charge ($15.00)" in text_of(confirm.text)
    done = client.post(f"/dashboard/charges/{charge_id}/refund", data={"csrf_token": token, "amount": "5.00"},
                       follow_redirects=False)
    # No return_to: back to the charge's customer, saying what happened.
    assert done.headers["location"].endswith(f"/dashboard/customers/{customer_id}?notice=voided")
    assert api_charge(client, client.a, charge_id)["status"] == "void"


# ---------------------------------------------------------------------------- security


def test_refund_and_void_need_the_forms_csrf_token(client: Client) -> None:
    customer_id = customer_with_card(client, client.a)
    settled = charge(client, client.a, customer_id, 1500)
    settle(client)
    pending = charge(client, client.a, customer_id, 1500)
    sign_in(client, client.a)
    for form in ({}, {"csrf_token": "0" * 64}):
        refused = client.post(f"/dashboard/charges/{settled}/refund", data={**form, "amount": "5.00"})
        assert refused.status_code == 403 and "Form refused" in refused.text
        refused = client.post(f"/dashboard/charges/{pending}/void", data={**form, "reason": "other"})
        assert refused.status_code == 403
    # A token from before sign-in is worth nothing after it.
    client.cookies.clear()
    old_token = csrf_of(client.get("/dashboard/signin").text)
    sign_in(client, client.a)
    stale = client.post(f"/dashboard/charges/{settled}/refund", data={"csrf_token": old_token, "amount": "5.00"})
    assert stale.status_code == 403
    assert api_charge(client, client.a, settled)["amount_refunded"] == 0
    assert api_charge(client, client.a, pending)["status"] == "submitted_for_settlement"


def test_another_merchants_charge_is_not_found(client: Client) -> None:
    theirs_customer = customer_with_card(client, client.b, name="Private Person")
    theirs = charge(client, client.b, theirs_customer, 7700)
    pending = charge(client, client.b, theirs_customer, 8800)
    settle(client)
    mine = charge(client, client.a, customer_with_card(client, client.a), 1500)
    token = sign_in(client, client.a)

    for path in (f"/dashboard/charges/{theirs}/refund", f"/dashboard/charges/{pending}/void",
                 "/dashboard/charges/not-a-charge/refund", f"/dashboard/customers/{theirs_customer}"):
        response = client.get(path)
        assert response.status_code == 404 and "Not found" in response.text
        assert "Private Person" not in response.text and "$77.00" not in response.text
    # Even with a valid token of the signed-in merchant's own session.
    assert client.post(f"/dashboard/charges/{theirs}/refund", data={"csrf_token": token, "amount": "1.00"}
                       ).status_code == 404
    assert client.post(f"/dashboard/charges/{theirs}/void", data={"csrf_token": token, "reason": "fraudulent"}
                       ).status_code == 404
    listed = client.get("/dashboard/charges")
    assert f'id="charge-{mine}"' in listed.text and theirs not in listed.text and "$77.00" not in listed.text
    assert totals_of(listed.text)[0] == "$15.00"
    assert api_charge(client, client.b, theirs)["amount_refunded"] == 0


def test_pages_need_a_session(client: Client) -> None:
    for path in ("/dashboard/charges", "/dashboard/charges/x/refund"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and "/dashboard/signin?next=" in answer.headers["location"]


# ---------------------------------------------------------------------------- the charge list


@pytest.fixture
def history(client: Client) -> dict[str, Any]:
    """Charges over two days (clock frozen at noon UTC): refunded in part and in full, voided,
    pending, declined; and one of another merchant's that must never count."""
    ctx = client.app.state.ctx
    now = ctx.clock.now()
    first_noon = now - now % DAY + DAY + DAY // 2
    ctx.clock.freeze(first_noon)
    customer_id = customer_with_card(client, client.a)
    part = charge(client, client.a, customer_id, 1500)
    full = charge(client, client.a, customer_id, 2000)
    voided = charge(client, client.a, customer_id, 3000)
    assert client.post(f"/v1/charges/{voided}/void", headers=client.a.headers,
                       json={"reason": "duplicate"}).status_code == 201
    charge(client, client.b, customer_with_card(client, client.b), 99_900)
    ctx.clock.advance(2 * DAY)
    for charge_id, body in ((part, {"amount": 500}), (full, {})):
        assert client.post(f"/v1/charges/{charge_id}/refunds", headers=client.a.headers,
                           json=body).status_code == 201
    pending = charge(client, client.a, customer_id, 1000)
    declined_customer = customer_with_card(client, client.a, DECLINED_CARD, name="Dee Klined")
    declined = client.post("/v1/charges", headers=client.a.headers,
                           json={"amount": 1500, "currency": "usd", "customer_id": declined_customer})
    assert declined.status_code == 422 and declined.json()["data"]["status"] == "Declined"
    return {
        "part": part, "full": full, "voided": voided, "pending": pending, "declined": declined.json()["data"]["charge_id"],
        "first_day": datetime.fromtimestamp(first_noon, UTC).date().isoformat(),
        "last_day": datetime.fromtimestamp(first_noon + 2 * DAY, UTC).date().isoformat(),
    }


def listed_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="charge-([^"]+)">', html)


def test_the_charge_list_newest_first_with_totals(client: Client, history: dict[str, Any]) -> None:
    sign_in(client, client.a)
    home = client.get("/dashboard/customers")
    assert '<a href="/dashboard/charges">Charges</a>' in home.text  # in the navigation

    page = client.get("/dashboard/charges")
    assert page.status_code == 200
    h = history
    assert listed_ids(page.text) == [h["declined"], h["pending"], h["voided"], h["full"], h["part"]]
    assert "5 charges, page 1 of 1" in page.text
    # Captured leaves out the voided charge and the decline: 15 + 20 + 10; refunded 5 + 20.
    assert totals_of(page.text) == ("$45.00", "$25.00", "$20.00")
    statuses = {charge_id: text_of(row(page.text, charge_id)) for charge_id in listed_ids(page.text)}
    assert "Partially refunded" in statuses[h["part"]] and "$5.00 refunded" in statuses[h["part"]]
    assert "Refunded" in statuses[h["full"]] and "Voided" in statuses[h["voided"]]
    assert "Submitted for settlement" in statuses[h["pending"]] and "Declined" in statuses[h["declined"]]
    assert "Refund…" in statuses[h["part"]] and "Void…" in statuses[h["pending"]]
    assert "Refund…" not in statuses[h["full"]] and "Void…" not in statuses[h["declined"]]
    assert all("Visa ending 5439" in s for s in statuses.values() if s is not statuses[h["declined"]])
    assert VISA not in page.text


@pytest.mark.parametrize(("query", "expected", "totals"), [
    ({"status": "refunded"}, ["full"], ("$20.00", "$20.00", "$0.00")),
    ({"status": "partial_refund"}, ["part"], ("$15.00", "$5.00", "$10.00")),
    ({"status": "void"}, ["voided"], ("$0.00", "$0.00", "$0.00")),
    ({"status": "submitted_for_settlement"}, ["pending"], ("$10.00", "$0.00", "$10.00")),
    ({"status": "Declined"}, ["declined"], ("$0.00", "$0.00", "$0.00")),
    ({"status": "settled"}, [], ("$0.00", "$0.00", "$0.00")),
    ({"from_date": "last_day"}, ["declined", "pending"], ("$10.00", "$0.00", "$10.00")),
    ({"to_date": "first_day"}, ["voided", "full", "part"], ("$35.00", "$25.00", "$10.00")),
    ({"from_date": "first_day", "to_date": "first_day", "status": "refunded"}, ["full"],
     ("$20.00", "$20.00", "$0.00")),
])
def test_the_charge_list_filters_and_totals_what_it_shows(
    client: Client, history: dict[str, Any], query: dict[str, str], expected: list[str], totals: tuple[str, ...],
) -> None:
    query = {name: history.get(value, value) for name, value in query.items()}
    sign_in(client, client.a)
    page = client.get("/dashboard/charges", params=query)
    assert page.status_code == 200
    assert listed_ids(page.text) == [history[name] for name in expected]
    assert totals_of(page.text) == totals
    assert ("No charge matches." in page.text) == (not expected)
    # The filter stays chosen, and the API's own listing agrees with what the page shows.
    for name, value in query.items():
        assert f'value="{value}" selected' in page.text or f'name="{name}" type="date" value="{value}"' in page.text
    api = client.get("/v1/charges", headers=client.a.headers, params={**query, "limit": 100}).json()["data"]
    assert [c["id"] for c in api] == listed_ids(page.text)


def test_wrong_filters_are_explained(client: Client) -> None:
    sign_in(client, client.a)
    for query, message in [({"status": "lost"}, "The selected status is invalid."),
                           ({"from_date": "2024-13-01"}, "The from_date field must be a date in the format YYYY-MM-DD."),
                           ({"to_date": "yesterday"}, "The to_date field must be a date in the format YYYY-MM-DD."),
                           ({"page": "0"}, "The page field must be at least 1.")]:
        page = client.get("/dashboard/charges", params=query)
        assert page.status_code == 422 and f"<p>{message}</p>" in page.text


def test_the_charge_list_pages_and_totals_every_page(client: Client) -> None:
    customer_id = customer_with_card(client, client.a)
    made = [charge(client, client.a, customer_id, 100 + n) for n in range(27)]
    sign_in(client, client.a)
    first = client.get("/dashboard/charges")
    assert listed_ids(first.text) == made[::-1][:25]
    assert "27 charges, page 1 of 2" in first.text and 'rel="next"' in first.text
    total = sum(100 + n for n in range(27))
    expected = (f"${total // 100}.{total % 100:02d}", "$0.00", f"${total // 100}.{total % 100:02d}")
    assert totals_of(first.text) == expected
    second = client.get("/dashboard/charges", params={"page": "2"})
    assert listed_ids(second.text) == made[::-1][25:]
    assert totals_of(second.text) == expected  # the filtered set, not the page


def test_one_customers_charges_from_the_customer_page(client: Client) -> None:
    customer_id = customer_with_card(client, client.a)
    made = [charge(client, client.a, customer_id, 100 + n) for n in range(26)]
    other = charge(client, client.a, customer_with_card(client, client.a, name="Other Person"), 5000)
    sign_in(client, client.a)
    page = client.get(f"/dashboard/customers/{customer_id}")
    assert listed_ids(page.text) == made[::-1][:25]
    assert "Only the newest 25 are shown." in page.text
    link = re.search(r'href="([^"]*/dashboard/charges\?customer_id=[^"]+)"', page.text)
    assert link
    theirs = client.get(link.group(1))
    assert listed_ids(theirs.text) == made[::-1][:25] and "26 charges found, page 1 of 2" in theirs.text
    total = sum(100 + n for n in range(26))
    assert totals_of(theirs.text)[0] == f"${total // 100}.{total % 100:02d}" and other not in theirs.text
    # The customer filter stays on while filtering by status.
    assert f'<input type="hidden" name="customer_id" value="{customer_id}">' in theirs.text
    unknown = client.get("/dashboard/charges", params={"customer_id": "nobody"})
    assert listed_ids(unknown.text) == [] and totals_of(unknown.text) == ("$0.00", "$0.00", "$0.00")


def test_from_the_charge_list_a_refund_returns_to_it(client: Client) -> None:
    charge_id = charge(client, client.a, customer_with_card(client, client.a), 1500)
    settle(client)
    sign_in(client, client.a)
    listed = client.get("/dashboard/charges")
    link = re.search(r'href="([^"]+/refund\?return_to=charges)"', row(listed.text, charge_id))
    assert link
    confirm = client.get(link.group(1))
    assert "Refund $15.00?" in confirm.text  # what remains, by default
    done = client.post(f"/dashboard/charges/{charge_id}/refund", follow_redirects=False,
                       data={"csrf_token": csrf_of(confirm.text), "amount": "15.00", "return_to": "charges"})
    assert done.headers["location"].endswith("/dashboard/charges?notice=refunded")
    assert totals_of(client.get(done.headers["location"]).text) == ("$15.00", "$15.00", "$0.00")


# ---------------------------------------------------------------------------- in a browser



@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("dashboard-charges"), "--sandbox")
    yield server
    stop_server(server)


@pytest.fixture
def browser_page() -> Iterator[Page]:
    with chromium_page("dashboard-charges-end.png", height=800) as page:
        yield page


def test_browser_refund_part_of_a_charge_through_the_confirmation(
    browser_page: Page, sandbox_server: LiveServer,
) -> None:
    merchant = sandbox_server.merchant("Refunding Merchant")
    with httpx.Client(base_url=sandbox_server.url, headers=merchant.headers, timeout=10) as api:
        customer_id = api.post("/v1/customers", data={"name": "Ada Lovelace"}).json()["data"]["id"]
        token = api.post("/v1/tokens", data=card_form()).json()["data"]["id"]
        assert api.patch(f"/v1/customers/{customer_id}", data={"token_id": token}).status_code == 200
        made = api.post("/v1/charges", json={"amount": 1500, "currency": "usd", "customer_id": customer_id})
        assert made.status_code == 201, made.text
        charge_id = made.json()["data"]["id"]
        assert api.post("/_openarc/settle").json()["data"]["settled"] == 1

    page = browser_page
    page.goto(f"{sandbox_server.url}/dashboard")
    page.get_by_label("API key").fill(merchant.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    page.get_by_role("link", name="Ada Lovelace").click()

    charges = page.locator("section").filter(has=page.get_by_role("heading", name="Charges"))
    charge_row = charges.locator(f"#charge-{charge_id}")
    expect(charge_row).to_contain_text("$15.00")
    expect(charge_row).to_contain_text("Settled")
    expect(charge_row).to_contain_text("Visa ending 5439")
    amount = charge_row.get_by_label("Refund amount ($)")
    expect(amount).to_have_value("15.00")
    amount.fill("5.00")
    charge_row.get_by_role("button", name="Refund…").click()

    expect(page.get_by_role("heading", name="Refund $5.00?")).to_be_visible()
    page.get_by_role("button", name="Confirm refund").click()

    expect(page.get_by_role("status")).to_have_text("Refund made.")
    expect(charge_row).to_contain_text("Partially refunded")
    expect(charge_row).to_contain_text("$5.00 refunded")
    expect(charge_row.get_by_label("Refund amount ($)")).to_have_value("10.00")

    # Asking for more than remains: PayArc's refusal as a notice, and nothing moves.
    charge_row.get_by_label("Refund amount ($)").fill("50.00")
    charge_row.get_by_role("button", name="Refund…").click()
    page.get_by_role("button", name="Confirm refund").click()
    expect(page.get_by_role("alert")).to_have_text("Amount requested is not available for Refund")

    # The charge list, from the navigation: the totals of what it shows.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Charges").click()
    expect(page.locator("#total-captured")).to_have_text("$15.00")
    expect(page.locator("#total-refunded")).to_have_text("$5.00")
    expect(page.locator("#total-net")).to_have_text("$10.00")
    assert VISA not in page.content()
    with httpx.Client(base_url=sandbox_server.url, headers=merchant.headers, timeout=10) as api:
        read = api.get(f"/v1/charges/{charge_id}").json()["data"]
    assert (read["status"], read["amount_refunded"]) == ("partial_refund", 500)


def test_the_dashboard_reads_the_merchants_own_clock(client: Client) -> None:
    """The dashboard used the process's clock while the API used the merchant's: a charge the
    API called settled (the merchant had moved its sandbox clock) could be voided from the page."""
    customer_id = customer_with_card(client, client.a)
    charge_id = charge(client, client.a, customer_id, 2000)
    ctx = client.app.state.ctx
    merchant_a = accounts.ensure_account(ctx.db, client.a.name, now=ctx.clock.now())
    ctx.clock.advance(3 * DAY, merchant_a.id)  # as POST /_openarc/clock/advance does for merchant a
    assert api_charge(client, client.a, charge_id)["status"] == "settled"
    sign_in(client, client.a)
    page = client.get(f"/dashboard/charges/{charge_id}/void", params={"reason": "duplicate"})
    voided = client.post(f"/dashboard/charges/{charge_id}/void", follow_redirects=False,
                         data={"csrf_token": csrf_of(page.text), "reason": "duplicate", "return_to": "customer"})
    assert voided.status_code == 409  # refused: settled, as the API says
    assert api_charge(client, client.a, charge_id)["status"] == "settled"
