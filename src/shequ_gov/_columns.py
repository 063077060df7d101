"""The columnar store behind a Dataset, and its conversion from and to interchange-format dicts.

Layout (every table sorted by code; child records grouped by owner, in their input order):

- ``regions``: ``code`` int64, ``name`` object, ``depth`` int8 (0 province … 3 street),
  ``parent`` int32 row of the parent region (-1 for a province), and the region fields.
- ``communities``: ``code``, ``name``, ``parent`` (row of its street), ``anc`` int32[4, n] (row of
  its province, city, district and street), one column per scalar field (flat dotted paths such
  as ``funding.operating``), and ``known.<list>`` bool columns for the list fields.
- child tables (``facilities``, ``staff``, ``tasks``, ``plaques``, ``unified``, ``bodies``, and
  ``ratings`` under ``staff``): an ``owner`` int32 column and ``offsets`` int64[n_owner + 1].

Missing values: float columns hold NaN, small-integer columns (booleans, enums) hold -1.
Nothing here is public; :class:`~shequ_gov.Dataset` is the interface.
"""

from __future__ import annotations

import difflib
import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from . import _schema as S
from ._codes import SCALE, levels_of, normalize_code, truncate
from ._errors import Problems
from ._vocab import BODIES, PLAQUES, ROLES, TASK_KINDS, UNIFIED, Level, Vocabulary

SCHEMA = "shequ-gov/1"
NAN = math.nan
LEVELS = list(Level)

COMMUNITY_KEYS = ("code", "name", "parent", "area_type", "households", "population", "new_build", "facilities",
                  "plaques", "unified", "bodies", "staff", "tasks", "funding", "burden", "assessment", "grids",
                  "group_leader_subsidy", "convenience_minutes", "convenience_distance")
REGION_KEYS = ("code", "name", "level", "parent") + tuple(f.name for f in S.REGION_FIELDS)
LIST_FIELDS = ("facilities", "staff", "tasks", "plaques", "unified", "bodies")
TAG_VOCABS: dict[str, Vocabulary] = {"plaques": PLAQUES, "unified": UNIFIED, "bodies": BODIES}
NESTED = {
    "funding": {f.name: f for f in S.FUNDING_FIELDS},
    "burden": {f.name: f for f in S.BURDEN_FIELDS},
}
TOP_SCALARS = {f.name: f for f in S.COMMUNITY_FIELDS}
FACILITY_SPECS = {f.name: f for f in S.FACILITY_FIELDS}
STAFF_SPECS = {f.name: f for f in S.STAFF_FIELDS}
TASK_SPECS = {f.name: f for f in S.TASK_FIELDS}
REGION_SPECS = {f.name: f for f in S.REGION_FIELDS}
ROLE_BITS = {k: 1 << i for i, k in enumerate(ROLES)}


# --- column encoding -----------------------------------------------------------------------------

def dtype_of(spec: S.Field) -> np.dtype:
    """Storage dtype of a field: float64 (NaN missing) for numbers, int8 (-1 missing) otherwise."""
    return np.dtype(np.float64) if spec.kind in ("count", "quantity", "share") else np.dtype(np.int8)


def missing_of(spec: S.Field) -> Any:
    return NAN if spec.kind in ("count", "quantity", "share") else -1


def encode(spec: S.Field, value: Any) -> Any:
    """A parsed (canonical) value as stored in its column."""
    if spec.kind == "bool":
        return int(value)
    if spec.kind == "enum":
        assert spec.vocab is not None
        return spec.vocab.index(value)
    return value


def decode_column(spec: S.Field, column: np.ndarray) -> list[Any]:
    """A whole column back to canonical JSON values (``None`` for missing)."""
    if spec.kind in ("count", "quantity", "share"):
        out: list[Any] = column.tolist()
        if spec.kind == "count":
            return [None if v != v else int(v) for v in out]
        if spec.kind == "quantity":
            return [None if v != v else (int(v) if v.is_integer() and abs(v) < 2**53 else v) for v in out]
        return [None if v != v else v for v in out]
    ints = column.tolist()
    if spec.kind == "bool":
        return [None if v < 0 else bool(v) for v in ints]
    if spec.kind == "enum":
        keys = list(spec.vocab or ())
        return [None if v < 0 else keys[v] for v in ints]
    return [None if v < 0 else v for v in ints]


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
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=off[1:])
    return off


def _child(owner: list[int], cols: dict[str, list], dtypes: dict[str, Any], n: int, order: np.ndarray,
           strings: list[str] | None = None) -> Child:
    """Assemble a child table from builder lists; *order* maps input owner rows to sorted rows."""
    own = order[np.asarray(owner, dtype=np.int64)].astype(np.int32) if owner else np.zeros(0, np.int32)
    perm = np.argsort(own, kind="stable")
    arrays = {k: np.asarray(v, dtype=dtypes[k])[perm] for k, v in cols.items()}
    own = own[perm]
    return Child(own, _offsets(own, n), arrays, strings)


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


# --- building from dicts --------------------------------------------------------------------------

_INF = float("inf")


def _fast(spec: S.Field) -> Any:
    """A fast encoder for well-typed values of *spec*; returns _SLOW when the full parser is needed."""
    k = spec.kind
    if k == "quantity":
        def enc(v: Any) -> Any:
            t = type(v)
            if (t is float or t is int) and 0 <= v < _INF:
                return v + 0.0
            return _SLOW
    elif k == "count":
        def enc(v: Any) -> Any:
            if type(v) is int and v >= 0:
                return float(v)
            return _SLOW
    elif k == "share":
        def enc(v: Any) -> Any:
            t = type(v)
            if (t is float or t is int) and 0 <= v <= 1:
                return v + 0.0
            return _SLOW
    elif k == "bool":
        def enc(v: Any) -> Any:
            if v is True:
                return 1
            if v is False:
                return 0
            return _SLOW
    elif k == "enum":
        index = {key: i for i, key in enumerate(spec.vocab or ())}

        def enc(v: Any) -> Any:
            i = index.get(v) if type(v) is str else None
            return _SLOW if i is None else i
    else:
        def enc(v: Any) -> Any:
            if type(v) is int and spec.low <= v <= (spec.high if spec.high is not None else v):
                return v
            return _SLOW
    return enc


_SLOW = object()
def _bool(v: Any) -> int | None:
    """1, 0 or -1 (missing) for True, False or None; None for anything else (1 is not True here)."""
    if v is True:
        return 1
    if v is False:
        return 0
    return -1 if v is None else None
_FAC_KEYS = {"kind", "area"}
_FAC_INDEX = {k: i for i, k in enumerate(S.FACILITY_FIELDS[0].vocab or ())}
_TASK_KEYS = {"kind", "role", "funded", "on_access_list", "legal_basis"}
_TASK_ROLE_INDEX = {k: i for i, k in enumerate(S.TASK_FIELDS[0].vocab or ())}
_STAFF_KEYS = {"roles", "monthly_pay", "certified_social_worker", "post", "grade", "ratings"}
_RATING_INDEX = {k: i for i, k in enumerate(S.RATING_FIELD.vocab or ())}
_FAST = {id(f): _fast(f) for f in (*S.COMMUNITY_FIELDS, *S.FUNDING_FIELDS, *S.BURDEN_FIELDS, *S.WEIGHT_FIELDS,
                                   *S.ASSESSMENT_FIELDS, *S.FACILITY_FIELDS, *S.STAFF_FIELDS, *S.TASK_FIELDS,
                                   *S.REGION_FIELDS, S.RATING_FIELD)}


def _value(spec: S.Field, v: Any, p: Problems, where: Any, key: str) -> Any:
    """Encode *v* for *spec*: the fast path, else the full parser (recording its problem, missing then)."""
    r = _FAST[id(spec)](v)
    if r is not _SLOW:
        return r
    try:
        return encode(spec, spec.parse(v)) + (0.0 if spec.kind in ("count", "quantity", "share") else 0)
    except ValueError as exc:
        p.add(f"{where() if callable(where) else where}.{key}", str(exc))
        return missing_of(spec)

def _unknown_key(key: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    return f"unknown field {key!r}" + (f"; did you mean {hint[0]!r}?" if hint else "") + \
        f" (expected one of: {', '.join(allowed)})"


class _Where:
    """A location built only when a problem needs it (``communities[3] (code).staff[1]``)."""

    __slots__ = ("base", "j")

    def __init__(self, base: str, j: int):
        self.base = base
        self.j = j

    def __str__(self) -> str:
        return f"{self.base}[{self.j}]"

    def __call__(self) -> str:
        return str(self)


class _Builder:
    """Turns interchange-format dicts into columns, collecting every problem on the way."""

    def __init__(self, problems: Problems):
        self.p = problems

    # regions ---------------------------------------------------------------------------------------
    def regions(self, items: Sequence[Any]) -> dict[str, Any]:
        n = len(items)
        codes = np.full(n, -1, dtype=np.int64)
        names: list[Any] = [None] * n
        given_parent = np.full(n, -1, dtype=np.int64)
        fields = {name: [missing_of(spec)] * n for name, spec in REGION_SPECS.items()}
        for i, r in enumerate(items):
            where = f"regions[{i}]"
            if not isinstance(r, Mapping):
                self.p.add(where, f"expected an object with code, name and level, got {type(r).__name__}")
                continue
            code = self._code(r.get("code"), where, required=True)
            if code is not None:
                where = f"regions[{i}] ({code})"
                depth = levels_of(np.array([int(code)]))[0]
                if depth == 4:
                    self.p.add(f"{where}.code", f"{code} is a community code: communities go in 'communities'")
                else:
                    codes[i] = int(code)
                lv = r.get("level")
                if lv is not None:
                    try:
                        lvl = Level.parse(lv)
                    except ValueError as exc:
                        self.p.add(f"{where}.level", str(exc))
                    else:
                        if depth != 4 and lvl.depth != depth:
                            self.p.add(f"{where}.level", f"level {lvl.value!r} was given, but the code's digits "
                                                         f"make {code} a {LEVELS[depth].value}")
            names[i] = self._name(r.get("name"), where)
            par = r.get("parent")
            if par is not None:
                pc = self._code(par, f"{where}.parent")
                if pc is not None:
                    given_parent[i] = int(pc)
            for key, value in r.items():
                if key in ("code", "name", "level", "parent"):
                    continue
                spec = REGION_SPECS.get(key)
                if spec is None:
                    self.p.add(f"{where}.{key}", _unknown_key(key, REGION_KEYS))
                    continue
                if value is None:
                    continue
                try:
                    fields[key][i] = encode(spec, spec.parse(value))
                except ValueError as exc:
                    self.p.add(f"{where}.{key}", str(exc))
        return {"code": codes, "name": names, "given_parent": given_parent, "fields": fields}

    # communities -----------------------------------------------------------------------------------
    def communities(self, items: Sequence[Any]) -> dict[str, Any]:
        n = len(items)
        p = self.p
        codes = np.full(n, -1, dtype=np.int64)
        names: list[Any] = [None] * n
        given_parent = np.full(n, -1, dtype=np.int64)
        cols = {path: [missing_of(spec)] * n for path, spec in S.COMMUNITY_COLUMNS}
        known = {k: [False] * n for k in LIST_FIELDS}
        fac: dict[str, list] = {"owner": [], "kind": [], "area": []}
        stf: dict[str, list] = {"owner": [], "roles": [], "monthly_pay": [], "certified_social_worker": [],
                                "post": [], "grade": []}
        rat: dict[str, list] = {"owner": [], "year": [], "rating": []}
        tsk: dict[str, list] = {"owner": [], "kind": [], "role": [], "funded": [], "on_access_list": [],
                                "legal_basis": []}
        tags: dict[str, dict[str, list]] = {k: {"owner": [], "key": []} for k in TAG_VOCABS}
        self._fac, self._stf, self._rat, self._tsk, self._tags = fac, stf, rat, tsk, tags
        for i, c in enumerate(items):
            where = f"communities[{i}]"
            if not isinstance(c, Mapping):
                p.add(where, f"expected an object with code and name, got {type(c).__name__}")
                continue
            code = self._code(c.get("code"), where, required=True)
            if code is not None:
                where = f"communities[{i}] ({code})"
                if code[9:] == "000":
                    p.add(f"{where}.code", f"{code} is a {LEVELS[levels_of(np.array([int(code)]))[0]].value} code, "
                                           "expected a community code (its last three digits not 000)")
                else:
                    codes[i] = int(code)
            names[i] = self._name(c.get("name"), where)
            for key, value in c.items():
                if key in ("code", "name"):
                    continue
                if key == "parent":
                    if value is not None:
                        pc = self._code(value, f"{where}.parent")
                        if pc is not None:
                            given_parent[i] = int(pc)
                    continue
                spec = TOP_SCALARS.get(key)
                if spec is not None:
                    if value is not None:
                        cols[key][i] = _value(spec, value, p, where, key)
                    continue
                if key in NESTED:
                    self._nested(value, NESTED[key], key, cols, i, f"{where}.{key}")
                elif key == "assessment":
                    self._assessment(value, cols, i, f"{where}.assessment")
                elif key in LIST_FIELDS:
                    if value is None:
                        continue
                    if not isinstance(value, list):
                        p.add(f"{where}.{key}", f"expected a list (empty for none), got {type(value).__name__}")
                        continue
                    known[key][i] = True
                    if key == "facilities":
                        self._facilities(value, i, f"{where}.facilities")
                    elif key == "staff":
                        self._staff(value, i, f"{where}.staff")
                    elif key == "tasks":
                        self._tasks(value, i, f"{where}.tasks")
                    else:
                        self._tag_list(key, value, i, f"{where}.{key}")
                else:
                    p.add(f"{where}.{key}", _unknown_key(key, COMMUNITY_KEYS))
        return {"code": codes, "name": names, "given_parent": given_parent, "cols": cols, "known": known,
                "facilities": fac, "staff": stf, "ratings": rat, "tasks": tsk, "tags": tags}

    def _nested(self, value: Any, specs: dict[str, S.Field], prefix: str, cols: dict, i: int, where: str) -> None:
        if value is None:
            return
        if not isinstance(value, Mapping):
            self.p.add(where, f"expected an object with keys {', '.join(specs)}, got {value!r}")
            return
        for k, v in value.items():
            spec = specs.get(k)
            if spec is None:
                self.p.add(f"{where}.{k}", _unknown_key(k, specs))
            elif v is not None:
                cols[f"{prefix}.{k}"][i] = _value(spec, v, self.p, where, k)

    def _assessment(self, value: Any, cols: dict, i: int, where: str) -> None:
        if value is None:
            return
        if not isinstance(value, Mapping):
            self.p.add(where, f"expected an object with keys weights, appeal_period, got {value!r}")
            return
        for k, v in value.items():
            if k == "weights":
                self._nested(v, {f.name: f for f in S.WEIGHT_FIELDS}, "assessment.weights", cols, i, f"{where}.weights")
            elif k == "appeal_period":
                self._nested({k: v}, {f.name: f for f in S.ASSESSMENT_FIELDS}, "assessment", cols, i, where)
            else:
                self.p.add(f"{where}.{k}", _unknown_key(k, ("weights", "appeal_period")))

    def _records(self, value: list, where: str, specs: dict[str, S.Field], extra: tuple[str, ...], start: int = 0):
        allowed = set(specs) | set(extra)
        missing = {name: missing_of(spec) for name, spec in specs.items()}
        fast = [(name, spec, _FAST[id(spec)]) for name, spec in specs.items()]
        p = self.p
        for j, rec in enumerate(value, start):
            w = _Where(where, j)
            if type(rec) is not dict:
                if not isinstance(rec, Mapping):
                    p.add(str(w), f"expected an object, got {type(rec).__name__} {rec!r}")
                    continue
            if not rec.keys() <= allowed:
                for k in rec:
                    if k not in allowed:
                        p.add(f"{w}.{k}", _unknown_key(k, tuple(extra) + tuple(specs)))
            out = dict(missing)
            for name, spec, enc in fast:
                v = rec.get(name)
                if v is not None:
                    r = enc(v)
                    out[name] = r if r is not _SLOW else _value(spec, v, p, w, name)
            yield j, w, rec, out

    def _facilities(self, value: list, i: int, where: str) -> None:
        fac = self._fac
        own, kinds, areas = fac["owner"], fac["kind"], fac["area"]
        for j, rec in enumerate(value):
            if type(rec) is dict and rec.keys() <= _FAC_KEYS:
                kind = rec.get("kind")
                k = _FAC_INDEX.get(kind) if type(kind) is str else None
                a = rec.get("area")
                if k is not None:
                    if a is None:
                        own.append(i)
                        kinds.append(k)
                        areas.append(NAN)
                        continue
                    ta = type(a)
                    if (ta is float or ta is int) and 0 <= a < _INF:
                        own.append(i)
                        kinds.append(k)
                        areas.append(a + 0.0)
                        continue
            self._facility_slow(rec, i, where, j)

    def _facility_slow(self, rec: Any, i: int, where: str, j: int) -> None:
        fac = self._fac
        for _j, w, rec, out in self._records([rec], where, FACILITY_SPECS, (), start=j):
            if rec.get("kind") is None:
                self.p.add(f"{w}.kind", "required: the facility kind (" + ", ".join(S.FACILITY_FIELDS[0].vocab) + ")")
                continue
            fac["owner"].append(i)
            fac["kind"].append(out["kind"])
            fac["area"].append(out["area"])

    def _staff(self, value: list, i: int, where: str) -> None:
        stf, rat = self._stf, self._rat
        own, rbits, pay, cert, post, grade = (stf["owner"], stf["roles"], stf["monthly_pay"],
                                              stf["certified_social_worker"], stf["post"], stf["grade"])
        r_own, r_year, r_val = rat["owner"], rat["year"], rat["rating"]
        for j, rec in enumerate(value):
            if type(rec) is dict and rec.keys() <= _STAFF_KEYS:
                roles = rec.get("roles")
                bits = 0
                ok = roles is None or type(roles) is list
                if ok and roles:
                    for role in roles:
                        b = ROLE_BITS.get(role) if type(role) is str else None
                        if b is None:
                            ok = False
                            break
                        bits |= b
                m = rec.get("monthly_pay")
                tm = type(m)
                if m is not None and not ((tm is float or tm is int) and 0 <= m < _INF):
                    ok = False
                c = _bool(rec.get("certified_social_worker"))
                po, gr = rec.get("post"), rec.get("grade")
                po_v = -1 if po is None else (po if type(po) is int and 0 <= po <= 3 else None)
                gr_v = -1 if gr is None else (gr if type(gr) is int and 0 <= gr <= 18 else None)
                ratings = rec.get("ratings")
                if ratings is not None:
                    if type(ratings) is not dict:
                        ok = False
                    else:
                        for y, v in ratings.items():
                            if not (type(y) is str and len(y) == 4 and y.isdigit() and "1949" <= y <= "2100"
                                    and (v is None or (type(v) is str and v in _RATING_INDEX))):
                                ok = False
                                break
                if ok and c is not None and po_v is not None and gr_v is not None and \
                        not (po_v >= 0 and gr_v >= 0 and (po_v == 0) != (gr_v == 0)):
                    row = len(own)
                    own.append(i)
                    rbits.append(bits)
                    pay.append(NAN if m is None else m + 0.0)
                    cert.append(c)
                    post.append(po_v)
                    grade.append(gr_v)
                    if ratings:
                        for y in sorted(ratings):
                            v = ratings[y]
                            if v is not None:
                                r_own.append(row)
                                r_year.append(int(y))
                                r_val.append(_RATING_INDEX[v])
                    continue
            self._staff_slow(rec, i, where, j)

    def _staff_slow(self, rec: Any, i: int, where: str, j: int) -> None:
        stf, rat = self._stf, self._rat
        for _j, w, rec, out in self._records([rec], where, STAFF_SPECS, ("roles", "ratings"), start=j):
            bits = 0
            roles = rec.get("roles") or []
            if not isinstance(roles, list):
                self.p.add(f"{w}.roles", f"expected a list of role keys, got {roles!r}")
                roles = []
            for role in roles:
                b = ROLE_BITS.get(role) if type(role) is str else None
                if b is not None:
                    bits |= b
                    continue
                try:
                    bits |= ROLE_BITS[ROLES.check(role)]
                except ValueError as exc:
                    self.p.add(f"{w}.roles", str(exc))
            if (out["post"] == 0) != (out["grade"] == 0) and out["post"] != -1 and out["grade"] != -1:
                self.p.add(f"{w}.grade", "post and grade are 0 together (not on the scale) or both from 1: "
                                         f"got post {out['post']}, grade {out['grade']}")
            row = len(stf["owner"])
            stf["owner"].append(i)
            stf["roles"].append(bits)
            for k in ("monthly_pay", "certified_social_worker", "post", "grade"):
                stf[k].append(out[k])
            ratings = rec.get("ratings")
            if ratings is None:
                continue
            if not isinstance(ratings, Mapping):
                self.p.add(f"{w}.ratings", f"expected an object of year: rating, got {ratings!r}")
                continue
            for year, rating in sorted(ratings.items(), key=lambda kv: str(kv[0])):
                try:
                    y = int(year)
                    if not 1949 <= y <= 2100:
                        raise ValueError
                except (TypeError, ValueError):
                    self.p.add(f"{w}.ratings", f"expected a year from 1949 to 2100 as key, got {year!r}")
                    continue
                if rating is None:
                    continue  # a year without a rating: nothing recorded
                r = _FAST[id(S.RATING_FIELD)](rating)
                if r is _SLOW:
                    try:
                        r = encode(S.RATING_FIELD, S.RATING_FIELD.parse(rating))
                    except ValueError as exc:
                        self.p.add(f"{w}.ratings.{year}", str(exc))
                        continue
                rat["owner"].append(row)
                rat["year"].append(y)
                rat["rating"].append(r)

    def _tasks(self, value: list, i: int, where: str) -> None:
        tsk = self._tsk
        own, kinds, roles, funded, listed, legal = (tsk["owner"], tsk["kind"], tsk["role"], tsk["funded"],
                                                    tsk["on_access_list"], tsk["legal_basis"])
        for j, rec in enumerate(value):
            if type(rec) is dict and rec.keys() <= _TASK_KEYS:
                kind = rec.get("kind")
                role = rec.get("role")
                r = -1 if role is None else (_TASK_ROLE_INDEX.get(role) if type(role) is str else None)
                f = _bool(rec.get("funded"))
                a = _bool(rec.get("on_access_list"))
                lb = _bool(rec.get("legal_basis"))
                if type(kind) is str and kind and r is not None and f is not None and a is not None and lb is not None:
                    own.append(i)
                    kinds.append(kind)
                    roles.append(r)
                    funded.append(f)
                    listed.append(a)
                    legal.append(lb)
                    continue
            self._task_slow(rec, i, where, j)

    def _task_slow(self, rec: Any, i: int, where: str, j: int) -> None:
        tsk = self._tsk
        for _j, w, rec, out in self._records([rec], where, TASK_SPECS, ("kind",), start=j):
            kind = rec.get("kind")
            if not isinstance(kind, str) or not kind:
                self.p.add(f"{w}.kind", f"required: a task kind (a listed key such as 'urban_management', or the "
                                        f"region's own item name), got {kind!r}")
                continue
            tsk["owner"].append(i)
            tsk["kind"].append(kind)
            for k in ("role", "funded", "on_access_list", "legal_basis"):
                tsk[k].append(out[k])

    def _tag_list(self, field: str, value: list, i: int, where: str) -> None:
        vocab = TAG_VOCABS[field]
        t = self._tags[field]
        index = vocab._index
        if all(type(k) is str and k in index for k in value) and (vocab.open or len(set(value)) == len(value)):
            # every key listed (and, for a set, none repeated): take the list as it is
            t["owner"].extend([i] * len(value))
            t["key"].extend(value)
            return
        seen = set()
        for j, key in enumerate(value):
            try:
                k = vocab.check(key)
            except ValueError as exc:
                self.p.add(f"{where}[{j}]", str(exc))
                continue
            if not vocab.open:
                if k in seen:
                    continue  # a set: a repeated key says nothing more
                seen.add(k)
            t["owner"].append(i)
            t["key"].append(k)

    # helpers ---------------------------------------------------------------------------------------
    def _code(self, value: Any, where: str, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.p.add(f"{where}.code", "required: a 12-digit division code")
            return None
        try:
            return normalize_code(value)
        except ValueError as exc:
            self.p.add(where if where.endswith("parent") else f"{where}.code", str(exc))
            return None

    def _name(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.p.add(f"{where}.name", f"required: a non-empty name, got {value!r}")
            return None
        return value


def check_tree(rcode: np.ndarray, rgiven: np.ndarray, ccode: np.ndarray, cgiven: np.ndarray,
               rloc: Any, cloc: Any, p: Problems) -> None:
    """Validate the hierarchy of region codes *rcode* and community codes *ccode* (int64, -1 = bad).

    *rgiven*/*cgiven* hold explicitly given parent codes (-1 where none was given). Checks: no
    duplicate code, every parent exists, is exactly one level up and is a prefix of the child;
    reports cycles among given parents. ``rloc(i)``/``cloc(i)`` name a row for messages.
    """
    allc = np.concatenate([rcode, ccode])
    valid = allc >= 0
    uniq, first, counts = np.unique(allc[valid], return_index=True, return_counts=True)
    if (counts > 1).any():
        pos = np.flatnonzero(valid)
        for code in uniq[counts > 1]:
            rows = pos[np.flatnonzero(allc[valid] == code)]
            places = [rloc(r) if r < len(rcode) else cloc(r - len(rcode)) for r in rows]
            p.add(places[-1], f"duplicate code {code:012d}: also at {', '.join(places[:-1])}")
    region_set = np.unique(rcode[rcode >= 0])
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


def from_dict(doc: Any, source: str | None = None) -> Store:
    """Build a store from an interchange-format document, raising one ValidationError for all problems."""
    p = Problems()
    if not isinstance(doc, Mapping):
        p.add("", f"expected a JSON object with schema, regions and communities, got {type(doc).__name__}")
        p.raise_if_any(source)
    schema = doc.get("schema")
    if schema != SCHEMA:
        p.add("schema", f"expected {SCHEMA!r}, got {schema!r}" + ("" if schema is not None else " (missing)"))
    for k in doc:
        if k not in ("schema", "regions", "communities", "metadata"):
            p.add(k, _unknown_key(k, ("schema", "regions", "communities", "metadata")))
    regions = doc.get("regions", [])
    communities = doc.get("communities", [])
    for name, v in (("regions", regions), ("communities", communities)):
        if not isinstance(v, list):
            p.add(name, f"expected a list, got {type(v).__name__}")
    if p:
        p.raise_if_any(source)
    b = _Builder(p)
    r = b.regions(regions)
    c = b.communities(communities)
    return _assemble(r, c, p, source)


def _loc_fn(kind: str, codes: np.ndarray) -> Any:
    def loc(i: int) -> str:
        c = codes[i]
        return f"{kind}[{i}]" + (f" ({c:012d})" if c >= 0 else "")

    return loc


def _assemble(r: dict, c: dict, p: Problems, source: str | None) -> Store:
    check_tree(r["code"], r["given_parent"], c["code"], c["given_parent"],
               _loc_fn("regions", r["code"]), _loc_fn("communities", c["code"]), p)
    p.raise_if_any(source)
    # regions, sorted by code
    rorder = np.argsort(r["code"], kind="stable")
    rcode = r["code"][rorder]
    regions: dict[str, np.ndarray] = {
        "code": rcode,
        "name": np.array(r["name"], dtype=object)[rorder] if len(rcode) else np.zeros(0, object),
        "depth": levels_of(rcode),
    }
    for name, spec in REGION_SPECS.items():
        regions[name] = np.asarray(r["fields"][name], dtype=dtype_of(spec))[rorder]
    regions["parent"] = parent_rows(rcode, regions["depth"])
    # communities
    corder = np.argsort(c["code"], kind="stable")
    n = len(corder)
    inv = np.empty(n, dtype=np.int64)
    inv[corder] = np.arange(n)
    ccode = c["code"][corder]
    comms: dict[str, np.ndarray] = {
        "code": ccode,
        "name": np.array(c["name"], dtype=object)[corder] if n else np.zeros(0, object),
    }
    for path, spec in S.COMMUNITY_COLUMNS:
        comms[path] = np.asarray(c["cols"][path], dtype=dtype_of(spec))[corder]
    for k in LIST_FIELDS:
        comms[f"known.{k}"] = np.asarray(c["known"][k], dtype=bool)[corder]
    store_comm_ancestors(comms, rcode)
    fac = c["facilities"]
    facilities = _child(fac["owner"], {"kind": fac["kind"], "area": fac["area"]},
                        {"kind": np.int16, "area": np.float64}, n, inv)
    stf = c["staff"]
    staff_dt = {"roles": np.uint8, "monthly_pay": np.float64, "certified_social_worker": np.int8, "post": np.int8,
                "grade": np.int8, "input_row": np.int64}
    stf_cols = {k: v for k, v in stf.items() if k != "owner"}
    stf_cols["input_row"] = list(range(len(stf["owner"])))
    staff = _child(stf["owner"], stf_cols, staff_dt, n, inv)
    # ratings belong to staff rows: map input staff rows to sorted staff rows
    staff_inv = np.empty(len(staff), dtype=np.int64)
    staff_inv[staff.cols.pop("input_row")] = np.arange(len(staff))
    rat = c["ratings"]
    ratings = _child(rat["owner"], {"year": rat["year"], "rating": rat["rating"]},
                     {"year": np.int16, "rating": np.int8}, len(staff), staff_inv)
    tsk = c["tasks"]
    kinds, kind_codes = intern(tsk["kind"], TASK_KINDS)
    tasks = _child(tsk["owner"], {"kind": kind_codes, "role": tsk["role"], "funded": tsk["funded"],
                                  "on_access_list": tsk["on_access_list"], "legal_basis": tsk["legal_basis"]},
                   {"kind": np.int32, "role": np.int8, "funded": np.int8, "on_access_list": np.int8,
                    "legal_basis": np.int8}, n, inv, kinds)
    tags = {}
    for field, vocab in TAG_VOCABS.items():
        t = c["tags"][field]
        strings, codes = intern(t["key"], vocab)
        child = _child(t["owner"], {"key": codes}, {"key": np.int32}, n, inv, strings)
        if not vocab.open:  # a set of closed keys: stored in the vocabulary's order
            perm = np.lexsort((child.cols["key"], child.owner))
            child = Child(child.owner[perm], child.offsets, {"key": child.cols["key"][perm]}, strings)
        tags[field] = child
    return Store(regions, comms, facilities, staff, ratings, tasks, tags)


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

def region_dicts(st: Store) -> list[dict[str, Any]]:
    r = st.regions
    codes = [f"{c:012d}" for c in r["code"].tolist()]
    names = r["name"].tolist()
    levels = [LEVELS[d].value for d in r["depth"].tolist()]
    parents = r["parent"].tolist()
    fields = [(name, decode_column(spec, r[name])) for name, spec in REGION_SPECS.items()]
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


def community_dicts(st: Store, rows: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Interchange-format dicts of the communities at *rows* (all when ``None``), in Community field order."""
    cm = st.communities
    n = st.n_communities
    rows_arr = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    codes = cm["code"][rows_arr].tolist()
    rcode = st.regions["code"]
    parents = rcode[cm["parent"][rows_arr]].tolist() if len(rcode) else [None] * len(rows_arr)
    names = cm["name"][rows_arr].tolist()
    col = {path: decode_column(spec, cm[path][rows_arr]) for path, spec in S.COMMUNITY_COLUMNS}
    known = {k: cm[f"known.{k}"][rows_arr].tolist() for k in LIST_FIELDS}
    fac = _child_records(st.facilities, rows_arr, _facility_record)
    stf = _child_records(st.staff, rows_arr, _staff_recorder(st))
    tsk = _child_records(st.tasks, rows_arr, _task_recorder(st.tasks))
    tags = {k: _child_records(st.tags[k], rows_arr, _tag_recorder(st.tags[k])) for k in TAG_VOCABS}
    lists = {"facilities": fac, "staff": stf, "tasks": tsk, **tags}
    out = []
    for j in range(len(rows_arr)):
        d: dict[str, Any] = {"code": f"{codes[j]:012d}", "name": names[j], "parent": f"{parents[j]:012d}"}
        for key in COMMUNITY_KEYS[3:]:
            if key in TOP_SCALARS:
                v = col[key][j]
                if v is not None:
                    d[key] = v
            elif key in LIST_FIELDS:
                if known[key][j]:
                    d[key] = lists[key][j]
            elif key == "assessment":
                w = {f.name: col[f"assessment.weights.{f.name}"][j] for f in S.WEIGHT_FIELDS}
                w = {k: v for k, v in w.items() if v is not None}
                a: dict[str, Any] = {"weights": w} if w else {}
                ap = col["assessment.appeal_period"][j]
                if ap is not None:
                    a["appeal_period"] = ap
                if a:
                    d["assessment"] = a
            else:
                sub = {k: col[f"{key}.{k}"][j] for k in NESTED[key]}
                sub = {k: v for k, v in sub.items() if v is not None}
                if sub:
                    d[key] = sub
        out.append(d)
    return out


def _child_records(child: Child, rows: np.ndarray, recorder: Any) -> list[list[Any]]:
    sub, src = child.take_owners(rows)
    records = recorder(sub, src)
    off = sub.offsets.tolist()
    return [records[off[j]:off[j + 1]] for j in range(len(rows))]


def _facility_record(sub: Child, _src: np.ndarray) -> list[dict]:
    kinds = list(S.FACILITY_FIELDS[0].vocab or ())
    k = sub.cols["kind"].tolist()
    a = decode_column(S.FACILITY_FIELDS[1], sub.cols["area"])
    return [{"kind": kinds[k[i]]} | ({"area": a[i]} if a[i] is not None else {}) for i in range(len(k))]


def _staff_recorder(st: Store) -> Any:
    def rec(sub: Child, src: np.ndarray) -> list[dict]:
        roles_keys = list(ROLES)
        bits = sub.cols["roles"].tolist()
        cols = {name: decode_column(spec, sub.cols[name]) for name, spec in STAFF_SPECS.items()}
        rsub, _ = st.ratings.take_owners(src)
        years = rsub.cols["year"].tolist()
        rvals = decode_column(S.RATING_FIELD, rsub.cols["rating"])
        roff = rsub.offsets.tolist()
        has_ratings = _staff_has_ratings(st)[src].tolist() if len(src) else []
        out = []
        for i in range(len(bits)):
            d: dict[str, Any] = {"roles": [k for b, k in enumerate(roles_keys) if bits[i] >> b & 1]}
            for name in STAFF_SPECS:
                v = cols[name][i]
                if v is not None:
                    d[name] = v
            if has_ratings[i]:
                d["ratings"] = {str(years[r]): rvals[r] for r in range(roff[i], roff[i + 1])}
            out.append(d)
        return out

    return rec


def _staff_has_ratings(st: Store) -> np.ndarray:
    # a staff member with an empty ratings object and one without ratings are the same to every rule;
    # only a non-empty one is written back
    return np.diff(st.ratings.offsets) > 0


def _task_recorder(child: Child) -> Any:
    def rec(sub: Child, _src: np.ndarray) -> list[dict]:
        strings = child.strings or []
        kinds = sub.cols["kind"].tolist()
        cols = {name: decode_column(spec, sub.cols[name]) for name, spec in TASK_SPECS.items()}
        out = []
        for i in range(len(kinds)):
            d: dict[str, Any] = {"kind": strings[kinds[i]]}
            for name in TASK_SPECS:
                v = cols[name][i]
                if v is not None:
                    d[name] = v
            out.append(d)
        return out

    return rec


def _tag_recorder(child: Child) -> Any:
    def rec(sub: Child, _src: np.ndarray) -> list[str]:
        strings = child.strings or []
        return [strings[k] for k in sub.cols["key"].tolist()]

    return rec
