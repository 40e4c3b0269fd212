"""Signing in with an API key, and out."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from openarc import errors
from openarc.dashboard import customers
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
        account, token = await view.ctx.call(
            sessions.start, view.ctx.db, view.ctx.secrets.api_keys, view.form.get("api_key", ""),
            now=cookie.now(), used_at=view.ctx.clock.now(), replacing=had,
        )
    except errors.Unauthenticated:
        return view.render(
            "signin.html", 401, next=view.form.get("next", ""),
            error="That API key is not valid. Check it, or create one with: openarc keys create --account NAME",
        )
    # A new token, made by the server at sign-in: a cookie planted before it is no session.
    view.session, view.account = Session(token, signed_in=True), account
    response: Response | None = None
    kept = view.sessions.kept(view.request)  # a form sent after its session ended (pages._kept)
    if kept is not None and safe_next(view, kept[0]):
        # The form again, filled in with what was typed, under the new session's CSRF token.
        response = await customers.refill(view, *kept)
    if response is None:
        target = safe_next(view, view.form.get("next", ""))
        response = RedirectResponse(target or view.url("dashboard:customers"), status_code=303)
    if kept is not None:
        view.sessions.forget_kept(view.request, response)
    view.sessions.write(view.request, response, view.session)
    return response


@page(signed_in=False)
async def signout(view: View) -> Response:
    if view.session is not None and view.session.signed_in:  # ended on the server: copies of the cookie too
        await view.ctx.call(sessions.end, view.ctx.db, view.session.nonce)
    response = view.redirect("dashboard:signin", {"notice": "signed_out"})
    if view.session is not None:
        # Signed out, keeping the nonce: it names no session any more (sign-in makes a new
        # one), but a form left open in another tab still carries its CSRF token, so that
        # form's typed values are kept for after sign-in (pages._kept) instead of refused.
        view.sessions.write(view.request, response, Session(view.session.nonce))
    else:
        view.sessions.clear(view.request, response)
    view.sessions.forget_kept(view.request, response)
    return response
