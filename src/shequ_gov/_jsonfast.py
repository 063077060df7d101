"""Writing the interchange format from columns: JSON text built column by column.

The output is exactly what ``json.dumps`` gives for :func:`shequ_gov._columns.community_dicts`
(compact separators, ``ensure_ascii=False``), but built from string fragments of whole columns,
walking the record declarations of ``_schema``, so writing the national dataset takes seconds.
``tests/test_dataset.py`` checks the equivalence.
"""

from __future__ import annotations

import json
from typing import Iterator

import numpy as np

from . import _columns as C
from . import _schema as S

_enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode

Frags = list  # per row: a ``"key":value`` fragment, or None where the value is missing


def _field_fragments(spec: S.Field, col: np.ndarray, strings: list[str] | None = None) -> Frags:
    head = f'"{spec.name}":'
    k = spec.kind
    if spec.numeric:
        vals = col.tolist()
        if k == "count":
            return [None if v != v else head + str(int(v)) for v in vals]
        if k == "quantity":
            return [None if v != v else head + (str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v))
                    for v in vals]
        return [None if v != v else head + repr(v) for v in vals]
    ints = col.tolist()
    if k == "bool":
        t, f = head + "true", head + "false"
        return [None if v < 0 else (t if v else f) for v in ints]
    if k == "enum":
        keys = [head + _enc(x) for x in (spec.vocab or ())]
        return [None if v < 0 else keys[v] for v in ints]
    if k == "key":
        keys = [head + _enc(x) for x in (strings or [])]
        return [keys[v] for v in ints]
    if k == "keyset":
        names = [_enc(x) for x in (spec.vocab or ())]
        table = {b: head + "[" + ",".join(nm for i, nm in enumerate(names) if b >> i & 1) + "]"
                 for b in np.unique(col).tolist()}
        return [table[v] for v in ints]
    return [None if v < 0 else head + str(v) for v in ints]


def _objects(parts: list[Frags], n: int) -> list[str | None]:
    """Per row, ``{a,b,…}`` of the non-missing fragments (None when there are none)."""
    out: list[str | None] = []
    for j in range(n):
        items = [p[j] for p in parts if p[j] is not None]
        out.append("{" + ",".join(items) + "}" if items else None)
    return out


def _group_fragments(g: S.Group, cols: dict[str, np.ndarray], lo: int, hi: int, prefix: str) -> Frags:
    path = prefix + g.name + "."
    parts: list[Frags] = []
    for m in g.record.members:
        if isinstance(m, S.Group):
            parts.append(_group_fragments(m, cols, lo, hi, path))
        else:
            parts.append(_field_fragments(m, cols[path + m.name][lo:hi]))
    head = f'"{g.name}":'
    return [None if o is None else head + o for o in _objects(parts, hi - lo)]


def _grouped(records: list[str], offsets: np.ndarray, lo: int, hi: int) -> list[str]:
    """Per owner row lo..hi-1: its records joined as a JSON list body."""
    off = (offsets[lo:hi + 1] - offsets[lo]).tolist()
    return ["[" + ",".join(records[off[j]:off[j + 1]]) + "]" for j in range(hi - lo)]


def _child_records(st: C.Store, name: str, a: int, b: int) -> list[str]:
    """The JSON text of rows a..b-1 of child table *name*."""
    if name in S.TAGS:
        child = st.tags[name]
        names = [_enc(k) for k in (child.strings or [])]
        return [names[k] for k in child.cols["key"][a:b].tolist()]
    child = getattr(st, name)
    parts: list[Frags] = []
    for m in S.CHILDREN[name].record.members:
        if isinstance(m, S.Field):
            parts.append(_field_fragments(m, child.cols[m.name][a:b], child.strings))
        elif isinstance(m, S.YearMap):
            t = getattr(st, m.name)
            ta, tb = int(t.offsets[a]), int(t.offsets[b])
            vals = [_enc(k) for k in (m.field.vocab or ())]
            items = [f'"{y}":{vals[v]}' for y, v in zip(t.cols["year"][ta:tb].tolist(),
                                                        t.cols[m.field.name][ta:tb].tolist())]
            off = (t.offsets[a:b + 1] - ta).tolist()
            head = f'"{m.name}":{{'
            parts.append([head + ",".join(items[off[i]:off[i + 1]]) + "}" if off[i + 1] > off[i] else None
                          for i in range(b - a)])
    return [o or "{}" for o in _objects(parts, b - a)]


def community_lines(st: C.Store, lo: int, hi: int) -> list[str]:
    """The JSON text of communities lo..hi-1, one object each, keys in Community field order."""
    cm = st.communities
    n = hi - lo
    codes = [f'{{"code":"{c:012d}","name":' for c in cm["code"][lo:hi].tolist()]
    names = [_enc(x) for x in cm["name"][lo:hi].tolist()]
    rcode = st.regions["code"]
    parents = [f',"parent":"{c:012d}"' for c in rcode[cm["parent"][lo:hi]].tolist()] if len(rcode) else [""] * n
    order: list[Frags] = []
    for m in S.COMMUNITY.members[3:]:
        if isinstance(m, S.Field):
            order.append(_field_fragments(m, cm[m.name][lo:hi]))
        elif isinstance(m, S.Group):
            order.append(_group_fragments(m, cm, lo, hi, ""))
        else:
            child = st.tags[m.name] if m.name in S.TAGS else getattr(st, m.name)
            a, b = int(child.offsets[lo]), int(child.offsets[hi])
            bodies = _grouped(_child_records(st, m.name, a, b), child.offsets, lo, hi)
            known = cm[f"known.{m.name}"][lo:hi].tolist()
            head = f'"{m.name}":'
            order.append([head + bodies[j] if known[j] else None for j in range(n)])
    out = []
    for j in range(n):
        parts = [codes[j] + names[j] + parents[j]]
        for col in order:
            v = col[j]
            if v is not None:
                parts.append(v)
        out.append(",".join(parts) + "}")
    return out


def chunks(st: C.Store, step: int = 50_000) -> Iterator[str]:
    """The communities' JSON, one per line, in chunks (each chunk starts with a newline)."""
    first = True
    for lo in range(0, st.n_communities, step):
        hi = min(lo + step, st.n_communities)
        lines = community_lines(st, lo, hi)
        yield ("" if first else ",") + "\n" + ",\n".join(lines)
        first = False
