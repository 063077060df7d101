"""Fast writing of the interchange format: JSON text built column by column.

The output is exactly what ``json.dumps`` gives for :func:`shequ_gov._columns.community_dicts`
(compact separators, ``ensure_ascii=False``), but built from string fragments of whole columns,
so writing the national dataset takes seconds. ``tests/test_dataset.py`` checks the equivalence.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import numpy as np

from . import _columns as C
from . import _schema as S
from ._vocab import FACILITY_KINDS, RATINGS, ROLES

_enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _num_fragments(spec: S.Field, col: np.ndarray, key: str) -> list[str | None]:
    head = f'"{key}":'
    if spec.kind in ("count", "quantity", "share"):
        vals = col.tolist()
        if spec.kind == "count":
            return [None if v != v else head + str(int(v)) for v in vals]
        if spec.kind == "quantity":
            return [None if v != v else head + (str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v))
                    for v in vals]
        return [None if v != v else head + repr(v) for v in vals]
    ints = col.tolist()
    if spec.kind == "bool":
        t, f = head + "true", head + "false"
        return [None if v < 0 else (t if v else f) for v in ints]
    if spec.kind == "enum":
        keys = [head + _enc(k) for k in (spec.vocab or ())]
        return [None if v < 0 else keys[v] for v in ints]
    return [None if v < 0 else head + str(v) for v in ints]


def _objects(parts: list[list[str | None]], n: int) -> list[str]:
    """Per row, ``{a,b,…}`` of the non-missing fragments ('' when none)."""
    out = []
    for j in range(n):
        items = [p[j] for p in parts if p[j] is not None]
        out.append("{" + ",".join(items) + "}" if items else "")
    return out


def _grouped(records: list[str], offsets: np.ndarray, lo: int, hi: int) -> list[str]:
    """Per owner row lo..hi-1: its records joined as a JSON list body."""
    off = (offsets[lo:hi + 1] - offsets[lo]).tolist()
    return ["[" + ",".join(records[off[j]:off[j + 1]]) + "]" for j in range(hi - lo)]


def _child_slice(child: C.Child, lo: int, hi: int) -> tuple[int, int]:
    return int(child.offsets[lo]), int(child.offsets[hi])


def _facility_records(st: C.Store, a: int, b: int) -> list[str]:
    f = st.facilities
    kinds = ['{"kind":' + _enc(k) for k in FACILITY_KINDS]
    k = f.cols["kind"][a:b].tolist()
    area = _num_fragments(S.FACILITY_FIELDS[1], f.cols["area"][a:b], "area")
    return [kinds[k[i]] + ("," + area[i] if area[i] is not None else "") + "}" for i in range(b - a)]


def _staff_records(st: C.Store, a: int, b: int) -> list[str]:
    s = st.staff
    role_lists = []
    keys = list(ROLES)
    for bits in range(256):
        role_lists.append('{"roles":[' + ",".join(_enc(k) for i, k in enumerate(keys) if bits >> i & 1) + "]")
    roles = s.cols["roles"][a:b].tolist()
    frags = [_num_fragments(spec, s.cols[spec.name][a:b], spec.name) for spec in S.STAFF_FIELDS]
    r = st.ratings
    ra, rb = int(r.offsets[a]), int(r.offsets[b])
    years = r.cols["year"][ra:rb].tolist()
    vals = r.cols["rating"][ra:rb].tolist()
    names = [_enc(k) for k in RATINGS]
    rat = [f'"{y}":{names[v]}' for y, v in zip(years, vals)]
    roff = (r.offsets[a:b + 1] - ra).tolist()
    out = []
    for i in range(b - a):
        parts = [role_lists[roles[i]]]
        for fr in frags:
            if fr[i] is not None:
                parts.append(fr[i])
        if roff[i + 1] > roff[i]:
            parts.append('"ratings":{' + ",".join(rat[roff[i]:roff[i + 1]]) + "}")
        out.append(",".join(parts) + "}")
    return out


def _task_records(st: C.Store, a: int, b: int) -> list[str]:
    t = st.tasks
    kinds = ['{"kind":' + _enc(k) for k in (t.strings or [])]
    k = t.cols["kind"][a:b].tolist()
    frags = [_num_fragments(spec, t.cols[spec.name][a:b], spec.name) for spec in S.TASK_FIELDS]
    out = []
    for i in range(b - a):
        parts = [kinds[k[i]]]
        for fr in frags:
            if fr[i] is not None:
                parts.append(fr[i])
        out.append(",".join(parts) + "}")
    return out


def _tag_records(child: C.Child, a: int, b: int) -> list[str]:
    names = [_enc(k) for k in (child.strings or [])]
    return [names[k] for k in child.cols["key"][a:b].tolist()]


def community_lines(st: C.Store, lo: int, hi: int) -> list[str]:
    """The JSON text of communities lo..hi-1, one object each, keys in Community field order."""
    cm = st.communities
    n = hi - lo
    codes = [f'{{"code":"{c:012d}","name":' for c in cm["code"][lo:hi].tolist()]
    names = [_enc(x) for x in cm["name"][lo:hi].tolist()]
    rcode = st.regions["code"]
    parents = [f',"parent":"{c:012d}"' for c in rcode[cm["parent"][lo:hi]].tolist()] if len(rcode) else [""] * n
    scalars = {f.name: _num_fragments(f, cm[f.name][lo:hi], f.name) for f in S.COMMUNITY_FIELDS}
    lists: dict[str, list[str]] = {}
    for key, child, make in (("facilities", st.facilities, lambda a, b: _facility_records(st, a, b)),
                             ("staff", st.staff, lambda a, b: _staff_records(st, a, b)),
                             ("tasks", st.tasks, lambda a, b: _task_records(st, a, b)),
                             ("plaques", st.tags["plaques"], lambda a, b: _tag_records(st.tags["plaques"], a, b)),
                             ("unified", st.tags["unified"], lambda a, b: _tag_records(st.tags["unified"], a, b)),
                             ("bodies", st.tags["bodies"], lambda a, b: _tag_records(st.tags["bodies"], a, b))):
        a, b = _child_slice(child, lo, hi)
        bodies = _grouped(make(a, b), child.offsets, lo, hi)
        known = cm[f"known.{key}"][lo:hi].tolist()
        head = f'"{key}":'
        lists[key] = [head + bodies[j] if known[j] else None for j in range(n)]
    nested = {}
    for group, specs in (("funding", S.FUNDING_FIELDS), ("burden", S.BURDEN_FIELDS)):
        objs = _objects([_num_fragments(f, cm[f"{group}.{f.name}"][lo:hi], f.name) for f in specs], n)
        nested[group] = [f'"{group}":{o}' if o else None for o in objs]
    weights = _objects([_num_fragments(f, cm[f"assessment.weights.{f.name}"][lo:hi], f.name) for f in S.WEIGHT_FIELDS], n)
    appeal = _num_fragments(S.ASSESSMENT_FIELDS[0], cm["assessment.appeal_period"][lo:hi], "appeal_period")
    assessment = []
    for j in range(n):
        parts = ([f'"weights":{weights[j]}'] if weights[j] else []) + ([appeal[j]] if appeal[j] is not None else [])
        assessment.append('"assessment":{' + ",".join(parts) + "}" if parts else None)
    nested["assessment"] = assessment
    order = []
    for key in C.COMMUNITY_KEYS[3:]:
        order.append(scalars.get(key) or lists.get(key) or nested[key])
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
