"""``/openapi.json`` and ``/docs``: a self-contained, interactive reference page.

Everything is served from here (no CDN): the page lists every operation from the
OpenAPI document, and a few lines of inline JavaScript let a reader send a request
with their own key and see the answer.  The page has a key input, so its
Content-Security-Policy allows that one script and that one stylesheet (by hash) and
requests to this origin, nothing else, and no other page may frame it.
"""

from __future__ import annotations

import base64
import hashlib
import html
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from openarc.api.openapi import document

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
h2{margin-top:2rem;border-bottom:1px solid #ccd}code,pre{font:13px ui-monospace,monospace;background:#f3f4f8}
pre{padding:.75rem;overflow:auto}.m{display:inline-block;min-width:4.5rem;font-weight:700}
table{border-collapse:collapse}td,th{border:1px solid #dde;padding:.2rem .5rem;text-align:left}
label{display:block;margin:.3rem 0}input,textarea{font:13px ui-monospace,monospace;width:100%;box-sizing:border-box}
#key{max-width:40rem}button{margin:.4rem 0;padding:.3rem 1rem}
"""

# Sends the form of one operation with the key typed at the top; shows status and body.  Forms
# are caught by one listener (the policy allows no inline handler such as onsubmit).
_SCRIPT = r"""
async function tryIt(form) {
  const out = form.querySelector('output');
  let path = form.dataset.path;
  for (const input of form.querySelectorAll('[data-param]')) {
    path = path.replace('{' + input.dataset.param + '}', encodeURIComponent(input.value));
  }
  const query = form.querySelector('[name=query]');
  if (query && query.value) path += '?' + query.value;
  const init = {method: form.dataset.method, headers: {'Accept': 'application/json'}};
  const key = document.getElementById('key').value.trim();
  if (key) init.headers['Authorization'] = 'Bearer ' + key;
  const body = form.querySelector('[name=body]');
  if (body && body.value.trim()) { init.body = body.value; init.headers['Content-Type'] = 'application/json'; }
  try {
    const answer = await fetch(path, init);
    const text = await answer.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
    out.textContent = answer.status + ' ' + answer.statusText + '\n' + shown;
  } catch (e) { out.textContent = String(e); }
}
document.addEventListener('submit', (event) => {
  const form = event.target.closest('form[data-method]');
  if (!form) return;
  event.preventDefault();
  tryIt(form);
});
"""


def _allowed(source: str) -> str:
    """A CSP source allowing exactly this inline ``<script>`` or ``<style>`` text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


#: The page runs its own script and style and talks to this origin; it loads nothing else, submits
#: no form (the script sends them), is never framed, and sends no Referer.
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src {_allowed(_SCRIPT)}; style-src {_allowed(_STYLE)}; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _try_form(method: str, path: str, params: list[dict], has_body: bool) -> str:
    fields = "".join(
        f"<label>{html.escape(p['name'])} <input data-param='{html.escape(p['name'])}' required></label>"
        for p in params if p["in"] == "path"
    )
    if any(p["in"] == "query" for p in params):
        fields += "<label>query string <input name=query placeholder='limit=25&amp;page=1'></label>"
    if has_body:
        fields += "<label>JSON body <textarea name=body rows=4>{}</textarea></label>"
    return (f"<details><summary>Try it</summary><form data-method='{method.upper()}' data-path='{html.escape(path)}' "
            f">{fields}<button>Send</button><pre><output></output></pre></form></details>")


def document_of(app: Starlette) -> dict[str, Any]:
    """The document of this app's routes, built once per app (routes are fixed once it serves).

    Not strict: a /v1 route nobody declared is left out and named in the document, not a
    500 here (tests/test_openapi.py builds it strictly and fails instead).
    """
    try:
        return app.state.openapi_document
    except AttributeError:
        app.state.openapi_document = built = document(app.routes, strict=False)
        return built


async def openapi_json(request: Request) -> Response:
    return Response(orjson.dumps(document_of(request.app)), media_type="application/json")


def _render(doc: dict[str, Any]) -> str:
    parts = [f"<h1>{html.escape(doc['info']['title'])} API {html.escape(doc['info']['version'])}</h1>",
             (f"<p>{html.escape(doc['info']['description'])} Machine-readable: <a href='/openapi.json'>/openapi.json</a>. "
              "Authenticate with <code>Authorization: Bearer &lt;key&gt;</code>; bodies may be JSON or form-encoded.</p>"),
             ("<label>Your API key (used by every <em>Try it</em> below, never stored) "
              "<input id=key type=password autocomplete=off placeholder='oa_sk_…'></label>")]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            parts.append(f"<h2 id='{op['operationId']}'><span class='m'>{method.upper()}</span><code>{html.escape(path)}</code></h2>")
            parts.append(f"<p>{html.escape(op['summary'])} (<code>{op['operationId']}</code>)</p>")
            if params:
                rows = "".join(f"<tr><td><code>{html.escape(p['name'])}</code></td><td>{p['in']}</td><td>{html.escape(p.get('description', ''))}</td></tr>" for p in params)
                parts.append(f"<table><tr><th>parameter</th><th>in</th><th></th></tr>{rows}</table>")
            codes = ", ".join(op["responses"])
            parts.append(f"<p>Responses: {codes}</p>")
            parts.append(_try_form(method, path, params, "requestBody" in op))
    fields = doc["components"]["schemas"]["CustomerInput"]["properties"]
    parts.append("<h2>Customer fields</h2><pre>" + html.escape(orjson.dumps(fields, option=orjson.OPT_INDENT_2).decode()) + "</pre>")
    return (f"<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>OpenArc API</title><style>{_STYLE}</style><script>{_SCRIPT}</script>"
            f"<body>{''.join(parts)}</body></html>")


async def docs_page(request: Request) -> Response:
    return HTMLResponse(_render(document_of(request.app)), headers=HEADERS)


_HOME = (
    "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
    "<title>OpenArc</title><body style='font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto'>"
    "<h1>OpenArc</h1><p>A PayArc-compatible API server. Point a PayArc client or SDK at this address "
    "with an API key.</p><ul>"
    "<li><a href='docs'>API reference</a> (and <a href='openapi.json'>openapi.json</a>)</li>"
    "<li><a href='dashboard'>Dashboard</a> (sign in with an API key)</li>"
    "<li><a href='healthz'>Health</a></li></ul></body>"
)
#: The home page loads nothing and runs nothing.
_HOME_HEADERS = {**HEADERS, "Content-Security-Policy": (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")}


async def home(request: Request) -> Response:
    """``/``: where to go from here (the API reference, the dashboard), not a JSON 404."""
    return HTMLResponse(_HOME, headers=_HOME_HEADERS)
