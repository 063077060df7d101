"""Human-readable renderings of the OpenAPI document: an HTML page (``GET /docs``) and reStructuredText
for the Sphinx docs. Both are plain text built from the spec: no script, nothing loaded from elsewhere.
"""

from __future__ import annotations

import html
import json
from typing import Any, Iterator

__all__ = ["html_page", "rst_reference"]

_REF = "#/components/schemas/"


def _type(s: dict[str, Any]) -> str:
    """A short type expression for a schema (``Dataset``, ``array of Finding``, ``number | string``…)."""
    if "$ref" in s:
        return s["$ref"][len(_REF):]
    if "anyOf" in s:
        t = " | ".join(_type(x) for x in s["anyOf"])
    elif s.get("type") == "array":
        t = f"array of {_type(s.get('items', {}))}"
    elif "enum" in s:
        t = " | ".join(json.dumps(v, ensure_ascii=False) for v in s["enum"])
    elif s.get("type") == "object" and isinstance(s.get("additionalProperties"), dict) and not s.get("properties"):
        t = f"object of {_type(s['additionalProperties'])}"
    else:
        t = s.get("type", "any")
        if "minimum" in s or "maximum" in s:
            t += f" [{s.get('minimum', '')}..{s.get('maximum', '')}]"
    return t + (" | null" if s.get("nullable") else "")


def _fields(schema: dict[str, Any]) -> Iterator[tuple[str, str, bool, str]]:
    req = set(schema.get("required", ()))
    for name, s in schema.get("properties", {}).items():
        yield name, _type(s), name in req, s.get("description", "")


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def _body_ref(op: dict[str, Any]) -> str | None:
    rb = op.get("requestBody")
    return _type(rb["content"]["application/json"]["schema"]) if rb else None


def _responses(op: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = []
    for code, r in op["responses"].items():
        content = r.get("content", {}).get("application/json")
        out.append((code, _type(content["schema"]) if content else "", r["description"]))
    return out


def html_page(spec: dict[str, Any]) -> str:
    """The reference page served at ``/docs``."""
    e = html.escape
    names = spec["components"]["schemas"]

    def link(t: str) -> str:
        last = t.split()[-1] if t else ""
        return e(t[: len(t) - len(last)]) + (f"<a href='#{e(last)}'>{e(last)}</a>" if last in names else e(last))

    parts = [f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{e(spec['info']['title'])}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}code,td{font-size:90%}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
             "h3{margin-top:2em}</style></head><body>",
             f"<h1>{e(spec['info']['title'])} {e(spec['info']['version'])}</h1><p>{e(spec['info']['description'])}</p>",
             "<p>The machine-readable description: <a href='/openapi.json'>/openapi.json</a> (OpenAPI "
             f"{e(spec['openapi'])}).</p><h2>Endpoints / 接口</h2>"]
    for method, path, op in _operations(spec):
        parts.append(f"<h3 id='{e(op['operationId'])}'><code>{method} {e(path)}</code> — {e(op['summary'])}</h3>")
        params = op.get("parameters", [])
        if params:
            parts.append("<p>Parameters: " + ", ".join(f"<code>{e(p['name'])}</code> ({e(p['in'])})"
                                                        for p in params) + "</p>")
        body = _body_ref(op)
        if body:
            parts.append(f"<p>Body: <a href='#{e(body)}'>{e(body)}</a></p>")
        parts.append("<table><tr><th>status</th><th>body</th><th>when</th></tr>" + "".join(
            f"<tr><td>{c}</td><td>{link(t)}</td><td>{e(d)}</td></tr>" for c, t, d in _responses(op)) + "</table>")
    parts.append("<h2>Schemas / 数据结构</h2>")
    for name, schema in spec["components"]["schemas"].items():
        parts.append(f"<h3 id='{e(name)}'>{e(name)}</h3><p>{e(schema.get('description', ''))}</p>")
        rows = list(_fields(schema))
        if rows:
            parts.append("<table><tr><th>field</th><th>type</th><th>required</th><th>meaning</th></tr>" + "".join(
                f"<tr><td><code>{e(n)}</code></td><td>{e(t)}</td><td>{'yes' if r else ''}</td><td>{e(d)}</td></tr>"
                for n, t, r, d in rows) + "</table>")
    parts.append("</body></html>")
    return "".join(parts)


def _cell(text: str) -> str:
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").split()) or "\\-"


def rst_reference(spec: dict[str, Any]) -> str:
    """The endpoints and schemas of *spec* as a reStructuredText section (for the Sphinx docs)."""
    out = [f"Endpoints (OpenAPI {spec['openapi']})", "-" * 40, ""]
    for method, path, op in _operations(spec):
        out += [f"``{method} {path}``", "   " + op["summary"], ""]
        body = _body_ref(op)
        if body:
            out += [f"   Body: :ref:`{body} <schema-{body}>`.", ""]
        for code, t, d in _responses(op):
            out.append(f"   - **{code}** {('— ' + t) if t else ''}: {d}")
        out.append("")
    out += ["Schemas", "-------", ""]
    for name, schema in spec["components"]["schemas"].items():
        out += [f".. _schema-{name}:", "", name, "~" * len(name), ""]
        if schema.get("description"):
            out += [" ".join(schema["description"].split()), ""]
        rows = list(_fields(schema))
        if rows:
            out += [".. list-table::", "   :header-rows: 1", "   :widths: 20 25 8 47", "",
                    "   * - field", "     - type", "     - required", "     - meaning"]
            for n, t, r, d in rows:
                out += [f"   * - ``{n}``", f"     - {_cell(t)}", f"     - {'yes' if r else ''}", f"     - {_cell(d)}"]
            out.append("")
    return "\n".join(out) + "\n"
