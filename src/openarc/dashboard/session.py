"""The dashboard's session cookie and its CSRF tokens.

The cookie is signed (itsdangerous, under a key derived from the installation secret),
``HttpOnly`` (no script can read it), ``SameSite=Strict`` (no other site's page can make
the browser send it) and scoped to ``/dashboard``.  It holds a random nonce; once signed in,
the nonce is the token of a session kept on the server (``services.sessions``: the database
has only its hash).  Every request looks that session up with the API key it was made with,
so signing out, revoking the key or the expiry ends it at once, copies of the cookie included.
A stolen cookie is not an API key, and holds nothing of one.

Every form carries ``csrf_token`` = HMAC(nonce) under a second derived key; a POST whose
token does not match the cookie's nonce is refused.  Signing in replaces the nonce, so a
token seen before sign-in (or a planted cookie) is worth nothing afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from openarc.dashboard.urls import path_for
from openarc.services.sessions import LIFETIME

COOKIE = "openarc_dashboard"
#: A form that arrived after its session ended: where it was going and what was typed, until sign-in.
KEPT_COOKIE = "openarc_dashboard_kept"
#: How long a kept form waits for its sign-in.
KEPT_MAX_AGE = 3600
#: Browsers keep cookies of 4,096 bytes; a kept form larger than this is not kept (a customer's
#: fields, each at most 50 characters, take a few hundred).
KEPT_MAX_BYTES = 3500
#: The cookie's signature expires with the session it names (which the server also ends then).
MAX_AGE = LIFETIME


@dataclass(frozen=True, slots=True)
class Session:
    #: Random; once signed in, the token of the server's session (``services.sessions``).
    nonce: str
    signed_in: bool = False

    @classmethod
    def new(cls) -> Session:
        """A signed-out nonce: what the sign-in form's CSRF token is made from."""
        return cls(secrets.token_urlsafe(24))


def now() -> int:
    """What sessions are timed by: the wall clock, not the sandbox's movable one."""
    return int(time.time())


class Sessions:
    def __init__(self, signing_key: bytes, csrf_key: bytes) -> None:
        self._serializer = URLSafeTimedSerializer(signing_key, salt="openarc.dashboard.session")
        self._kept = URLSafeTimedSerializer(signing_key, salt="openarc.dashboard.kept")
        self._csrf_key = csrf_key

    def read(self, request: Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        aged = False
        try:
            data = self._serializer.loads(raw, max_age=MAX_AGE)
        except SignatureExpired:
            # Ours, but older than any session: no longer signed in.  Its nonce still proves
            # that a form posted with it came from this dashboard, so what was typed is kept
            # (pages._kept) rather than refused as a forgery.
            aged = True
            try:
                data = self._serializer.loads(raw)
            except BadSignature:
                return None
        except BadSignature:  # forged or tampered with
            return None
        if not isinstance(data, dict) or not isinstance(data.get("n"), str):
            return None
        return Session(data["n"], data.get("s") is True and not aged)

    def write(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self._serializer.dumps({"n": session.nonce, "s": True} if session.signed_in else {"n": session.nonce}),
            path=_path(request),
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )

    def clear(self, request: Request, response: Response) -> None:
        response.delete_cookie(
            COOKIE, path=_path(request), httponly=True, samesite="strict", secure=_secure(request)
        )

    def keep(self, request: Request, response: Response, path: str, values: dict[str, str]) -> bool:
        """Remember a form's ``values`` and ``path`` (signed, for an hour) for after sign-in;
        False when they are too large to keep."""
        value = self.kept_value(path, values)
        if len(value) > KEPT_MAX_BYTES:
            return False
        response.set_cookie(KEPT_COOKIE, value, max_age=KEPT_MAX_AGE, path=_path(request), httponly=True,
                            samesite="strict", secure=_secure(request))
        return True

    def kept_value(self, path: str, values: dict[str, str]) -> str:
        """The kept cookie's value: ``path`` and ``values``, signed."""
        return self._kept.dumps({"p": path, "v": values})

    def kept(self, request: Request) -> tuple[str, dict[str, str]] | None:
        """The (path, values) of a kept form, if one waits."""
        raw = request.cookies.get(KEPT_COOKIE)
        if not raw:
            return None
        try:
            data = self._kept.loads(raw, max_age=KEPT_MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("p"), str) or not isinstance(data.get("v"), dict):
            return None
        return data["p"], {str(k): v for k, v in data["v"].items() if isinstance(v, str)}

    def forget_kept(self, request: Request, response: Response) -> None:
        response.delete_cookie(KEPT_COOKIE, path=_path(request), httponly=True, samesite="strict",
                               secure=_secure(request))

    def csrf_token(self, session: Session) -> str:
        return hmac.new(self._csrf_key, session.nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session | None, token: str | None) -> bool:
        if session is None or not token:
            return False
        return hmac.compare_digest(self.csrf_token(session), token)


def _secure(request: Request) -> bool:
    """Mark the cookie ``Secure`` when the browser reached us over https, directly or through a
    TLS-terminating proxy.  Trusting the forwarded header is safe here: it can only make the
    cookie stricter (a liar gets a cookie their own browser will not send back over http)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _path(request: Request) -> str:
    """``/dashboard``, behind whatever prefix the app is served under."""
    return path_for(request, "dashboard_index")
