"""Writing the interchange format from columns: JSON text built column by column.

The output is exactly what ``json.dumps`` gives for :func:`shequ_gov._columns.community_dicts`
(compact separators, ``ensure_ascii=False``), but built from string fragments of whole columns,
walking the record declarations of ``_schema``, so writing the national dataset takes seconds.
``tests/test_dataset.py`` checks the equivalence.

Each field of a record becomes one list of fragments, ``,"key":value`` (with its leading comma)
or ``""`` where the value is missing; a record is then the concatenation of its fragments,
made for every row at once by ``map("".join, zip(...))`` (no Python code per row and field).
Values are formatted by whole columns: vocabulary keys, flags and small integers by table
lookup in numpy, numbers by ``map(str, …)`` / ``map(repr, …)``.
"""

from __future__ import annotations

import json
import math
from itertools import repeat
from typing import Iterator

import numpy as np

from . import _columns as C
from . import _schema as S

_enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode

Frags = list  # per row: a ``,"key":value`` fragment, or "" where the value is missing


def _lookup(table: list[str], index: np.ndarray) -> list[str]:
    """``table[i]`` for each index, in C (an object array taken by numpy)."""
    return np.array(table, dtype=object)[index].tolist() if len(index) else []


def _numbers(spec: S.Field, col: np.ndarray, head: str) -> Frags:
    """Fragments of a numeric column: whole counts as integers, quantities as integers when whole
    (below 2**53) and as ``repr`` otherwise, shares as ``repr``; NaN is missing. Each distinct
    value (by its bits, so ``-0.0`` stays itself) is formatted once and looked up by numpy."""
    if not len(col):
        return []
    bits, inverse = np.unique(np.ascontiguousarray(col, dtype=np.float64).view(np.int64), return_inverse=True)
    share, count = spec.kind == "share", spec.kind == "count"

    def fmt(v: float) -> str:
        if v != v:
            return ""
        if (not share and abs(v) < 2**53 and v == math.floor(v)) or count:
            return head + str(int(v))  # (a count this large is still written whole)
        return head + repr(v)

    return _lookup(list(map(fmt, bits.view(np.float64).tolist())), inverse.reshape(-1))


def _field_fragments(spec: S.Field, col: np.ndarray, strings: list[str] | None = None, sep: str = ",") -> Frags:
    """Fragments of a column: ``sep"key":value``, or "" where the value is missing."""
    head = f'{sep}"{spec.name}":'
    k = spec.kind
    if spec.numeric:
        return _numbers(spec, col, head)
    ints = col.astype(np.int64)
    if k == "bool":
        return _lookup(["", head + "false", head + "true"], ints + 1)
    if k == "enum":
        return _lookup([""] + [head + _enc(x) for x in (spec.vocab or ())], ints + 1)
    if k == "key":
        return _lookup([head + _enc(x) for x in (strings or [])], ints)
    if k == "keyset":
        names = [_enc(x) for x in (spec.vocab or ())]
        values = np.unique(ints)
        table = {b: head + "[" + ",".join(nm for i, nm in enumerate(names) if b >> i & 1) + "]"
                 for b in values.tolist()}
        return _lookup([table[b] for b in values.tolist()], np.searchsorted(values, ints))
    # int: a small whole number (-1 missing)
    lo = int(ints.min()) if len(ints) else 0
    hi = int(ints.max()) if len(ints) else 0
    return _lookup(["" if v < 0 else head + str(v) for v in range(min(lo, -1), hi + 1)], ints - min(lo, -1))


def _concat(parts: list[Frags]) -> list[str]:
    """Per row, its fragments one after the other."""
    return list(map("".join, zip(*parts)))


def _objects(parts: list[Frags], empty: str) -> list[str]:
    """Per row, ``{…}`` of its fragments (the first one's comma dropped); *empty* where none."""
    return ["{" + s[1:] + "}" if s else empty for s in _concat(parts)]


def _group_fragments(g: S.Group, cols: dict[str, np.ndarray], lo: int, hi: int, prefix: str) -> Frags:
    path = prefix + g.name + "."
    parts: list[Frags] = []
    for m in g.record.members:
        if isinstance(m, S.Group):
            parts.append(_group_fragments(m, cols, lo, hi, path))
        else:
            parts.append(_field_fragments(m, cols[path + m.name][lo:hi]))
    head = f',"{g.name}":{{'
    return [head + s[1:] + "}" if s else "" for s in _concat(parts)]


def _grouped(records: list[str], offsets: np.ndarray, lo: int, hi: int) -> list[str]:
    """Per owner row lo..hi-1: its records joined as a JSON list body."""
    off = (offsets[lo:hi + 1] - offsets[lo]).tolist()
    return ["[" + ",".join(records[a:b]) + "]" for a, b in zip(off, off[1:])]


def _child_records(st: C.Store, name: str, a: int, b: int) -> list[str]:
    """The JSON text of rows a..b-1 of child table *name*."""
    if name in S.TAGS:
        child = st.tags[name]
        return _lookup([_enc(k) for k in (child.strings or [])], child.cols["key"][a:b])
    child = getattr(st, name)
    parts: list[Frags] = []
    for m in S.CHILDREN[name].record.members:
        if isinstance(m, S.Field) and not parts:  # the first field opens the record, when every record has it
            first = _field_fragments(m, child.cols[m.name][a:b], child.strings, sep="{")
            parts.append(first if all(first) else _field_fragments(m, child.cols[m.name][a:b], child.strings))
        elif isinstance(m, S.Field):
            parts.append(_field_fragments(m, child.cols[m.name][a:b], child.strings))
        elif isinstance(m, S.YearMap):
            t = getattr(st, m.name)
            ta, tb = int(t.offsets[a]), int(t.offsets[b])
            years = t.cols["year"][ta:tb].astype(np.int64)
            vals = t.cols[m.field.name][ta:tb].astype(np.int64)
            keys = [_enc(k) for k in (m.field.vocab or ())]
            if tb > ta:  # every (year, value) that occurs, as text, by table lookup
                y0 = int(years.min())
                code = (years - y0) * len(keys) + vals
                table = [f'"{y0 + c // len(keys)}":{keys[c % len(keys)]}' for c in range(int(code.max()) + 1)]
                items = _lookup(table, code)
            else:
                items = []
            off = (t.offsets[a:b + 1] - ta).tolist()
            head = f',"{m.name}":{{'
            parts.append([head + ",".join(items[i:j]) + "}" if j > i else "" for i, j in zip(off, off[1:])])
    if parts and parts[0] and parts[0][0].startswith("{"):
        return _concat(parts + [repeat("}", b - a)])
    return _objects(parts, "{}")


def community_lines(st: C.Store, lo: int, hi: int) -> list[str]:
    """The JSON text of communities lo..hi-1, one object each, keys in Community field order."""
    cm = st.communities
    n = hi - lo
    rcode = st.regions["code"]
    names = list(map(_enc, cm["name"][lo:hi].tolist()))
    if len(rcode):
        first = [f'{{"code":"{c:012d}","name":{nm},"parent":"{p:012d}"'
                 for c, nm, p in zip(cm["code"][lo:hi].tolist(), names, rcode[cm["parent"][lo:hi]].tolist())]
    else:
        first = [f'{{"code":"{c:012d}","name":{nm}' for c, nm in zip(cm["code"][lo:hi].tolist(), names)]
    order: list[Frags] = [first]
    for m in S.COMMUNITY.members[3:]:
        if isinstance(m, S.Field):
            order.append(_field_fragments(m, cm[m.name][lo:hi]))
        elif isinstance(m, S.Group):
            order.append(_group_fragments(m, cm, lo, hi, ""))
        else:
            child = st.tags[m.name] if m.name in S.TAGS else getattr(st, m.name)
            a, b = int(child.offsets[lo]), int(child.offsets[hi])
            bodies = _grouped(_child_records(st, m.name, a, b), child.offsets, lo, hi)
            head = f',"{m.name}":'
            order.append([head + body if known else "" for body, known in
                          zip(bodies, cm[f"known.{m.name}"][lo:hi].tolist())])
    order.append(repeat("}", n))
    return _concat(order)


def chunks(st: C.Store, step: int = 50_000) -> Iterator[str]:
    """The communities' JSON, one per line, in chunks (each chunk starts with a newline)."""
    first = True
    for lo in range(0, st.n_communities, step):
        hi = min(lo + step, st.n_communities)
        lines = community_lines(st, lo, hi)
        lines[0] = ("" if first else ",") + "\n" + lines[0]  # (not a copy of the whole chunk)
        yield ",\n".join(lines)
        first = False
