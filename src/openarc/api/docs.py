"""``/openapi.json`` and ``/docs``: a self-contained reference page (no CDN, no JavaScript)."""

from __future__ import annotations

import html

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from openarc.api.openapi import document

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
h2{margin-top:2rem;border-bottom:1px solid #ccd}code,pre{font:13px ui-monospace,monospace;background:#f3f4f8}
pre{padding:.75rem;overflow:auto}.m{display:inline-block;min-width:4.5rem;font-weight:700}
table{border-collapse:collapse}td,th{border:1px solid #dde;padding:.2rem .5rem;text-align:left}
"""


async def openapi_json(_request: Request) -> Response:
    return Response(orjson.dumps(document()), media_type="application/json")


def _render() -> str:
    doc = document()
    parts = [f"<h1>{html.escape(doc['info']['title'])} API {html.escape(doc['info']['version'])}</h1>",
             (f"<p>{html.escape(doc['info']['description'])} Machine-readable: <a href='/openapi.json'>/openapi.json</a>. "
              "Authenticate with <code>Authorization: Bearer &lt;key&gt;</code>; bodies may be JSON or form-encoded.</p>")]
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
    fields = doc["components"]["schemas"]["CustomerInput"]["properties"]
    parts.append("<h2>Customer fields</h2><pre>" + html.escape(orjson.dumps(fields, option=orjson.OPT_INDENT_2).decode()) + "</pre>")
    return f"<!doctype html><html lang=en><meta charset=utf-8><title>OpenArc API</title><style>{_STYLE}</style><body>{''.join(parts)}</body></html>"


async def docs_page(_request: Request) -> Response:
    return HTMLResponse(_render())
