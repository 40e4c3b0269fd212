"""Signing in with an API key, and out."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from openarc import errors
from openarc.dashboard.pages import View, page, safe_next
from openarc.dashboard.session import Session
from openarc.services import accounts


@page(signed_in=False)
async def index(view: View) -> Response:
    return view.redirect("dashboard:customers")


@page(signed_in=False)
async def signin_form(view: View) -> Response:
    if view.session is not None and view.session.digest is not None:
        try:
            await view.ctx.call(accounts.account_of_digest, view.ctx.db, view.session.digest, now=view.ctx.clock.now())
            return view.redirect("dashboard:customers")
        except errors.Unauthenticated:
            pass
    fresh = view.session is None or view.session.digest is not None
    if fresh:  # a signed-out nonce for the sign-in form's CSRF token
        view.session = Session.new()
    response = view.render("signin.html", next=view.request.query_params.get("next", ""))
    if fresh:
        assert view.session is not None
        view.sessions.write(view.request, response, view.session)
    return response


@page(signed_in=False)
async def signin(view: View) -> Response:
    try:
        _account, digest = await view.ctx.call(
            accounts.sign_in, view.ctx.db, view.ctx.secrets.api_keys, view.form.get("api_key", ""),
            now=view.ctx.clock.now(),
        )
    except errors.Unauthenticated:
        return view.render(
            "signin.html", 401, next=view.form.get("next", ""),
            error="That API key is not valid. Check it, or create one with: openarc keys create --account NAME",
        )
    target = safe_next(view, view.form.get("next", ""))
    response = RedirectResponse(target or view.url("dashboard:customers"), status_code=303)
    view.sessions.write(view.request, response, Session.new(digest))  # a new nonce: no session fixation
    return response


@page(signed_in=False)
async def signout(view: View) -> Response:
    response = view.redirect("dashboard:signin", {"notice": "signed_out"})
    view.sessions.clear(view.request, response)
    return response
