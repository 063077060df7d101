"""The columnar store behind a Dataset, built from and written back to interchange-format records.

Layout (every table sorted by code; child records grouped by owner, in their input order):

- ``regions``: ``code`` int64, ``name`` object, ``depth`` int8 (0 province … 3 street),
  ``parent`` int32 row of the parent region (-1 for a province), and the region fields.
- ``communities``: ``code``, ``name``, ``parent`` (row of its street), ``anc`` int32[4, n] (row of
  its province, city, district and street), one column per scalar field (flat dotted paths such
  as ``funding.operating``), and ``known.<list>`` bool columns for the list fields.
- child tables (``facilities``, ``staff``, ``tasks``, ``plaques``, ``unified``, ``bodies``, and
  ``ratings`` under ``staff``): an ``owner`` int32 column and ``offsets`` int64[n_owner + 1].

Every column, its dtype and its missing value follow from the declarations in ``_schema``; so do
the reading of records (column by column: :func:`encode_values`) and their writing back
(:func:`community_dicts`). Missing values: float columns hold NaN, small-integer columns
(booleans, enums) hold -1. Nothing here is public; :class:`~shequ_gov.Dataset` is the interface.
"""

from __future__ import annotations

import difflib
import math
import re
from itertools import accumulate, chain, repeat
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from . import _schema as S
from ._codes import levels_of, normalize_code, truncate
from ._errors import Problems
from ._vocab import ROLES, Level, Vocabulary

SCHEMA = "shequ-gov/1"
NAN = math.nan
LEVELS = list(Level)

COMMUNITY_KEYS = S.COMMUNITY.keys
REGION_KEYS = S.REGION.keys
LIST_FIELDS = S.LIST_FIELDS
TAG_VOCABS: dict[str, Vocabulary] = {k: t.vocab for k, t in S.TAGS.items()}
REGION_SPECS = {f.name: f for f in S.REGION_FIELDS}
ROLE_BITS = {k: 1 << i for i, k in enumerate(ROLES)}
#: The stored child tables: a community's lists, and under staff its year maps (ratings).
CHILD_TABLES = tuple(S.CHILDREN) + tuple(m for c in S.CHILDREN.values() for m in S.year_maps(c.record))


# --- column encoding -----------------------------------------------------------------------------

def dtype_of(spec: S.Field) -> np.dtype:
    """Storage dtype of a field (declared in the schema)."""
    return np.dtype(spec.dtype)


def missing_of(spec: S.Field) -> Any:
    return spec.missing


def encode(spec: S.Field, value: Any) -> Any:
    """A parsed (canonical) value as stored in its column."""
    return spec.encode(value)


def decode_column(spec: S.Field, column: np.ndarray) -> list[Any]:
    """A whole column back to canonical JSON values (``None`` for missing)."""
    return spec.decode(column)


def parse_value(spec: S.Field, value: Any) -> Any:
    """*value* as stored for *spec*; ``ValueError`` saying what was expected if it does not fit."""
    try:
        return spec.encode(spec.parse(value))
    except ValueError:
        raise
    except OverflowError:
        raise ValueError(f"expected {spec.expected()}, got a number too large to represent") from None
    except Exception as exc:  # outside data must never escape as another exception (e.g. a unit parser's)
        raise ValueError(f"expected {spec.expected()}, got {value!r} ({type(exc).__name__}: {exc})") from None


_INF = math.inf
_PLAIN_NUMBER = {int, float, type(None)}


def column_of(dicts: Sequence[Mapping], key: str) -> list:
    """The values of *key* in each record (None where absent), without a Python loop for plain dicts."""
    try:
        return list(map(dict.get, dicts, repeat(key)))
    except TypeError:  # typed records of the fast JSON reader (and empty dicts), or other Mappings
        if all(t is dict or _is_struct(t) for t in set(map(type, dicts))):
            return list(map(getattr, dicts, repeat(key), repeat(None)))
        return [d.get(key) for d in dicts]


def _is_struct(t: type) -> bool:
    """Whether *t* is a typed record of the fast JSON reader (``_jsonstruct``): its fields are
    attributes, ``None`` where not given, and its keys were checked by the decoder."""
    return hasattr(t, "__struct_fields__")


def _all_records(items: Sequence[Any]) -> bool:
    """Whether every item is a dict or a typed record (no Python loop per item)."""
    return all(t is dict or _is_struct(t) for t in set(map(type, items)))


def encode_values(spec: S.Field, vals: Sequence[Any], where: Callable[[int], str], p: Problems,
                  key: str | None = None) -> np.ndarray:
    """Encode a column of input values (``None`` = missing) for *spec*, in one pass.

    Well-typed values (numbers in range, booleans, listed keys) are converted as a whole column;
    every other value goes through :meth:`Field.parse`, which converts it (a unit string) or says
    what was expected: the problem is recorded at ``where(k).key`` and the entry stays missing.
    """
    n = len(vals)
    k = spec.kind
    if key is None:
        key = spec.name
    few = _few_numbers(vals, k) if spec.numeric and n <= _FEW_VALUES else None
    if few is not None:  # a few values (a small request): checked one by one, the same tests
        arr, need = few
    elif spec.numeric:
        arr = None
        types = set(map(type, vals))
        # plain numbers and None (NaN) convert as a whole; anything else goes through the parser
        x = vals if types <= _PLAIN_NUMBER else [v if (type(v) is float or type(v) is int) else NAN for v in vals]
        try:
            arr = np.array(x, dtype=np.float64) if n else np.zeros(0)
        except OverflowError:
            arr = None
        if arr is None:
            arr = np.full(n, NAN)
            need = np.arange(n)
        else:
            with np.errstate(invalid="ignore"):
                good = (arr >= 0) & (arr < _INF)
                if k == "count":
                    good &= arr == np.floor(arr)
                elif k == "share":
                    good &= arr <= 1
            arr[~good] = NAN
            need = np.flatnonzero(~good)
    else:
        missing, bad = -1, -2
        types = set(map(type, vals))
        if k == "bool" and types <= {bool, type(None)}:  # by table lookup, in C
            x = list(map({True: 1, False: 0, None: missing}.__getitem__, vals))
        elif k == "bool":
            x = [1 if v is True else 0 if v is False else missing if v is None else bad for v in vals]
        elif k == "enum" and types <= {str, type(None)}:
            x = list(map({**spec.vocab._index, None: missing}.get, vals, repeat(bad)))  # type: ignore[union-attr]
        elif k == "enum":
            idx = spec.vocab._index  # type: ignore[union-attr]
            x = [idx.get(v, bad) if type(v) is str else missing if v is None else bad for v in vals]
        elif k == "int":
            lo, hi = spec.low, spec.high
            x = [v if type(v) is int and lo <= v <= hi else missing if v is None else bad for v in vals]
        else:
            raise TypeError(f"{spec.name}: {k} columns are not encoded here")
        if n <= _FEW_VALUES:  # a few values (a small request): the rows for the parser found in Python
            need = [i for i, v in enumerate(x) if v == bad]
            arr = np.array([missing if v == bad else v for v in x] if need else x, dtype=np.int64).astype(spec.dtype)
        else:
            arr = np.array(x, dtype=np.int64) if n else np.zeros(0, np.int64)
            need = np.flatnonzero(arr == bad)
            arr[need] = missing
            arr = arr.astype(spec.dtype)
    for i in need if type(need) is list else need.tolist():
        v = vals[i]
        if v is None:
            continue
        try:
            arr[i] = parse_value(spec, v)
        except ValueError as exc:
            p.add(f"{where(i)}.{key}" if key else where(i), str(exc))
    return arr


#: Up to this many values :func:`encode_values` checks a numeric column one by one (numpy's fixed cost
#: per call exceeds the work).
_FEW_VALUES = 8
#: Up to this many records (and owners) :func:`_offsets` counts them in Python.
_FEW_RECORDS = 64


def _few_numbers(vals: Sequence[Any], kind: str) -> tuple[np.ndarray, list[int]] | None:
    """The numeric path of :func:`encode_values` for a few values: (float column, rows for the parser);
    None where a number does not fit a float (the whole-column path then decides)."""
    out: list[float] = []
    need: list[int] = []
    for i, v in enumerate(vals):
        t = type(v)
        if t is float or t is int:
            try:
                f = float(v)
            except OverflowError:
                return None
            if 0 <= f < _INF and (kind != "count" or f == math.floor(f)) and (kind != "share" or f <= 1):
                out.append(f)
                continue
        out.append(NAN)
        need.append(i)
    return np.array(out, dtype=np.float64), need


def _unknown_key(key: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    return f"unknown field {key!r}" + (f"; did you mean {hint[0]!r}?" if hint else "") + \
        f" (expected one of: {', '.join(allowed)})"


class Child:
    """A child table: records grouped by owner row, with CSR offsets."""

    __slots__ = ("owner", "offsets", "cols", "strings")

    def __init__(self, owner: np.ndarray, offsets: np.ndarray, cols: dict[str, np.ndarray],
                 strings: list[str] | None = None):
        self.owner = owner
        self.offsets = offsets
        self.cols = cols
        self.strings = strings  # the string table of an open-vocabulary ``key``/``kind`` column

    def __len__(self) -> int:
        return len(self.owner)

    def rows_of(self, i: int) -> range:
        return range(int(self.offsets[i]), int(self.offsets[i + 1]))

    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def take_owners(self, owners: np.ndarray) -> "tuple[Child, np.ndarray]":
        """The records of the given owner rows (in that order), re-numbered 0..len(owners)-1.

        Returns the new table and, for each of its rows, the row it came from.
        """
        counts = self.counts()[owners]
        starts = self.offsets[owners]
        offsets = np.zeros(len(owners) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        total = int(offsets[-1])
        # row i of the result comes from starts[o] + (i - offsets[o]) for its new owner o
        new_owner = np.repeat(np.arange(len(owners), dtype=np.int32), counts)
        src = (starts[new_owner] + (np.arange(total, dtype=np.int64) - offsets[new_owner])) if total else \
            np.zeros(0, dtype=np.int64)
        return Child(new_owner, offsets, {k: v[src] for k, v in self.cols.items()}, self.strings), src


def _offsets(owner: np.ndarray, n: int) -> np.ndarray:
    if len(owner) <= _FEW_RECORDS and n <= _FEW_RECORDS:  # a few records (a small request): counted in Python
        counts = [0] * (n + 1)
        for o in owner.tolist():
            counts[o + 1] += 1
        return np.array(list(accumulate(counts)), dtype=np.int64)
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=off[1:])
    return off




class Store:
    """All columns of one dataset. Immutable by convention: nothing writes into it after build."""

    __slots__ = ("regions", "communities", "facilities", "staff", "ratings", "tasks", "tags", "_code_to_region")

    def __init__(self, regions: dict[str, np.ndarray], communities: dict[str, np.ndarray], facilities: Child,
                 staff: Child, ratings: Child, tasks: Child, tags: dict[str, Child]):
        self.regions = regions
        self.communities = communities
        self.facilities = facilities
        self.staff = staff
        self.ratings = ratings
        self.tasks = tasks
        self.tags = tags
        # a dataset that exists is valid and never changes: rules and users get read-only columns
        for table in (regions, communities, *(c.cols for c in (facilities, staff, ratings, tasks, *tags.values()))):
            for arr in table.values():
                arr.setflags(write=False)
        for c in (facilities, staff, ratings, tasks, *tags.values()):
            c.owner.setflags(write=False)
            c.offsets.setflags(write=False)

    @property
    def n_communities(self) -> int:
        return len(self.communities["code"])

    @property
    def n_regions(self) -> int:
        return len(self.regions["code"])

    def region_row(self, code: int) -> int:
        codes = self.regions["code"]
        i = int(np.searchsorted(codes, code))
        return i if i < len(codes) and codes[i] == code else -1

    def community_row(self, code: int) -> int:
        codes = self.communities["code"]
        i = int(np.searchsorted(codes, code))
        return i if i < len(codes) and codes[i] == code else -1


# --- reading records, column by column --------------------------------------------------------------

class Gathered:
    """The encoded columns of one input table (regions or communities) before assembly.

    ``code``/``given_parent`` are int64 (-1 where bad or not given), ``name`` a list, ``cols`` the
    scalar columns by flat path; for communities ``known`` (list given) and ``children``: per child
    table its ``owner`` (input row of its owner), its columns and, for open keys, the raw strings.
    """

    __slots__ = ("code", "name", "given_parent", "cols", "known", "children", "where")

    def __init__(self, code: np.ndarray, name: list, given_parent: np.ndarray, cols: dict[str, np.ndarray],
                 known: dict[str, np.ndarray] | None = None, children: dict[str, dict[str, Any]] | None = None,
                 where: Callable[[int], str] | None = None):
        self.code, self.name, self.given_parent, self.cols = code, name, given_parent, cols
        self.known = known or {}
        self.children = children if children is not None else empty_children_input()
        self.where = where


def empty_children_input() -> dict[str, dict[str, Any]]:
    """Gathered child tables with no records (for inputs that carry none, such as a CSV)."""
    out: dict[str, dict[str, Any]] = {}
    for name, ch in S.CHILDREN.items():
        out[name] = {"owner": np.zeros(0, np.int64),
                     "cols": {k: (np.zeros(0, f.dtype) if f.kind != "key" else []) for k, f in ch.record.child_columns().items()}}
        for ym in S.year_maps(ch.record).values():
            out[ym.name] = {"owner": np.zeros(0, np.int64), "cols": {"year": np.zeros(0, np.int16),
                                                                      ym.field.name: np.zeros(0, ym.field.dtype)}}
    for name in S.TAGS:
        out[name] = {"owner": np.zeros(0, np.int64), "cols": {"key": []}}
    return out


def _codes(values: list, where: Callable[[int], str], p: Problems, key: str, required: bool) -> np.ndarray:
    """Division codes (int64, -1 where missing or bad), each problem at ``where(i).key`` (``where(i)``
    alone when *key* is empty)."""
    n = len(values)
    out = np.full(n, -1, dtype=np.int64)
    for i, v in enumerate(values):
        if type(v) is str and len(v) == 12 and v.isascii() and v.isdigit() and v[:2] != "00":
            out[i] = int(v)
            continue
        if v is None:
            if required:
                p.add(f"{where(i)}.{key}" if key else where(i), "required: a 12-digit division code")
            continue
        try:
            out[i] = int(normalize_code(v))
        except ValueError as exc:
            p.add(f"{where(i)}.{key}" if key else where(i), str(exc))
    return out


def _check_keys(dicts: Sequence[Mapping], allowed: tuple[str, ...], where: Callable[[int], str], p: Problems,
                prefix: str = "") -> None:
    aset = set(allowed)
    structs = {t for t in set(map(type, dicts)) if _is_struct(t)}
    if structs:  # typed records: their keys were checked on decoding
        dicts = [d for d in dicts if type(d) not in structs]
    if aset.issuperset(set().union(*dicts)) if dicts else True:
        return  # every key of every record is allowed (one set union, in C)
    for i, d in enumerate(dicts):
        if not aset.issuperset(d):
            for k in d:
                if k not in aset:
                    p.add(f"{where(i)}.{prefix}{k}", _unknown_key(k, allowed))


def _record_columns(rec: S.Record, dicts: Sequence[Mapping], where: Callable[[int], str], p: Problems,
                    prefix: str = "") -> dict[str, np.ndarray]:
    """Encode the scalar fields and groups of *rec* over *dicts* (all mappings) as flat columns."""
    out: dict[str, np.ndarray] = {}
    for m in rec.members:
        if isinstance(m, S.Field) and m.kind in S.SCALAR_KINDS:
            out[prefix + m.name] = encode_values(m, column_of(dicts, m.name), where, p, prefix + m.name)
        elif isinstance(m, S.Group):
            sub: list[Mapping] = []
            path = prefix + m.name
            for i, v in enumerate(column_of(dicts, m.name)):
                if v is None:
                    sub.append({})
                elif type(v) is dict or _is_struct(type(v)) or isinstance(v, Mapping):
                    sub.append(v)
                else:
                    p.add(f"{where(i)}.{path}", f"expected an object with keys {', '.join(m.record.keys)}, got {v!r}")
                    sub.append({})
            _check_keys(sub, m.record.keys, where, p, path + ".")
            out.update(_record_columns(m.record, sub, where, p, path + "."))
    return out


def _mappings(items: Sequence[Any], where: Callable[[int], str], p: Problems, what: str) -> np.ndarray:
    """Indices of the items that are mappings; a problem for each other one."""
    if _all_records(items):
        return np.arange(len(items), dtype=np.int64)
    ok = [i for i, x in enumerate(items) if type(x) is dict or isinstance(x, Mapping)]
    if len(ok) != len(items):
        okset = set(ok)
        for i, x in enumerate(items):
            if i not in okset:
                p.add(where(i), what.format(type=type(x).__name__, value=repr(x)))
    return np.asarray(ok, dtype=np.int64)


_LOC = re.compile(r"^(regions|communities)\[(\d+)\](?: \(\d{12}\))?(.*)$")
_LOC_PART = re.compile(r"\.([^.\[]+)(?:\[(\d+)\])?")


def _doc_order(item: tuple[str, str]) -> tuple:
    """Sort key of a problem: its record's input row, then its member in declaration order."""
    m = _LOC.match(item[0])
    if m is None:
        return (math.inf,)
    key: list[float] = [int(m.group(2))]
    rec: S.Record | None = S.REGION if m.group(1) == "regions" else S.COMMUNITY
    for name, idx in _LOC_PART.findall(m.group(3)):
        keys = rec.keys if rec is not None else ()
        key += [keys.index(name) if name in keys else len(keys), int(idx) if idx else -1]
        sub = rec.member(name) if rec is not None and name in keys else None
        rec = sub.record if isinstance(sub, (S.Group, S.Children)) else None
    return tuple(key)


def _in_doc_order(p: Problems, start: int) -> None:
    """Put the problems found since *start* in document order (rows, then fields as declared)."""
    p.items[start:] = sorted(p.items[start:], key=_doc_order)


def _records_and_codes(items: Sequence[Any], where: Any, p: Problems,
                       expected: str) -> tuple[list[Mapping], np.ndarray, set[int] | None]:
    """The records of a top-level list (a non-object stands as an empty record, its problem added),
    their codes (-1 where missing or bad; a missing code is a problem) and the positions of the
    records that are objects (``None``: all are)."""
    n = len(items)
    ok = _mappings(items, where, p, expected)
    okset = set(ok.tolist()) if len(ok) != n else None
    dicts: list[Mapping] = list(items) if okset is None else [items[i] if i in okset else {} for i in range(n)]
    given = column_of(dicts, "code")
    code = _codes(given, where, p, "code", required=False)
    for i in (ok.tolist() if okset is not None else range(n)):
        if given[i] is None:
            p.add(f"{where(i)}.code", "required: a 12-digit division code")
    where.codes = code
    return dicts, code, okset


def gather_regions(items: Sequence[Any], p: Problems) -> Gathered:
    start = len(p.items)
    n = len(items)
    where = _Locator("regions", n)
    dicts, code, okset = _records_and_codes(items, where, p, "expected an object with code, name and level, got {type}")
    depth = levels_of(np.where(code >= 0, code, 10**11))
    for i in np.flatnonzero((code >= 0) & (depth == 4)).tolist():
        p.add(f"{where(i)}.code", f"{code[i]:012d} is a community code: communities go in 'communities'")
        code[i] = -1
    for i, d in enumerate(dicts):
        lv = d.get("level")
        if lv is None:
            continue
        try:
            lvl = Level.parse(lv)
        except ValueError as exc:
            p.add(f"{where(i)}.level", str(exc))
            continue
        if code[i] >= 0 and lvl.depth != depth[i]:
            p.add(f"{where(i)}.level", f"level {lvl.value!r} was given, but the code's digits make "
                                       f"{code[i]:012d} a {LEVELS[depth[i]].value}")
    names = _names_of_rows(column_of(dicts, "name"), where, p, okset)
    given = _codes(column_of(dicts, "parent"), where, p, "parent", required=False)
    _check_keys(dicts, REGION_KEYS, where, p)
    cols = _record_columns(S.REGION, dicts, where, p)
    _in_doc_order(p, start)
    return Gathered(code, names, given, cols, where=where)


class _Locator:
    """Names row *i* of a table for messages: ``communities[3] (431302001001)``, built only on demand.

    *offset* is the input position of row 0 (for a table gathered in batches)."""

    __slots__ = ("kind", "codes", "offset")

    def __init__(self, kind: str, n: int, offset: int = 0):
        self.kind = kind
        self.codes: np.ndarray | None = None
        self.offset = offset

    def __call__(self, i: int) -> str:
        c = -1 if self.codes is None else int(self.codes[i])
        return f"{self.kind}[{i + self.offset}]" + (f" ({c:012d})" if c >= 0 else "")


class _ChildLocator:
    """Names a child record: ``communities[3] (431302001001).staff[1]``."""

    __slots__ = ("owner_where", "name", "owner", "pos")

    def __init__(self, owner_where: Callable[[int], str], name: str, owner: np.ndarray, pos: np.ndarray):
        self.owner_where, self.name, self.owner, self.pos = owner_where, name, owner, pos

    def __call__(self, k: int) -> str:
        return f"{self.owner_where(int(self.owner[k]))}.{self.name}[{int(self.pos[k])}]"


def _flatten(lists: list, where: Callable[[int], str], p: Problems, name: str) -> tuple[np.ndarray, list, np.ndarray, np.ndarray]:
    """(known, flat items, owner, position in owner's list) of a list field over its owners."""
    known = np.zeros(len(lists), dtype=bool)
    counts = np.zeros(len(lists), dtype=np.int64)
    for i, v in enumerate(lists):
        if v is None:
            continue
        if type(v) is list:
            known[i] = True
            counts[i] = len(v)
        else:
            p.add(f"{where(i)}.{name}", f"expected a list (empty for none), got {type(v).__name__}")
    flat = list(chain.from_iterable(v for v, k in zip(lists, known.tolist()) if k))
    owner = np.repeat(np.arange(len(lists), dtype=np.int64), counts)
    starts = np.zeros(len(lists), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:]) if len(lists) > 1 else None
    pos = np.arange(len(flat), dtype=np.int64) - starts[owner] if len(flat) else np.zeros(0, np.int64)
    return known, flat, owner, pos


def _gather_children(ch: S.Children, lists: list, where: Callable[[int], str], p: Problems,
                     out: dict[str, dict[str, Any]]) -> np.ndarray:
    rec = ch.record
    known, flat, owner, pos = _flatten(lists, where, p, ch.name)
    loc = _ChildLocator(where, ch.name, owner, pos)
    keep = _mappings(flat, loc, p, "expected an object, got {type} {value}")
    if len(keep) != len(flat):
        flat = [flat[i] for i in keep.tolist()]
        owner, pos = owner[keep], pos[keep]
        loc = _ChildLocator(where, ch.name, owner, pos)
    extra = tuple(m.name for m in rec.members if not (isinstance(m, S.Field) and m.kind in S.SCALAR_KINDS))
    _check_keys(flat, extra + tuple(f.name for f in rec.scalars), loc, p)
    cols = _record_columns(rec, flat, loc, p)
    ok = np.ones(len(flat), dtype=bool)
    for m in rec.members:
        if not isinstance(m, S.Field):
            continue
        vals = column_of(flat, m.name) if m.kind in ("key", "keyset") or m.required else None
        if m.required:
            for i in [i for i, v in enumerate(vals) if v is None or (m.kind == "key" and (type(v) is not str or not v))]:
                v = vals[i]
                p.add(f"{loc(i)}.{m.name}",
                      f"required: the {rec.en} {m.en} ({m.expected()})" + (f", got {v!r}" if v is not None else ""))
                ok[i] = False
        if m.kind == "key":
            cols[m.name] = [v if o else "" for v, o in zip(vals, ok.tolist())]
        elif m.kind == "keyset":
            cols[m.name] = _keysets(m, vals, loc, p)
    for check in rec.checks:
        bad, field, message = check(cols)
        for i in np.flatnonzero(bad).tolist():
            p.add(f"{loc(i)}.{field}", message(i))
    for ym in S.year_maps(rec).values():
        out[ym.name] = _gather_year_map(ym, column_of(flat, ym.name), loc, p)
    if not ok.all():
        # a record without its required key is left out (its problem is reported); year maps
        # refer to staff rows, so they keep the numbering of the records kept
        sel = np.flatnonzero(ok)
        cols = {k: (v[sel] if isinstance(v, np.ndarray) else [v[i] for i in sel.tolist()]) for k, v in cols.items()}
        owner = owner[sel]
        for ym in S.year_maps(rec).values():
            remap = np.full(len(ok), -1, np.int64)
            remap[sel] = np.arange(len(sel))
            t = out[ym.name]
            m = remap[t["owner"]] >= 0
            t["owner"] = remap[t["owner"]][m]
            t["cols"] = {k: v[m] for k, v in t["cols"].items()}
    out[ch.name] = {"owner": owner, "cols": cols}
    return known


def _keysets(f: S.Field, vals: list, loc: Callable[[int], str], p: Problems) -> np.ndarray:
    """Sets of closed keys as bit masks (bit i = the vocabulary's key i)."""
    bits_of = {k: 1 << i for i, k in enumerate(f.vocab or ())}
    out = np.zeros(len(vals), dtype=f.dtype)
    for i, v in enumerate(vals):
        if not v:
            if v is not None and v != [] and v != ():
                p.add(f"{loc(i)}.{f.name}", f"expected a list of {f.name} keys, got {v!r}")
            continue
        if type(v) is not list:
            p.add(f"{loc(i)}.{f.name}", f"expected a list of {f.name} keys, got {v!r}")
            continue
        b = 0
        for key in v:
            bit = bits_of.get(key) if type(key) is str else None
            if bit is None:
                try:
                    bit = bits_of[f.vocab.check(key)]  # type: ignore[union-attr]
                except ValueError as exc:
                    p.add(f"{loc(i)}.{f.name}", str(exc))
                    continue
            b |= bit
        out[i] = b
    return out


def _gather_year_map(ym: S.YearMap, maps: list, loc: Callable[[int], str], p: Problems) -> dict[str, Any]:
    """The entries of year-keyed maps (``{"2017": "competent"}``) as rows of (owner, year, value),
    sorted by owner then year; a year without a value records nothing."""
    bad = [i for i, m in enumerate(maps) if m is not None and type(m) is not dict and not isinstance(m, Mapping)]
    for i in bad:
        p.add(f"{loc(i)}.{ym.name}", f"expected an object of year: {ym.field.name}, got {maps[i]!r}")
    if bad:
        maps = [None if i in set(bad) else m for i, m in enumerate(maps)]
    counts = np.fromiter((len(m) if m else 0 for m in maps), dtype=np.int64, count=len(maps))
    owner = np.repeat(np.arange(len(maps), dtype=np.int64), counts)
    keys = list(chain.from_iterable(m for m in maps if m))
    vals = list(chain.from_iterable(m.values() for m in maps if m))
    years = np.zeros(len(keys), dtype=np.int64)
    keep = np.ones(len(keys), dtype=bool)
    if keys and set(map(type, keys)) == {str}:  # all four-digit years in range: converted as a whole
        text = "".join(keys)
        if len(text) == 4 * len(keys) and text.isascii() and text.isdigit():
            y4 = np.frombuffer(text.encode("ascii"), dtype="S4").astype(np.int64)
            if ((y4 >= ym.low) & (y4 <= ym.high)).all():
                years, keys = y4, []
    lo, hi = str(ym.low), str(ym.high)
    for k, (i, y) in enumerate(zip(owner.tolist(), keys)):
        if type(y) is str and len(y) == 4 and y.isascii() and y.isdigit() and lo <= y <= hi:
            years[k] = int(y)
            continue
        try:
            year = int(y)
            if not ym.low <= year <= ym.high:
                raise ValueError
            years[k] = year
        except (TypeError, ValueError, OverflowError):
            p.add(f"{loc(i)}.{ym.name}", f"expected a year from {ym.low} to {ym.high} as key, got {y!r}")
            keep[k] = False
    keep &= np.fromiter((v is not None for v in vals), dtype=bool, count=len(vals))
    order = np.lexsort((years, owner))
    order = order[keep[order]]
    owner, years = owner[order], years[order]
    vals = [vals[k] for k in order.tolist()]
    # a value's problem is named by its year, as ``staff[1].ratings.2017``
    col = encode_values(ym.field, vals, lambda k: f"{loc(int(owner[k]))}.{ym.name}.{int(years[k])}", p, "")
    return {"owner": owner, "cols": {"year": years.astype(np.int16), ym.field.name: col}}


def _gather_tags(t: S.Tags, lists: list, where: Callable[[int], str], p: Problems,
                 out: dict[str, dict[str, Any]]) -> np.ndarray:
    known, flat, owner, pos = _flatten(lists, where, p, t.name)
    index = t.vocab._index
    bad = [i for i, k in enumerate(flat) if not (type(k) is str and (k in index or (t.vocab.open and k)))]
    if bad:
        ok = np.ones(len(flat), dtype=bool)
        for i in bad:
            try:
                t.vocab.check(flat[i])
            except ValueError as exc:
                p.add(f"{where(int(owner[i]))}.{t.name}[{int(pos[i])}]", str(exc))
            ok[i] = False
        sel = np.flatnonzero(ok)
        flat = [flat[i] for i in sel.tolist()]
        owner = owner[sel]
    out[t.name] = {"owner": owner, "cols": {"key": flat}}
    return known


def gather_communities(items: Sequence[Any], p: Problems, offset: int = 0) -> Gathered:
    """Gather communities (*offset*: the input position of the first, when read in batches)."""
    start = len(p.items)
    n = len(items)
    where = _Locator("communities", n, offset)
    dicts, code, okset = _records_and_codes(items, where, p, "expected an object with code and name, got {type}")
    for i in np.flatnonzero((code >= 0) & (code % 1000 == 0)).tolist():
        depth = levels_of(np.array([code[i]]))[0]
        p.add(f"{where(i)}.code", f"{code[i]:012d} is a {LEVELS[depth].value} code, expected a community code "
                                  "(its last three digits not 000)")
        code[i] = -1
    names = _names_of_rows(column_of(dicts, "name"), where, p, okset)
    given = _codes(column_of(dicts, "parent"), where, p, "parent", required=False)
    _check_keys(dicts, COMMUNITY_KEYS, where, p)
    cols = _record_columns(S.COMMUNITY, dicts, where, p)
    known: dict[str, np.ndarray] = {}
    children: dict[str, dict[str, Any]] = {}
    for name, ch in S.CHILDREN.items():
        known[name] = _gather_children(ch, column_of(dicts, name), where, p, children)
    for name, t in S.TAGS.items():
        known[name] = _gather_tags(t, column_of(dicts, name), where, p, children)
    _in_doc_order(p, start)
    return Gathered(code, names, given, cols, known, children, where)


def _names_of_rows(values: list, where: Callable[[int], str], p: Problems, rows: set | None) -> list:
    """Names (None where bad), a problem for each bad one among *rows* (all when None)."""
    out = list(values)
    for i, v in enumerate(values):
        if type(v) is str and v.strip():
            continue
        if rows is not None and i not in rows:
            out[i] = None
        elif type(v) is not str or not v.strip():
            p.add(f"{where(i)}.name", f"required: a non-empty name, got {v!r}")
            out[i] = None
    return out


def check_tree(rcode: np.ndarray, rgiven: np.ndarray, ccode: np.ndarray, cgiven: np.ndarray,
               rloc: Any, cloc: Any, p: Problems) -> None:
    """Validate the hierarchy of region codes *rcode* and community codes *ccode* (int64, -1 = bad).

    *rgiven*/*cgiven* hold explicitly given parent codes (-1 where none was given). Checks: no
    duplicate code, every parent exists, is exactly one level up and is a prefix of the child;
    reports cycles among given parents. ``rloc(i)``/``cloc(i)`` name a row for messages.
    """
    allc = np.concatenate([rcode, ccode])
    valid = allc >= 0
    s_all = np.sort(allc[valid])
    repeated = s_all[1:][s_all[1:] == s_all[:-1]]
    if len(repeated):
        pos = np.flatnonzero(valid)
        for code in np.unique(repeated):
            rows = pos[np.flatnonzero(allc[valid] == code)]
            places = [rloc(r) if r < len(rcode) else cloc(r - len(rcode)) for r in rows]
            p.add(places[-1], f"duplicate code {code:012d}: also at {', '.join(places[:-1])}")
    region_set = np.sort(rcode[rcode >= 0])
    depth_r = levels_of(np.where(rcode >= 0, rcode, 10**11))
    for codes, given, loc, is_comm in ((rcode, rgiven, rloc, False), (ccode, cgiven, cloc, True)):
        ok = codes >= 0
        depth = np.full(len(codes), 4, dtype=np.int8) if is_comm else depth_r
        has_parent = ok & (depth > 0)
        derived = np.full(len(codes), -1, dtype=np.int64)
        for d in range(1, 5):
            m = has_parent & (depth == d)
            derived[m] = truncate(codes[m], d - 1)
        # an explicitly given parent that differs from the one the digits imply
        bad_given = has_parent & (given >= 0) & (given != derived)
        for i in np.flatnonzero(bad_given):
            p.add(f"{loc(i)}.parent", _parent_message(int(codes[i]), int(given[i]), int(derived[i]), region_set))
        # province codes given a parent
        for i in np.flatnonzero(ok & (depth == 0) & (given >= 0)):
            p.add(f"{loc(i)}.parent", f"{codes[i]:012d} is a province and has no parent, got {given[i]:012d}")
        # the parent the digits imply must exist
        need = has_parent & ~bad_given
        idx = np.searchsorted(region_set, derived[need])
        idx[idx >= len(region_set)] = 0
        found = region_set[idx] == derived[need] if len(region_set) else np.zeros(need.sum(), bool)
        for i in np.flatnonzero(need)[~found]:
            d = int(depth[i]) - 1
            p.add(f"{loc(i)}.parent", f"unknown parent: no {LEVELS[d].value} with code {derived[i]:012d} "
                                      f"(the parent of {codes[i]:012d} by its digits) in the dataset")
    _report_cycles(rcode, rgiven, rloc, p)


def _parent_message(code: int, given: int, derived: int, region_set: np.ndarray) -> str:
    own, gd = levels_of(np.array([code, given]))
    exists = bool(len(region_set)) and region_set[min(np.searchsorted(region_set, given), len(region_set) - 1)] == given
    g, c = f"{given:012d}", f"{code:012d}"
    if not exists:
        return f"unknown parent {g}: no region with this code (expected {derived:012d}, the parent by its digits)"
    if gd >= own:
        return (f"parent {g} is a {LEVELS[gd].value}, not above this {LEVELS[own].value}: a parent must be "
                f"exactly one level higher (a parent at the same or a lower level forms a cycle)")
    if gd < own - 1:
        return (f"level skipped: parent {g} is a {LEVELS[gd].value}, but the parent of a {LEVELS[own].value} "
                f"must be a {LEVELS[own - 1].value} (expected {derived:012d})")
    return (f"code outside its parent's prefix: {c} does not start with the {LEVELS[gd].digits} digits of its "
            f"parent {g} (expected parent {derived:012d})")


def _report_cycles(codes: np.ndarray, given: np.ndarray, loc: Any, p: Problems) -> None:
    parent = {int(c): int(g) for c, g in zip(codes, given) if c >= 0 and g >= 0}
    where = {int(c): i for i, c in enumerate(codes) if c >= 0}
    reported: set[int] = set()
    for start in parent:
        path, node = [], start
        while node in parent and node not in path and len(path) <= 5:
            path.append(node)
            node = parent[node]
        if node in path and node not in reported:
            cyc = path[path.index(node):]
            reported.update(cyc)
            p.add(f"{loc(where[node])}.parent",
                  "cycle: " + " → ".join(f"{c:012d}" for c in cyc + [node]) + " (the hierarchy must be a tree)")




_DOC_KEYS = ("schema", "regions", "communities", "metadata")


def check_document(doc: Any) -> Problems:
    """The problems of a document's top level: its type, schema version, keys and list types."""
    p = Problems()
    if not isinstance(doc, Mapping):
        p.add("", f"expected a JSON object with schema, regions and communities, got {type(doc).__name__}")
        return p
    schema = doc.get("schema")
    if schema != SCHEMA:
        p.add("schema", f"expected {SCHEMA!r}, got {schema!r}" + ("" if schema is not None else " (missing)"))
    for k in doc:
        if k not in _DOC_KEYS:
            p.add(k, _unknown_key(k, _DOC_KEYS))
    for name in ("regions", "communities"):
        v = doc.get(name, [])
        if not isinstance(v, list):
            p.add(name, f"expected a list, got {type(v).__name__}")
    return p


def from_dict(doc: Any, source: str | None = None) -> Store:
    """Build a store from an interchange-format document, raising one ValidationError for all problems."""
    p = check_document(doc)
    p.raise_if_any(source)
    r = gather_regions(doc.get("regions", []), p)
    c = gather_communities(doc.get("communities", []), p)
    return assemble(r, c, p, source)


def concat_gathered(parts: list[Gathered]) -> Gathered:
    """One gathered table from batches gathered in input order (owner rows renumbered)."""
    if len(parts) == 1:
        return parts[0]
    rows = np.cumsum([0] + [len(g.code) for g in parts])
    children: dict[str, dict[str, Any]] = {}
    for name in parts[0].children:
        owners, cols = [], {k: [] for k in parts[0].children[name]["cols"]}
        for g, base in zip(parts, rows[:-1].tolist()):
            t = g.children[name]
            owners.append(np.asarray(t["owner"], np.int64) + base)
            for k, v in t["cols"].items():
                cols[k].append(v)
        children[name] = {"owner": np.concatenate(owners),
                          "cols": {k: (np.concatenate(v) if isinstance(v[0], np.ndarray) else _concat_keys(v))
                                   for k, v in cols.items()}}
    # year maps refer to rows of their child table: shift by the child rows of earlier batches
    for ch in S.CHILDREN.values():
        for ym in S.year_maps(ch.record).values():
            counts = np.cumsum([0] + [len(g.children[ch.name]["owner"]) for g in parts])
            owners = [np.asarray(g.children[ym.name]["owner"], np.int64) + base
                      for g, base in zip(parts, counts[:-1].tolist())]
            children[ym.name]["owner"] = np.concatenate(owners)
    first = parts[0]
    return Gathered(np.concatenate([g.code for g in parts]), list(chain.from_iterable(g.name for g in parts)),
                    np.concatenate([g.given_parent for g in parts]),
                    {k: np.concatenate([g.cols[k] for g in parts]) for k in first.cols},
                    {k: np.concatenate([g.known[k] for g in parts]) for k in first.known}, children,
                    _Batched([g.where for g in parts], rows))


def _concat_keys(parts: list[Any]) -> Any:
    """Key columns of batches (lists of strings, or :class:`Interned` from a columnar reader) as one:
    a list when every batch is one, else one Interned column over the union of the strings."""
    if not any(isinstance(v, Interned) for v in parts):
        return list(chain.from_iterable(parts))
    index: dict[str, int] = {}
    codes = []
    for v in parts:
        if isinstance(v, Interned):
            lut = np.fromiter((index.setdefault(k, len(index)) for k in v.strings), np.int32, len(v.strings))
            codes.append(lut[v.codes] if len(v.codes) else np.zeros(0, np.int32))
        else:
            codes.append(np.fromiter((index.setdefault(k, len(index)) for k in v), np.int32, len(v)))
    return Interned(list(index), np.concatenate(codes))


class _Batched:
    """The locator of a table gathered in batches: row *i* named by its batch's locator."""

    __slots__ = ("parts", "rows")

    def __init__(self, parts: list[Any], rows: np.ndarray):
        self.parts, self.rows = parts, rows

    def __call__(self, i: int) -> str:
        b = int(np.searchsorted(self.rows, i, side="right")) - 1
        return self.parts[b](i - int(self.rows[b]))


def _child(owner: np.ndarray, cols: dict[str, np.ndarray], n: int, order: np.ndarray | None,
           strings: list[str] | None = None) -> Child:
    """A child table from gathered columns; *order* maps input owner rows to sorted rows (``None``:
    they are sorted already). Records already grouped by owner (as a columnar file holds them) are
    taken as they are."""
    if not len(owner):
        own = np.zeros(0, np.int32)
    else:
        own = (owner if order is None else order[owner]).astype(np.int32, copy=False)
    if len(own) < 2 or (own[1:] >= own[:-1]).all():
        return Child(own, _offsets(own, n), {k: np.asarray(v) for k, v in cols.items()}, strings)
    perm = np.argsort(own, kind="stable")
    return Child(own[perm], _offsets(own[perm], n), {k: np.asarray(v)[perm] for k, v in cols.items()}, strings)


def assemble(r: Gathered, c: Gathered, p: Problems, source: str | None) -> Store:
    """Check the hierarchy of gathered regions and communities, then build the store (sorted by code)."""
    rloc = r.where or _Locator("regions", len(r.code))
    cloc = c.where or _Locator("communities", len(c.code))
    check_tree(r.code, r.given_parent, c.code, c.given_parent, rloc, cloc, p)
    p.raise_if_any(source)
    rorder = np.argsort(r.code, kind="stable")
    rcode = r.code[rorder]
    regions: dict[str, np.ndarray] = {
        "code": rcode,
        "name": np.array(r.name, dtype=object)[rorder] if len(rcode) else np.zeros(0, object),
        "depth": levels_of(rcode),
    }
    for name, spec in REGION_SPECS.items():
        regions[name] = np.asarray(r.cols[name], dtype=spec.dtype)[rorder]
    regions["parent"] = parent_rows(rcode, regions["depth"])
    n = len(c.code)
    if n < 2 or (c.code[1:] > c.code[:-1]).all():  # in code order already (a columnar file): no copies
        inv = None
        take: Callable[[np.ndarray], np.ndarray] = lambda a: a  # noqa: E731
    else:
        corder = np.argsort(c.code, kind="stable")
        inv = np.empty(n, dtype=np.int64)
        inv[corder] = np.arange(n)
        take = lambda a: a[corder]  # noqa: E731
    comms: dict[str, np.ndarray] = {
        "code": take(c.code),
        "name": take(np.array(c.name, dtype=object)) if n else np.zeros(0, object),
    }
    for path, spec in S.COMMUNITY_COLUMNS:
        comms[path] = take(np.asarray(c.cols[path], dtype=spec.dtype))
    for k in LIST_FIELDS:
        comms[f"known.{k}"] = (take(np.asarray(c.known[k], dtype=bool)) if k in c.known
                               else np.zeros(n, dtype=bool))
    store_comm_ancestors(comms, rcode)
    g = c.children
    tables: dict[str, Child] = {}
    for name, ch in S.CHILDREN.items():
        spec = ch.record.child_columns()
        cols = dict(g[name]["cols"])
        strings = None
        for k, f in spec.items():
            if f.kind == "key":
                strings, codes = intern_keys(cols[k], f.vocab)  # type: ignore[arg-type]
                cols[k] = codes.astype(f.dtype)
            else:
                cols[k] = np.asarray(cols[k], dtype=f.dtype)
        maps = S.year_maps(ch.record)
        if maps:
            cols["input_row"] = np.arange(len(g[name]["owner"]), dtype=np.int64)
        child = _child(np.asarray(g[name]["owner"]), cols, n, inv, strings)
        if maps:
            # year maps belong to child rows: map input rows to sorted rows
            rows = child.cols.pop("input_row")
            child_inv: np.ndarray | None = None
            if len(rows) and not (rows[1:] > rows[:-1]).all():
                child_inv = np.empty(len(child), dtype=np.int64)
                child_inv[rows] = np.arange(len(child))
            for ym in maps.values():
                t = g[ym.name]
                tables[ym.name] = _child(np.asarray(t["owner"]),
                                         {"year": np.asarray(t["cols"]["year"], np.int16),
                                          ym.field.name: np.asarray(t["cols"][ym.field.name], ym.field.dtype)},
                                         len(child), child_inv)
        tables[name] = child
    tags = {}
    for name, t in S.TAGS.items():
        strings, codes = intern_keys(g[name]["cols"]["key"], t.vocab)
        child = _child(np.asarray(g[name]["owner"]), {"key": codes}, n, inv, strings)
        if not t.ordered:  # a set of closed keys: repeats collapse, stored in the vocabulary's order
            own, key = child.owner.astype(np.int64), child.cols["key"].astype(np.int64)
            combined = own * (len(strings) + 1) + key
            if len(combined) > 1 and not (combined[1:] > combined[:-1]).all():  # not yet a sorted set
                combined = np.sort(combined)
                combined = combined[np.concatenate([[True], combined[1:] != combined[:-1]])]
            own = (combined // (len(strings) + 1)).astype(np.int32)
            child = Child(own, _offsets(own, n), {"key": (combined % (len(strings) + 1)).astype(np.int32)}, strings)
        tags[name] = child
    return Store(regions, comms, tables["facilities"], tables["staff"], tables["ratings"], tables["tasks"], tags)


class Interned:
    """Keys given as codes into a string table (from a columnar source), not as one string each."""

    __slots__ = ("strings", "codes")

    def __init__(self, strings: list[str], codes: np.ndarray):
        self.strings, self.codes = strings, codes

    def __len__(self) -> int:
        return len(self.codes)


def intern_keys(values: Any, vocab: Vocabulary) -> tuple[list[str], np.ndarray]:
    """:func:`intern` for a list of strings or an :class:`Interned` column (re-coded in one step)."""
    if isinstance(values, Interned):
        table, new = intern(list(values.strings), vocab)
        lut = np.asarray(new, dtype=np.int32) if new else np.zeros(0, np.int32)
        return table, lut[values.codes] if len(values.codes) else np.zeros(0, np.int32)
    table, codes = intern(list(values), vocab)
    return table, np.asarray(codes, dtype=np.int32)


def intern(values: list[str], vocab: Vocabulary) -> tuple[list[str], list[int]]:
    """Codes for *values* into a string table: the vocabulary's keys first, then other strings sorted."""
    table = list(vocab)
    extra = sorted(set(values) - set(table))
    table += extra
    index = {k: i for i, k in enumerate(table)}
    return table, [index[v] for v in values]


def parent_rows(rcode: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Row of each region's parent among the sorted region codes (-1 for provinces)."""
    parent = np.full(len(rcode), -1, dtype=np.int32)
    for d in range(1, 4):
        m = depth == d
        if m.any():
            parent[m] = np.searchsorted(rcode, truncate(rcode[m], d - 1))
    return parent


def store_comm_ancestors(comms: dict[str, np.ndarray], rcode: np.ndarray) -> None:
    """Fill ``anc`` (rows of the province, city, district, street of each community) and ``parent``."""
    ccode = comms["code"]
    anc = np.empty((4, len(ccode)), dtype=np.int32)
    for d in range(4):
        anc[d] = np.searchsorted(rcode, truncate(ccode, d))
    comms["anc"] = anc
    comms["parent"] = anc[3]


# --- writing back to dicts ------------------------------------------------------------------------



# --- writing back to records ----------------------------------------------------------------------

def region_dicts(st: Store) -> list[dict[str, Any]]:
    r = st.regions
    codes = [f"{c:012d}" for c in r["code"].tolist()]
    names = r["name"].tolist()
    levels = [LEVELS[d].value for d in r["depth"].tolist()]
    parents = r["parent"].tolist()
    fields = [(name, spec.decode(r[name])) for name, spec in REGION_SPECS.items()]
    out = []
    for i, code in enumerate(codes):
        d: dict[str, Any] = {"code": code, "name": names[i], "level": levels[i]}
        if parents[i] >= 0:
            d["parent"] = codes[parents[i]]
        for name, col in fields:
            v = col[i]
            if v is not None:
                d[name] = v
        out.append(d)
    return out


def _group_dicts(rec: S.Record, cols: Mapping[str, np.ndarray], n: int, prefix: str = "") -> list[dict[str, Any]]:
    """Per row, the dict of *rec*'s scalars and groups (missing values and empty groups left out)."""
    parts: list[tuple[str, Any]] = []
    for m in rec.members:
        if isinstance(m, S.Field) and m.kind in S.SCALAR_KINDS:
            parts.append((m.name, m.decode(cols[prefix + m.name])))
        elif isinstance(m, S.Group):
            parts.append((m.name, _group_dicts(m.record, cols, n, f"{prefix}{m.name}.")))
    return _zip_parts(parts, [{} for _ in range(n)])


def child_dicts(st: Store, name: str, sub: Child, src: np.ndarray) -> list[Any]:
    """The records of child table *name* in *sub* (rows *src* of the store's table) as dicts or keys."""
    if name in S.TAGS:
        strings = sub.strings or []
        return [strings[k] for k in sub.cols["key"].tolist()]
    rec = S.CHILDREN[name].record
    n = len(sub)
    cols: list[tuple[str, Any]] = []
    for m in rec.members:
        if isinstance(m, S.Field):
            col = sub.cols[m.name]
            if m.kind == "key":
                strings = sub.strings or []
                cols.append((m.name, [strings[k] for k in col.tolist()]))
            elif m.kind == "keyset":
                keys = list(m.vocab or ())
                cols.append((m.name, [[k for b, k in enumerate(keys) if bits >> b & 1] for bits in col.tolist()]))
            else:
                cols.append((m.name, m.decode(col)))
        elif isinstance(m, S.YearMap):
            table = getattr(st, m.name)
            msub, _ = table.take_owners(src)
            years = msub.cols["year"].tolist()
            vals = m.field.decode(msub.cols[m.field.name])
            off = msub.offsets.tolist()
            # an empty map and no map are the same to every rule: only a non-empty one is written
            cols.append((m.name, [{str(years[r]): vals[r] for r in range(off[i], off[i + 1])} or None
                                  for i in range(n)]))
    out = []
    for i in range(n):
        d: dict[str, Any] = {}
        for key, col in cols:
            v = col[i]
            if v is not None:
                d[key] = v
        out.append(d)
    return out


def community_dicts(st: Store, rows: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Interchange-format dicts of the communities at *rows* (all when ``None``), in Community field order."""
    cm = st.communities
    rows_arr = np.arange(st.n_communities) if rows is None else np.asarray(rows, dtype=np.int64)
    n = len(rows_arr)
    codes = cm["code"][rows_arr].tolist()
    rcode = st.regions["code"]
    parents = rcode[cm["parent"][rows_arr]].tolist() if len(rcode) else [None] * n
    names = cm["name"][rows_arr].tolist()
    flat = {path: cm[path][rows_arr] for path, _ in S.COMMUNITY_COLUMNS}
    parts: list[tuple[str, Any]] = []
    for m in S.COMMUNITY.members[3:]:
        if isinstance(m, S.Field):
            parts.append((m.name, m.decode(flat[m.name])))
        elif isinstance(m, S.Group):
            parts.append((m.name, _group_dicts(m.record, flat, n, m.name + ".")))
        else:
            child = st.tags[m.name] if m.name in S.TAGS else getattr(st, m.name)
            sub, src = child.take_owners(rows_arr)
            records = child_dicts(st, m.name, sub, src)
            off = sub.offsets.tolist()
            known = cm[f"known.{m.name}"][rows_arr].tolist()
            parts.append((m.name, [records[off[j]:off[j + 1]] if known[j] else None for j in range(n)]))
    return _zip_parts(parts, [{"code": f"{codes[j]:012d}", "name": names[j], "parent": f"{parents[j]:012d}"}
                              for j in range(n)])


# --- fingerprint ------------------------------------------------------------------------------------

def _canonical(arr: np.ndarray) -> np.ndarray:
    """A column with one bit pattern per value: NaN as numpy's NaN, -0.0 as 0.0."""
    if arr.dtype.kind == "f":
        arr = arr + 0.0
        if len(arr) > _FEW_VALUES or any(v != v for v in arr.tolist()):  # (a few values: looked at in Python)
            nan = np.isnan(arr)
            if nan.any():
                arr[nan] = np.nan
    return np.ascontiguousarray(arr)


def _is_missing(spec: S.Field, arr: np.ndarray) -> bool:
    if len(arr) <= _FEW_VALUES:  # a few values (a small request): the same tests in Python
        values = arr.tolist()
        return all(v != v for v in values) if spec.numeric else all(v == -1 for v in values) if spec.kind in (
            "bool", "enum", "int") else False
    return bool(np.isnan(arr).all()) if spec.numeric else bool((arr == -1).all()) if spec.kind in (
        "bool", "enum", "int") else False


def _text_bytes(values: Any) -> bytes:
    """Strings as their lengths, then their UTF-8 text (no separator can be confused with content)."""
    values = list(values)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    return lengths.tobytes() + "".join(values).encode("utf-8", "surrogatepass")


def _keys_canonical(codes: np.ndarray, strings: list[str] | None, vocab: Vocabulary) -> tuple[np.ndarray, list[str]]:
    """Codes into the canonical string table of the strings actually used (the vocabulary's keys,
    then the others sorted): the same strings give the same codes whatever the table they came from."""
    strings = strings or list(vocab)
    used = np.flatnonzero(np.bincount(codes, minlength=len(strings)))
    table, new = intern([strings[i] for i in used.tolist()], vocab)
    lut = np.zeros(len(strings), dtype=np.int32)
    lut[used] = new
    return lut[codes].astype(np.int32), table


def _fingerprint_parts(st: Store) -> list[tuple[str, Any]]:
    """Every (name, bytes or array) that identifies the content, in a fixed order."""
    parts: list[tuple[str, Any]] = []
    r, cm = st.regions, st.communities
    parts += [("regions.code", r["code"]), ("regions.name", _text_bytes(r["name"]))]
    for name, f in REGION_SPECS.items():
        if not _is_missing(f, r[name]):
            parts.append((f"regions.{name}", _canonical(r[name])))
    parts += [("communities.code", cm["code"]), ("communities.name", _text_bytes(cm["name"]))]
    for path, f in S.COMMUNITY_COLUMNS:
        if not _is_missing(f, cm[path]):
            parts.append((f"communities.{path}", _canonical(cm[path])))
    for name in LIST_FIELDS:
        parts.append((f"communities.known.{name}", cm[f"known.{name}"]))
    for name, ch in S.CHILDREN.items():
        child: Child = getattr(st, name)
        parts.append((f"{name}.offsets", child.offsets))
        for k, f in ch.record.child_columns().items():
            col = child.cols[k]
            if f.kind == "key":
                codes, table = _keys_canonical(col, child.strings, f.vocab)  # type: ignore[arg-type]
                parts += [(f"{name}.{k}.strings", _text_bytes(table)), (f"{name}.{k}", codes)]
            elif f.kind == "keyset" or not _is_missing(f, col):
                parts.append((f"{name}.{k}", _canonical(col)))
        for ym in S.year_maps(ch.record).values():
            t: Child = getattr(st, ym.name)
            parts += [(f"{name}.{ym.name}.offsets", t.offsets), (f"{name}.{ym.name}.year", t.cols["year"]),
                      (f"{name}.{ym.name}.{ym.field.name}", t.cols[ym.field.name])]
    for name, tg in S.TAGS.items():
        child = st.tags[name]
        codes, table = _keys_canonical(child.cols["key"], child.strings, tg.vocab)
        parts += [(f"{name}.offsets", child.offsets), (f"{name}.strings", _text_bytes(table)), (name, codes)]
    return parts


def fingerprint(st: Store) -> str:
    """The SHA-256 of a dataset's content, hashed from its column buffers.

    The same data gives the same value whatever it was read from (JSON, CSV, Parquet, frames,
    objects): columns are canonical (sorted by code; NaN and -0.0 normalised; open-vocabulary
    keys re-interned). Each part is hashed with its name (the flat field path), dtype and length,
    and the part digests are hashed in a fixed order after the schema version. A column that is
    missing everywhere is left out, so adding a field to the schema does not change the
    fingerprint of data that does not use it; renaming a field, changing its storage dtype or the
    schema version does. Tables are hashed on two threads (hashlib releases the GIL) unless small.
    """
    from concurrent.futures import ThreadPoolExecutor
    import hashlib

    parts = _fingerprint_parts(st)

    def digest(part: tuple[str, Any]) -> bytes:
        name, data = part
        h = hashlib.sha256()
        if isinstance(data, np.ndarray):
            h.update(f"{name}\0{data.dtype.str}\0{data.shape}\0".encode())
            h.update(memoryview(np.ascontiguousarray(data)).cast("B"))
        else:
            h.update(f"{name}\0bytes\0{len(data)}\0".encode())
            h.update(data)
        return h.digest()

    if sum(d.nbytes if isinstance(d, np.ndarray) else len(d) for _, d in parts) < 2**20:
        digests = [digest(p) for p in parts]  # a small dataset: starting threads would cost more than hashing
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:
            digests = list(pool.map(digest, parts))
    top = hashlib.sha256(f"{SCHEMA}\0".encode())
    for d in digests:
        top.update(d)
    return top.hexdigest()


def _zip_parts(parts: list[tuple[str, list[Any]]], out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill record *j* of *out* with each part's value *j* (a missing value or an empty object is left out)."""
    for key, col in parts:
        for d, v in zip(out, col):
            if v is not None and v != {}:
                d[key] = v
    return out
