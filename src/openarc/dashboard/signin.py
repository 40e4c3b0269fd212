"""Signing in with an API key, and out."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from openarc import errors
from openarc.dashboard import session as cookie
from openarc.dashboard.pages import View, page, safe_next
from openarc.dashboard.session import Session
from openarc.services import sessions


@page(signed_in=False)
async def index(view: View) -> Response:
    return view.redirect("dashboard:customers")


@page(signed_in=False)
async def signin_form(view: View) -> Response:
    if view.session is not None and view.session.signed_in:
        try:
            await view.ctx.call(sessions.resume, view.ctx.db, view.session.nonce, now=cookie.now(),
                                used_at=view.ctx.clock.now())
            return view.redirect("dashboard:customers")
        except errors.Unauthenticated:
            pass
    fresh = view.session is None or view.session.signed_in
    if fresh:  # a signed-out nonce for the sign-in form's CSRF token
        view.session = Session.new()
    response = view.render("signin.html", next=view.request.query_params.get("next", ""))
    if fresh:
        assert view.session is not None
        view.sessions.write(view.request, response, view.session)
    return response


@page(signed_in=False)
async def signin(view: View) -> Response:
    had = view.session.nonce if view.session is not None and view.session.signed_in else None
    try:
        _account, token = await view.ctx.call(
            sessions.start, view.ctx.db, view.ctx.secrets.api_keys, view.form.get("api_key", ""),
            now=cookie.now(), used_at=view.ctx.clock.now(), replacing=had,
        )
    except errors.Unauthenticated:
        return view.render(
            "signin.html", 401, next=view.form.get("next", ""),
            error="That API key is not valid. Check it, or create one with: openarc keys create --account NAME",
        )
    target = safe_next(view, view.form.get("next", ""))
    response = RedirectResponse(target or view.url("dashboard:customers"), status_code=303)
    # A new token, made by the server at sign-in: a cookie planted before it is no session.
    view.sessions.write(view.request, response, Session(token, signed_in=True))
    return response


@page(signed_in=False)
async def signout(view: View) -> Response:
    if view.session is not None and view.session.signed_in:  # ended on the server: copies of the cookie too
        await view.ctx.call(sessions.end, view.ctx.db, view.session.nonce)
    response = view.redirect("dashboard:signin", {"notice": "signed_out"})
    view.sessions.clear(view.request, response)
    return response
