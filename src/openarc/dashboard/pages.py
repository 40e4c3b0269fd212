"""The machinery every dashboard page runs on; the pages themselves are in the modules
named after what they show (``signin``, ``customers``, ``charges``).

Each handler is wrapped by ``page``, which reads the session, refuses a POST without
a valid CSRF token (403) before anything else happens (a form cut short is a 400),
resolves the merchant from the server's session on every request (signed out, expired
or its key revoked: it has ended), and turns ``errors.*`` into HTML error pages.  The ``/v1`` API knows nothing of any of this: it reads only
``Authorization: Bearer``.  A handler parses, makes one service call and renders.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import pass_context
from markupsafe import Markup
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from openarc import errors
from openarc.context import AppContext
from openarc.dashboard import forms
from openarc.dashboard import session as cookie
from openarc.dashboard.session import Session, Sessions
from openarc.dashboard.urls import path_for
from openarc.services import sessions
from openarc.services.accounts import Account
from openarc.services.installation import Secrets

log = logging.getLogger("openarc.dashboard")

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

#: The dashboard's one script (copy buttons), inlined where a page needs it and allowed by
#: its hash: the policy lets exactly this text run, and nothing else (no file, no handler).
COPY_SCRIPT = (Path(__file__).parent / "static" / "copy.js").read_text(encoding="utf-8")
_COPY_SCRIPT_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(COPY_SCRIPT.encode()).digest()).decode() + "'"

templates.env.globals.update(
    FIELDS=forms.FIELDS, HINTS=forms.HINTS, BRANDS=forms.BRANDS, STATUS_LABELS=forms.STATUS_LABELS,
    STATUS_FILTER=forms.STATUS_FILTER, dollars=forms.dollars, plain_dollars=forms.plain_dollars,
    thousands=forms.thousands, COPY_SCRIPT=Markup(COPY_SCRIPT),  # our own file, never escaped (its hash is allowed)
)


@pass_context
def _url_for(context: dict[str, Any], name: str, /, **params: object) -> str:
    """Templates' ``url_for``: a path, never a URL made of the Host header (see dashboard.urls)."""
    return path_for(context["request"], name, **params)


templates.env.globals["url_for"] = _url_for

#: Every asset is ours (no CDN, no inline style, no script but the copy buttons' by its hash);
#: pages are never framed or cached.
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src {_COPY_SCRIPT_HASH}; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

#: Messages a redirect may ask a page to show (by code, so nothing from the URL is echoed).
NOTICES = {
    "created": "Customer created.",
    "saved": "Changes saved.",
    "deleted": "Customer deleted.",
    "signed_out": "You have signed out.",
    "ended": "Your session has ended. Sign in again.",
    "refunded": "Refund made.",
    "voided": "Charge voided.",
    "card_default": "Default card changed.",
    "card_deleted": "Card deleted.",
    "bank_account_deleted": "Bank account deleted.",
    "kept": "Your session has ended. Sign in again: what you typed in the form is kept.",
}

STATUS: dict[type[errors.OpenArcError], tuple[int, str]] = {
    errors.BadRequest: (400, "Bad request"),
    errors.NotFound: (404, "Not found"),
    errors.RequestTimeout: (408, "Too slow"),
    errors.Conflict: (409, "Conflict"),
    errors.TooLarge: (413, "Too large"),
    errors.UnsupportedMediaType: (415, "Unsupported form encoding"),
}


@lru_cache(maxsize=8)
def _sessions(root: bytes) -> Sessions:
    secrets = Secrets(root)
    return Sessions(secrets.derive("dashboard-session"), secrets.derive("dashboard-csrf"))


@dataclass
class View:
    """What a handler gets: the request, the app context, the session and the merchant."""

    request: Request
    ctx: AppContext
    sessions: Sessions
    session: Session | None
    account: Account | None = None
    form: dict[str, str] = field(default_factory=dict)

    @property
    def merchant(self) -> Account:
        assert self.account is not None
        return self.account

    def now(self) -> int:
        """The merchant's time: its sandbox clock where it moved it, as the API reads it."""
        return self.ctx.clock.now(self.merchant.id)

    async def call(self, fn: Callable[..., Any], /, *args: object, **kwargs: object) -> Any:
        return await self.ctx.call(fn, self.ctx.db, *args, **kwargs)

    def url(self, name: str, query: dict[str, str] | None = None, **params: str) -> str:
        url = path_for(self.request, name, **params)
        return f"{url}?{urlencode(query)}" if query else url

    def render(self, template: str, status: int = 200, **context: object) -> Response:
        notice = NOTICES.get(self.request.query_params.get("notice", ""))
        values = {
            "account": self.account,
            "csrf_token": self.sessions.csrf_token(self.session) if self.session else "",
            "notice": notice,
            **context,
        }
        return templates.TemplateResponse(self.request, template, values, status_code=status)

    def redirect(self, name: str, query: dict[str, str] | None = None, **params: str) -> Response:
        return RedirectResponse(self.url(name, query, **params), status_code=303)


Handler = Callable[[View], Awaitable[Response]]


def error_page(view: View, status: int, title: str, message: str) -> Response:
    return view.render("error.html", status, title=title, message=message)


def page(
    *, signed_in: bool = True, keeps: tuple[str, ...] = (),
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """``keeps``: the fields of a form worth keeping when it arrives after its session ended
    (see ``_kept``); any other post then sends the user to sign in, as a page does."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            ctx = request.app.state.ctx
            sessions = _sessions(ctx.secrets.root)
            view = View(request, ctx, sessions, sessions.read(request))
            response = await _run(view, handler, signed_in, keeps)
            response.headers.update(HEADERS)
            return response

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


async def _run(view: View, handler: Handler, signed_in: bool, keeps: tuple[str, ...] = ()) -> Response:
    try:
        if view.request.method == "POST":
            try:
                view.form = await forms.read_form(view.request, view.ctx.settings.max_body_bytes)
            except ClientDisconnect:
                # The client went away before its body was whole (it closed the connection, or
                # its Content-Length promised more): nothing of ours failed, and nobody is left
                # to read an answer but a proxy, which gets a 400.
                log.info("form cut short on %s %s", view.request.method, view.request.scope["path"])
                return error_page(view, 400, "Bad request", "The form arrived incomplete. Send it again.")
            # Before anything else: a post that did not come from our own form changes nothing.
            if not view.sessions.csrf_ok(view.session, view.form.get("csrf_token")):
                return error_page(
                    view, 403, "Form refused",
                    "This form has expired or did not come from this dashboard. Go back, reload the page and "
                    "try again.",
                )
        if signed_in:
            if view.session is None or not view.session.signed_in:
                if keeps and view.request.method == "POST":  # signed out in another tab (its CSRF token held)
                    return _kept(view, keeps)
                return view.redirect("dashboard:signin", _next(view.request))
            try:
                view.account = await view.ctx.call(
                    sessions.resume, view.ctx.db, view.session.nonce, now=cookie.now(), used_at=view.ctx.clock.now())
            except errors.Unauthenticated:  # signed out (a copied cookie), expired, or the key was revoked
                if keeps and view.request.method == "POST":
                    return _kept(view, keeps)
                response = view.redirect("dashboard:signin", {"notice": "ended"})
                view.sessions.clear(view.request, response)
                return response
        return await handler(view)
    except Exception as exc:
        found = errors.nearest(STATUS, exc) if isinstance(exc, errors.OpenArcError) else None
        if found is not None:
            status, title = found
            return error_page(view, status, title, exc.message or "That page does not exist.")  # type: ignore[attr-defined]
        # Logged with its traceback for the operator; the page says only that it failed.
        log.exception("unhandled error on %s %s", view.request.method, view.request.scope["path"])
        return error_page(view, 500, "Something went wrong", "The server failed to handle this request.")


def _kept(view: View, keeps: tuple[str, ...]) -> Response:
    """A form that came from this dashboard (its CSRF token matched) after its session ended:
    nothing is done; what was typed and where it was going are kept in a signed cookie for an
    hour (``Sessions.keep``), and the browser goes to sign in.  Signing in shows the form again,
    filled in, to send once checked (``signin.signin``): nothing is sent on the user's behalf."""
    kept = {name: view.form[name] for name in keeps if name in view.form}
    response = view.redirect("dashboard:signin", {"notice": "kept"})
    if not view.sessions.keep(view.request, response, view.request.scope["path"], kept):
        response = view.redirect("dashboard:signin", {"notice": "ended"})
    if view.session is not None and view.session.signed_in:  # the ended session's cookie
        view.sessions.clear(view.request, response)
    return response


def _next(request: Request) -> dict[str, str]:
    if request.method != "GET":
        return {}
    # From the scope, not ``request.url``, which is parsed out of a string that starts with the Host header.
    path: str = request.scope["path"]
    query = request.scope.get("query_string", b"").decode("latin-1")
    target = quote(path) + (f"?{query}" if query else "")
    return {"next": target}


def safe_next(view: View, target: str) -> str | None:
    """Only a path inside the dashboard: never another host (no open redirect)."""
    base = path_for(view.request, "dashboard_index") + "/"
    if target.startswith(base) and "\\" not in target and "//" not in target and target.isprintable():
        return target
    return None


@page(signed_in=False)
async def not_found(view: View) -> Response:
    return error_page(view, 404, "Not found", "That page does not exist.")
