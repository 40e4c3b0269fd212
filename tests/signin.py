"""Signing a test client in to the dashboard, and the CSRF token its forms carry."""

from __future__ import annotations

import re

from conftest import Client, Merchant


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: Client, merchant: Merchant) -> str:
    """Sign the client's cookie jar in as ``merchant``; the CSRF token of its forms."""
    client.cookies.clear()
    form = client.get("/dashboard/signin")
    signed_in = client.post("/dashboard/signin", data={"api_key": merchant.key, "csrf_token": csrf_of(form.text)})
    assert signed_in.status_code == 200 and f"Signed in as <strong>{merchant.name}</strong>" in signed_in.text
    return csrf_of(signed_in.text)
