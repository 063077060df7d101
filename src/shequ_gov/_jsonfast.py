"""Writing the interchange format from columns: JSON text built column by column.

The output is exactly what ``json.dumps`` gives for :func:`shequ_gov._columns.community_dicts`
(compact separators, ``ensure_ascii=False``), but built from string fragments of whole columns,
walking the record declarations of ``_schema``, so writing the national dataset takes seconds.
``tests/test_dataset.py`` checks the equivalence, for both kinds of fragments below.

Each field of a record becomes one column of fragments, ``,"key":value`` (with its leading comma)
or ``""`` where the value is missing; a record is the concatenation of its fragments, made for
every row at once. Values are formatted by whole columns: vocabulary keys, flags and small
integers by table lookup, each distinct number once.

The walk over the declarations is written once, against five operations on columns of fragments
(:class:`_Lists`): Python lists of ``str`` (``map("".join, zip(...))``, no Python code per row and
field), or, when pyarrow is installed and the dataset is large, pyarrow string arrays
(:class:`_Arrow`), whose operations run in C++ and whose text is UTF-8 already.
"""

from __future__ import annotations

import json
import math
from itertools import repeat
from typing import Any, Iterator

import numpy as np

from . import _columns as C
from . import _schema as S

_enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode

#: Communities from which the fragments are pyarrow arrays (when pyarrow is installed): below it,
#: importing pyarrow costs more than it saves.
ARROW_MIN_COMMUNITIES = 20_000


class _Lists:
    """Columns of fragments as Python lists of ``str``."""

    @staticmethod
    def lookup(table: list[str], index: np.ndarray) -> Any:
        """``table[i]`` for each index, in C (an object array taken by numpy)."""
        return np.array(table, dtype=object)[index].tolist() if len(index) else []

    @staticmethod
    def concat(parts: list[Any], n: int) -> Any:
        """Per row, its fragments one after the other (a part may be one ``str`` for every row)."""
        return list(map("".join, zip(*(repeat(p, n) if isinstance(p, str) else p for p in parts))))

    @classmethod
    def objects(cls, parts: list[Any], n: int, open_: str, empty: str) -> Any:
        """Per row, *open_* then its fragments (the first one's comma dropped) then ``}``; *empty*
        where it has none."""
        return [open_ + s[1:] + "}" if s else empty for s in cls.concat(parts, n)]

    @staticmethod
    def lists(items: Any, offsets: np.ndarray, open_: str, close: str, empty: str | None) -> Any:
        """Per owner (CSR *offsets* into *items*): *open_*, its items joined by commas, *close*;
        *empty* (``open_ + close`` when None) where it has none."""
        off = (offsets - offsets[0]).tolist()
        if empty is None:
            return [open_ + ",".join(items[a:b]) + close for a, b in zip(off, off[1:])]
        return [open_ + ",".join(items[a:b]) + close if b > a else empty for a, b in zip(off, off[1:])]

    @staticmethod
    def where(mask: np.ndarray, head: str, values: Any) -> Any:
        """``head + value`` where *mask*, else ``""``."""
        return [head + v if k else "" for v, k in zip(values, mask.tolist())]

    @staticmethod
    def names(names: list[str]) -> Any:
        return list(map(_enc, names))

    @staticmethod
    def codes(codes: np.ndarray) -> Any:
        return [f"{c:012d}" for c in codes.tolist()]

    @staticmethod
    def text(rows: Any, lead: str) -> bytes:
        """The rows after *lead* (``",\\n"`` or ``"\\n"``), joined by ``",\\n"``, in UTF-8."""
        return (lead + ",\n".join(rows)).encode("utf-8")


class _Arrow:
    """Columns of fragments as pyarrow string arrays (the operations of :class:`_Lists`)."""

    def __init__(self) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self.pa, self.pc = pa, pc

    def lookup(self, table: list[str], index: np.ndarray) -> Any:
        pa = self.pa
        return self.pc.take(pa.array(table, pa.string()), pa.array(np.asarray(index, dtype=np.int64)))

    def concat(self, parts: list[Any], n: int) -> Any:
        if not parts:
            return self.pa.array([""] * n, self.pa.string())
        if len(parts) == 1 and not isinstance(parts[0], str):
            return parts[0]
        return self.pc.binary_join_element_wise(*parts, "")

    def objects(self, parts: list[Any], n: int, open_: str, empty: str) -> Any:
        pc = self.pc
        s = self.concat(parts, n)
        return pc.if_else(pc.equal(pc.binary_length(s), 0), empty,
                          pc.binary_join_element_wise(open_, pc.utf8_slice_codeunits(s, 1), "}", ""))

    def lists(self, items: Any, offsets: np.ndarray, open_: str, close: str, empty: str | None) -> Any:
        pa, pc = self.pa, self.pc
        off = offsets - offsets[0]
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(off.astype(np.int32)), items), ",")
        out = pc.binary_join_element_wise(open_, joined, close, "")
        if empty is None:
            return out
        return pc.if_else(pa.array(np.diff(off) == 0), empty, out)

    def where(self, mask: np.ndarray, head: str, values: Any) -> Any:
        pa, pc = self.pa, self.pc
        return pc.if_else(pa.array(mask), pc.binary_join_element_wise(head, values, ""), "")

    def names(self, names: list[str]) -> Any:
        pa, pc = self.pa, self.pc
        arr = pa.array(names, pa.string())
        if pc.any(pc.match_substring_regex(arr, r'["\\\x00-\x1f]')).as_py():
            return pa.array(list(map(_enc, names)), pa.string())  # escapes: as json.dumps writes them
        return pc.binary_join_element_wise('"', arr, '"', "")

    def codes(self, codes: np.ndarray) -> Any:
        pa = self.pa
        return self.pc.utf8_lpad(self.pc.cast(pa.array(codes.astype(np.int64)), pa.string()), 12, "0")

    def text(self, rows: Any, lead: str) -> Any:
        """The rows after *lead* (``",\\n"`` or ``"\\n"``), joined by ``",\\n"``: the buffer of one
        joined string (no copy to ``bytes``)."""
        pa = self.pa
        items = pa.concat_arrays([pa.array([""], pa.string()), rows])  # "" first: the text starts with ",\n"
        joined = self.pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(items)], pa.int32()), items), ",\n")
        buf = joined[0].as_buffer()
        return buf if lead == ",\n" else buf.slice(1)


def _numbers(B: Any, spec: S.Field, col: np.ndarray, head: str) -> Any:
    """Fragments of a numeric column: whole counts as integers, quantities as integers when whole
    (below 2**53) and as ``repr`` otherwise, shares as ``repr``; NaN is missing. Each distinct
    value (by its bits, so ``-0.0`` stays itself) is formatted once and looked up."""
    if not len(col):
        return B.lookup([], col.astype(np.int64))
    bits, inverse = np.unique(np.ascontiguousarray(col, dtype=np.float64).view(np.int64), return_inverse=True)
    share, count = spec.kind == "share", spec.kind == "count"

    def fmt(v: float) -> str:
        if v != v:
            return ""
        if (not share and abs(v) < 2**53 and v == math.floor(v)) or count:
            return head + str(int(v))  # (a count this large is still written whole)
        return head + repr(v)

    return B.lookup(list(map(fmt, bits.view(np.float64).tolist())), inverse.reshape(-1))


def _field_fragments(B: Any, spec: S.Field, col: np.ndarray, strings: list[str] | None = None,
                     sep: str = ",") -> Any:
    """Fragments of a column: ``sep"key":value``, or "" where the value is missing."""
    head = f'{sep}"{spec.name}":'
    k = spec.kind
    if spec.numeric:
        return _numbers(B, spec, col, head)
    ints = col.astype(np.int64)
    if k == "bool":
        return B.lookup(["", head + "false", head + "true"], ints + 1)
    if k == "enum":
        return B.lookup([""] + [head + _enc(x) for x in (spec.vocab or ())], ints + 1)
    if k == "key":
        return B.lookup([head + _enc(x) for x in (strings or [])], ints)
    if k == "keyset":
        names = [_enc(x) for x in (spec.vocab or ())]
        values = np.unique(ints)
        table = {b: head + "[" + ",".join(nm for i, nm in enumerate(names) if b >> i & 1) + "]"
                 for b in values.tolist()}
        return B.lookup([table[b] for b in values.tolist()], np.searchsorted(values, ints))
    # int: a small whole number (-1 missing)
    lo = int(ints.min()) if len(ints) else 0
    hi = int(ints.max()) if len(ints) else 0
    return B.lookup(["" if v < 0 else head + str(v) for v in range(min(lo, -1), hi + 1)], ints - min(lo, -1))


def _group_fragments(B: Any, g: S.Group, cols: dict[str, np.ndarray], lo: int, hi: int, prefix: str) -> Any:
    path = prefix + g.name + "."
    parts = []
    for m in g.record.members:
        if isinstance(m, S.Group):
            parts.append(_group_fragments(B, m, cols, lo, hi, path))
        else:
            parts.append(_field_fragments(B, m, cols[path + m.name][lo:hi]))
    return B.objects(parts, hi - lo, f',"{g.name}":{{', "")


def _child_records(B: Any, st: C.Store, name: str, a: int, b: int) -> Any:
    """The JSON text of rows a..b-1 of child table *name*."""
    if name in S.TAGS:
        child = st.tags[name]
        return B.lookup([_enc(k) for k in (child.strings or [])], child.cols["key"][a:b])
    child = getattr(st, name)
    parts = []
    opened = False
    for m in S.CHILDREN[name].record.members:
        if isinstance(m, S.Field) and not parts:  # the first field opens the record, when every record has it
            col = child.cols[m.name][a:b]
            opened = m.kind in ("key", "keyset") or not bool(np.isnan(col).any() if m.numeric else (col < 0).any())
            parts.append(_field_fragments(B, m, child.cols[m.name][a:b], child.strings, sep="{" if opened else ","))
        elif isinstance(m, S.Field):
            parts.append(_field_fragments(B, m, child.cols[m.name][a:b], child.strings))
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
                items = B.lookup(table, code)
            else:
                items = B.lookup([], np.zeros(0, np.int64))
            parts.append(B.lists(items, t.offsets[a:b + 1], f',"{m.name}":{{', "}", ""))
    if opened:
        return B.concat(parts + ["}"], b - a)
    return B.objects(parts, b - a, "{", "{}")


def community_lines(B: Any, st: C.Store, lo: int, hi: int) -> Any:
    """The JSON text of communities lo..hi-1, one object each, keys in Community field order."""
    cm = st.communities
    n = hi - lo
    rcode = st.regions["code"]
    first = ['{"code":"', B.codes(cm["code"][lo:hi]), '","name":', B.names(cm["name"][lo:hi])]
    if len(rcode):
        first += [',"parent":"', B.codes(rcode[cm["parent"][lo:hi]]), '"']
    order = [B.concat(first, n)]
    for m in S.COMMUNITY.members[3:]:
        if isinstance(m, S.Field):
            order.append(_field_fragments(B, m, cm[m.name][lo:hi]))
        elif isinstance(m, S.Group):
            order.append(_group_fragments(B, m, cm, lo, hi, ""))
        else:
            child = st.tags[m.name] if m.name in S.TAGS else getattr(st, m.name)
            a, b = int(child.offsets[lo]), int(child.offsets[hi])
            bodies = B.lists(_child_records(B, st, m.name, a, b), child.offsets[lo:hi + 1], "[", "]", None)
            order.append(B.where(cm[f"known.{m.name}"][lo:hi], f',"{m.name}":', bodies))
    order.append("}")
    return B.concat(order, n)


def _backend(st: C.Store) -> Any:
    if st.n_communities >= ARROW_MIN_COMMUNITIES:
        try:
            return _Arrow()
        except ImportError:
            pass
    return _Lists


def chunks(st: C.Store, step: int = 50_000, backend: Any = None) -> Iterator[tuple[Any, int]]:
    """The communities' JSON in UTF-8, one per line, in chunks (each starts with a newline), each
    with the number of communities in it. A chunk is ``bytes`` or another bytes-like object
    (a pyarrow buffer)."""
    B = backend or _backend(st)
    for lo in range(0, st.n_communities, step):
        hi = min(lo + step, st.n_communities)
        yield B.text(community_lines(B, st, lo, hi), "\n" if lo == 0 else ",\n"), hi - lo
