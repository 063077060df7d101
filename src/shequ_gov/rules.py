"""What a rule's function works with: vectorised inputs, three-valued logic and outcomes.

A rule function ``def rule(c: CommunityInputs, p: Parameters) -> Outcome`` receives ``c`` (a
:class:`CommunityInputs`: columns over every community of the dataset, with child tables and region
tables) and ``p`` (the values in force of the parameters the rule declares) and returns an
:class:`Outcome` made by one of the constructors :func:`at_least`, :func:`at_most`,
:func:`condition`, :func:`no_violations` or :func:`measure`. Everything is whole-column numpy:
no Python loop over communities.

Missing data is carried by :class:`Tri`, a three-valued boolean (true, false, unknown) with
Kleene logic: ``false & unknown`` is false, ``true & unknown`` is unknown. A rule never turns
unknown into PASS; the engine reports it as UNKNOWN.

>>> import numpy as np
>>> t = Tri(np.array([True, False, True]), np.array([True, True, False]))
>>> (t & Tri.true(3)).states()
['true', 'false', 'unknown']
"""

from __future__ import annotations

import weakref
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from . import _columns as C
from . import _schema as S
from ._policy import Parameters
from ._verdict import Outcome, Relation, Tri
from ._vocab import AREA_TYPES, FACILITY_KINDS, RATINGS, ROLES, TASK_ROLES, AreaType, Level

__all__ = [
    "ChildInputs", "CommunityInputs", "Inputs", "Outcome", "Parameters", "Range", "RegionInputs", "Relation", "Tri", "at_least",
    "at_most", "between", "compare", "condition", "measure", "no_violations", "when",
]

_EPS = 1e-9


class Range:
    """Values known only within bounds: each lies in ``[low, high]`` (NaN bounds: nothing known).

    What a threshold keyed by a category is where the category is missing (every value it could
    take, :meth:`Inputs.by_category`), or a share where some communities' values are unknown
    (:meth:`RegionInputs.share_range`). :func:`compare`, :func:`at_least` and :func:`at_most`
    accept a Range on either side and give a verdict wherever every value in it gives the same one.

    >>> at_least(np.array([26.0, 7.0, 12.0]), Range(8.0, 25.0)).result.states()
    ['true', 'false', 'unknown']
    """

    __slots__ = ("low", "high")

    def __init__(self, low: Any, high: Any = None):
        self.low = np.asarray(low, dtype=np.float64)
        self.high = self.low if high is None else np.asarray(high, dtype=np.float64)

    @classmethod
    def either(cls, cond: "Tri", then: Any, otherwise: Any) -> "Range":
        """*then* where *cond* is true, *otherwise* where false, and anything between them where *cond*
        is unknown (a threshold that depends on a missing flag, such as Loudi's new-build minimum).

        >>> r = Range.either(Tri(np.array([True, False, False]), np.array([True, True, False])), 600.0, 400.0)
        >>> r.low.tolist(), r.high.tolist()
        ([600.0, 400.0, 400.0], [600.0, 400.0, 600.0])
        """
        a = np.asarray(then, dtype=np.float64)
        b = np.asarray(otherwise, dtype=np.float64)
        pick = np.where(cond.value, a, b)
        return cls(np.where(cond.known, pick, np.fmin(a, b)), np.where(cond.known, pick, np.fmax(a, b)))

    @property
    def exact(self) -> np.ndarray:
        """The value where the bounds meet, NaN where they do not."""
        with np.errstate(invalid="ignore"):
            return np.where(self.low == self.high, self.low, np.nan)

    def __repr__(self) -> str:
        return f"Range(low={self.low!r}, high={self.high!r})"


def _bounds(x: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(x, Range):
        return x.low, x.high
    if isinstance(x, Mapping) and hasattr(x, "low") and hasattr(x, "by"):
        raise TypeError(f"a parameter keyed by {x.by} is not a number: turn it into thresholds per community "
                        "with c.by_category(p.<name>)")
    v = np.asarray(x, dtype=np.float64)
    return v, v


def _slack(b: np.ndarray, sign: float) -> np.ndarray:
    """``b + sign * _EPS * max(1, |b|)``, elementwise in one temporary (the same bits as the plain expression)."""
    if b.ndim == 0:
        return b + sign * (_EPS * max(1.0, abs(float(b))))
    t = np.abs(b)
    np.maximum(t, 1.0, out=t)
    t *= sign * _EPS
    t += b
    return t


def _ge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return a >= _slack(b, -1.0)


def _le(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return a <= _slack(b, 1.0)


def _compare_bounds(measured: Any, required: Any, op: Relation) -> Tri:
    m_lo, m_hi = _bounds(measured)
    r_lo, r_hi = _bounds(required)
    sides = (m_lo, m_hi, r_lo, r_hi)
    n = max(a.size for a in sides)
    if n <= _FEW_SUBJECTS and all(a.shape == (n,) or a.ndim == 0 for a in sides) and any(a.ndim for a in sides):
        # a few subjects: the same comparisons element by element (see _few_compare)
        m_lo, m_hi, r_lo, r_hi = (a.tolist() if a.ndim else [float(a)] * n for a in sides)
        if op is Relation.AT_LEAST:  # surely: the least measured reaches the most required (as below)
            true, maybe = _few_compare(m_lo, r_hi, op), _few_compare(m_hi, r_lo, op)
        else:
            true, maybe = _few_compare(m_hi, r_lo, op), _few_compare(m_lo, r_hi, op)
        return Tri._normal(true.value, true.value | maybe.is_false)
    shape = np.broadcast(m_lo, m_hi, r_lo, r_hi).shape
    if op is Relation.AT_LEAST:  # surely: the least measured reaches the most required; surely not: the most misses the least
        true, other = _ge(m_lo, r_hi), (m_hi, r_lo)
        false = ~np.isnan(other[0]) & ~np.isnan(other[1]) & ~_ge(*other)
    else:
        true, other = _le(m_hi, r_lo), (m_lo, r_hi)
        false = ~np.isnan(other[0]) & ~np.isnan(other[1]) & ~_le(*other)
    true, false = np.broadcast_to(true, shape), np.broadcast_to(false, shape)
    return Tri(true, true | false)


def _shown(measured: Any, required: Any, t: Tri, op: Relation) -> tuple[np.ndarray, np.ndarray]:
    """The measured and required values an outcome reports where a side is a Range.

    A PASS shows the bounds that make it certain (for ``>=`` the least measured against the most
    required), a FAIL the bounds that still fail (so the shortfall is the least certain one); an
    unknown verdict shows a value only where its bounds meet.
    """
    m_lo, m_hi = _bounds(measured)
    r_lo, r_hi = _bounds(required)
    m_pass, m_fail, r_pass, r_fail = (m_lo, m_hi, r_hi, r_lo) if op is Relation.AT_LEAST else (m_hi, m_lo, r_lo, r_hi)
    shape = t.value.shape

    def pick(on_pass: np.ndarray, on_fail: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        if lo is hi and lo.shape == shape:  # an exact side (not a Range) is shown as it is
            return lo
        with np.errstate(invalid="ignore"):
            exact = np.where(lo == hi, lo, np.nan)
        return np.where(t.is_true, on_pass, np.where(t.is_false, on_fail, exact))

    return pick(m_pass, m_fail, m_lo, m_hi), pick(r_pass, r_fail, r_lo, r_hi)


def compare(measured: Any, required: Any, op: Relation | str) -> Tri:
    """``measured op required`` elementwise as a Tri (NaN on either side is unknown).

    Either side may be a :class:`Range`: the comparison is then known where every value in the
    range gives the same answer.
    """
    op = op if type(op) is Relation else Relation.parse(op)
    if not op.compares:
        raise ValueError(f"compare() takes '>=' or '<=', not {op.value!r}")
    if isinstance(measured, Range) or isinstance(required, Range) or (
            type(required) not in _PLAIN and isinstance(required, Mapping)):
        return _compare_bounds(measured, required, op)
    m = np.asarray(measured, dtype=np.float64)
    r = np.asarray(required, dtype=np.float64)
    if m.ndim == 1 and len(m) <= _FEW_SUBJECTS and (r.ndim == 0 or r.shape == m.shape):
        return _few_compare(m.tolist(), r.tolist() if r.ndim else [float(r)] * len(m), op)
    if r.ndim == 0 and m.ndim == 1:  # one threshold (the common case): scalar arithmetic, no temporaries
        bound = float(r)
        if bound != bound:
            return Tri(np.zeros(m.shape, bool), np.zeros(m.shape, bool))
        tol = _EPS * max(1.0, abs(bound))
        with np.errstate(invalid="ignore"):
            v = m >= bound - tol if op is Relation.AT_LEAST else m <= bound + tol
        return Tri._normal(v, ~np.isnan(m))  # (a comparison with NaN is false: v is already false where unknown)
    if r.shape != m.shape:
        r = np.broadcast_to(r, m.shape)
    if m.ndim == 1 and len(m) > _BLOCK:  # a threshold per row over a long column (a child table's records)
        return _compare_rows(m, r, op)
    missing = np.isnan(m)
    missing |= np.isnan(r)
    with np.errstate(invalid="ignore"):
        v = m >= _slack(r, -1.0) if op is Relation.AT_LEAST else m <= _slack(r, 1.0)
    return Tri._normal(v, ~missing) if m.ndim else Tri(v, ~missing)  # (0-d: numpy scalars, made arrays)


#: Rows per block of the columns :func:`compare` and :meth:`ChildInputs.min`/``max`` work through a
#: block at a time: their temporaries stay in the cache, and no column-sized one is allocated (at a
#: million communities a float column of a child table is tens of megabytes: fresh pages each time).
_BLOCK = 1 << 16


def _compare_rows(m: np.ndarray, r: np.ndarray, op: Relation) -> Tri:
    """:func:`compare` of two 1-D columns (the same elementwise arithmetic), a block of rows at a time."""
    v = np.empty(m.shape, bool)
    known = np.empty(m.shape, bool)
    sign = -1.0 if op is Relation.AT_LEAST else 1.0
    cmp = np.greater_equal if op is Relation.AT_LEAST else np.less_equal
    with np.errstate(invalid="ignore"):
        for i in range(0, len(m), _BLOCK):
            mb, rb = m[i:i + _BLOCK], r[i:i + _BLOCK]
            cmp(mb, _slack(rb, sign), out=v[i:i + _BLOCK])
            kb = known[i:i + _BLOCK]
            np.isnan(mb, out=kb)
            kb |= np.isnan(rb)
            np.logical_not(kb, out=kb)
    return Tri._normal(v, known)


#: Types of a side of a comparison that are surely not a parameter keyed by a category (a Mapping).
_PLAIN = (float, int, np.ndarray, np.float64)


def _few_compare(measured: list[float], required: list[float], op: Relation) -> Tri:
    """:func:`compare` of a few subjects (a single-community request), element by element: the same
    arithmetic as :func:`_slack` on each number (Python floats are IEEE doubles, as numpy's are), and a
    comparison with NaN is false there too."""
    sign = -1.0 if op is Relation.AT_LEAST else 1.0
    value, known = [], []
    for m, r in zip(measured, required):
        bound = r + sign * (_EPS * max(1.0, abs(r)))
        value.append(m >= bound if sign < 0 else m <= bound)
        known.append(m == m and r == r)
    return Tri._normal(np.array(value, dtype=bool), np.array(known, dtype=bool))


def at_least(measured: Any, required: Any, *, unit: str = "", inputs: Mapping | None = None,
             note: str = "", result: Tri | None = None) -> Outcome:
    """PASS where ``measured >= required`` (a threshold met exactly passes); the shortfall is ``required - measured``.

    Either side may be a :class:`Range` (a threshold keyed by a missing category, a share with
    unknowns): the verdict is known where the whole range agrees, and the values reported are the
    bounds the verdict rests on. *result* overrides the verdict where the rule knows more than the
    comparison; measured and required are still reported.

    >>> o = at_least(np.array([26.0, 7.0]), Range(8.0, 25.0))
    >>> o.result.states(), o.required.tolist()
    (['true', 'false'], [25.0, 8.0])
    """
    t = compare(measured, required, Relation.AT_LEAST) if result is None else result
    if isinstance(measured, Range) or isinstance(required, Range):
        measured, required = _shown(measured, required, t, Relation.AT_LEAST)
    return Outcome(t, measured=np.asarray(measured, float), required=required, unit=unit, op=Relation.AT_LEAST,
                   inputs=inputs, note=note)


def at_most(measured: Any, limit: Any, *, unit: str = "", inputs: Mapping | None = None, note: str = "",
            result: Tri | None = None) -> Outcome:
    """PASS where ``measured <= limit``; the excess is ``measured - limit``. *result* as in :func:`at_least`."""
    t = compare(measured, limit, Relation.AT_MOST) if result is None else result
    if isinstance(measured, Range) or isinstance(limit, Range):
        measured, limit = _shown(measured, limit, t, Relation.AT_MOST)
    return Outcome(t, measured=np.asarray(measured, float), required=limit, unit=unit, op=Relation.AT_MOST, inputs=inputs,
                   note=note)


def between(measured: Any, low: Any, high: Any, *, unit: str = "", inputs: Mapping | None = None,
            note: str = "", result: Tri | None = None) -> Outcome:
    """PASS where ``low <= measured <= high``; a FAIL reports the distance to the nearer bound.

    >>> o = between(np.array([4.0, 7.0, 10.0]), 5.0, 9.0)
    >>> o.result.states()
    ['false', 'true', 'false']
    """
    m = np.asarray(measured, float)
    t = (compare(m, low, Relation.AT_LEAST) & compare(m, high, Relation.AT_MOST)) if result is None else result
    low, high = np.asarray(low, float), np.asarray(high, float)
    with np.errstate(invalid="ignore"):
        bound = np.where(m < low, low, high)  # (bounds as given: a number is not spread into a column first)
    lo = np.broadcast_to(low, m.shape)
    hi = np.broadcast_to(high, m.shape)
    o = Outcome(t, measured=m, required=bound, unit=unit, op=Relation.BETWEEN, inputs=inputs, note=note)
    o.low, o.high = lo, hi
    return o


def condition(result: Tri, *, measured: Any = None, required: Any = None, unit: str = "",
              inputs: Mapping | None = None, violations: Mapping | None = None, note: str = "") -> Outcome:
    """PASS where *result* is true, FAIL where false, UNKNOWN where unknown."""
    return Outcome(result, measured=measured, required=required, unit=unit, op=Relation.CONDITION, inputs=inputs,
                   violations=violations, note=note)


def no_violations(table: str, offending: Tri, owners: "ChildInputs", *, inputs: Mapping | None = None,
                  note: str = "") -> Outcome:
    """PASS where no record of *table* (e.g. tasks) is offending; FAIL where one is.

    *offending* is a Tri over the child table's rows. A community whose list is missing, or with
    a record that may offend (unknown) and none that surely does, is UNKNOWN. The measured value
    is the count of offending records; explanations name each one.
    """
    counts, unknown = owners._any_counts(offending)  # one aggregation gives the verdict and the count
    res = ~owners._any_of(counts, unknown)
    count = counts.astype(np.float64)
    count[owners._missing()] = np.nan
    mask = offending.is_true
    if table == owners.name:  # the engine may keep the count as the mask's bits (recomputed per community)
        owners._cache[("violation_count", id(count))] = (weakref.ref(count), weakref.ref(mask))
    return Outcome(res, measured=count, required=0.0, unit="", op=Relation.NONE, inputs=inputs,
                   violations={table: mask}, note=note)


def when(cond: Tri, then: Tri, otherwise: Tri) -> Tri:
    """*then* where *cond* is true, *otherwise* where it is false; where *cond* is unknown, known only
    if both branches are known and agree (the verdict every value of *cond* would give).

    Kleene ``(cond & a) | (~cond & b)`` stays unknown when the condition is, even if a and b agree;
    this does not.

    >>> u = Tri(np.array([False, False]), np.array([False, False]))
    >>> when(u, Tri(np.array([True, True])), Tri(np.array([True, False]))).states()
    ['true', 'unknown']
    """
    agree = then.known & otherwise.known & (then.value == otherwise.value)
    value = np.where(cond.known, np.where(cond.value, then.value, otherwise.value), then.value)
    known = np.where(cond.known, np.where(cond.value, then.known, otherwise.known), agree)
    return Tri(value, known)


def measure(value: Any, *, unit: str = "", inputs: Mapping | None = None, note: str = "") -> Outcome:
    """An indicator: a measured value with no pass or fail (NaN is UNKNOWN)."""
    v = np.asarray(value, dtype=np.float64)
    return Outcome(Tri(np.ones(v.shape, bool), ~np.isnan(v)), measured=v, unit=unit, op=Relation.MEASURE, inputs=inputs,
                   indicator=True, note=note)


# --- inputs ---------------------------------------------------------------------------------------

class ChildInputs:
    """A child table (facilities, staff, tasks, a tag list) with per-community aggregation.

    Row-level accessors return arrays over the table's rows; aggregations (:meth:`any`,
    :meth:`all`, :meth:`none`, :meth:`count`, :meth:`sum`) return one value per community and
    use the owner index (``np.bincount``), never a Python loop.
    """

    __slots__ = ("name", "_child", "known", "_n", "_cache")

    def __init__(self, name: str, child: C.Child, known: np.ndarray):
        self.name = name
        self._child = child
        self.known = known  # per community: is the list given at all
        self._n = len(known)
        self._cache: dict[Any, Any] = {}

    def __len__(self) -> int:
        return len(self._child)

    def _per_record(self, a: Any, what: str, dtype: Any = np.float64) -> np.ndarray:
        """*a* as a 1-D array of one value per record of this table; else ``ValueError`` saying so
        (a mask or values over another table, or over the communities, would count the wrong records)."""
        arr = np.asarray(a, dtype=dtype)
        if arr.shape != (len(self._child),):
            raise ValueError(f"{what} of shape {arr.shape} for the {self.name} table, expected one per "
                             f"{self.name} record: shape ({len(self._child)},)")
        return arr

    @property
    def owner(self) -> np.ndarray:
        """For each record, the row of its community."""
        return self._child.owner

    def column(self, name: str) -> np.ndarray:
        """A stored column of the table (floats with NaN, or int8 codes with -1 for missing)."""
        return self._child.cols[name]

    def flag(self, name: str) -> Tri:
        """A boolean field of each record as a Tri (one object per evaluation: its aggregates are shared)."""
        t = self._cache.get(("flag", name))
        if t is None:
            t = self._cache[("flag", name)] = Tri.from_int8(self._child.cols[name])
            t.value.setflags(write=False)
            t.known.setflags(write=False)
        return t

    def kind_in(self, keys: Iterable[str], column: str = "kind") -> np.ndarray:
        """Whether each record's kind (or tag key) is one of *keys* (keys the data never uses match nothing)."""
        table = self.key_names(column)
        index = {k: i for i, k in enumerate(table)}
        wanted = sorted({index[k] for k in keys if k in index})
        codes = self._child.cols[column]
        if len(wanted) <= 1:  # one key: one comparison
            return codes == wanted[0] if wanted else np.zeros(len(codes), dtype=bool)
        if len(table) <= 64:
            # each record's key as one bit of a small word, tested against the wanted keys' bits: one pass
            # over the codes whatever the number of keys, with byte- or word-wide temporaries (the missing
            # code -1 becomes a shift past the word's width: no bit)
            dtype = np.uint8 if len(table) <= 8 else np.uint16 if len(table) <= 16 else \
                np.uint32 if len(table) <= 32 else np.uint64
            bits = np.left_shift(dtype(1), codes, dtype=dtype, casting="unsafe")
            bits &= dtype(sum(1 << i for i in wanted))
            return bits.astype(bool)
        lut = np.zeros(len(table) + 1, dtype=bool)  # the last cell is the missing code -1
        lut[wanted] = True
        return lut.take(codes)

    def key_names(self, column: str = "kind") -> list[str]:
        """The keys the stored codes of *column* stand for (a string table or the facility vocabulary)."""
        return list(self._child.strings) if self._child.strings is not None else list(FACILITY_KINDS)

    def _segment_counts(self, mask: np.ndarray) -> np.ndarray:
        """Per community: how many of its records are true in *mask* (read-only int array).

        The records are grouped by community, so the cheapest exact method depends on the mask's
        density (each measured at 100,000 and 1,000,000 communities): a sparse mask counts its true
        records' owners, an almost-full one subtracts the owners of its false records from the
        lengths, and the rest are counted from the mask's bits (:meth:`_bit_counts`). Counts are
        shared for the evaluation: for a read-only *mask* (a cached flag, the known-ness of a field,
        a stored column) by the mask itself while it lives; for any other, by the mask's bits (the
        last :data:`_COUNTED` masks counted, each compared bit for bit), so rules and policies that
        count the same records count them once.
        """
        key = ("seg", id(mask))
        hit = self._cache.get(key)
        if hit is not None and hit[0]() is mask:
            return hit[1]
        m = self._per_record(mask, "a mask", bool)
        size = len(m)
        k = np.count_nonzero(m) if size > _FEW_RECORDS else -1
        if k < 0:  # a few records (a single-community request): their owners counted
            out = np.bincount(self._child.owner[m], minlength=self._n)
        elif k == 0:
            out = np.zeros(self._n, dtype=np.int64)
        elif k == size:
            out = self.lengths()
        else:
            bits = np.packbits(m)  # record j is bit 7 - j % 8 of byte j // 8
            counted = self._cache.setdefault("counted", [])  # (tag, bits, counts), the oldest first
            tag = (k, hash(bits.tobytes()))
            for seen_tag, seen, out in counted:  # the same records counted before (by another rule)
                if seen_tag == tag and np.array_equal(seen, bits):
                    return out
            if k < size // 64:  # sparse: count the true records' owners
                out = np.bincount(self._child.owner[np.flatnonzero(m)], minlength=self._n)
            elif size - k < size // 128:  # almost full: the lengths less the false records
                out = self.lengths() - np.bincount(self._child.owner[np.flatnonzero(~m)], minlength=self._n)
            else:
                out = self._bit_counts(bits, size)
            out.setflags(write=False)
            counted.append((tag, bits, out))
            if len(counted) > _COUNTED:  # the oldest goes
                del counted[0]
        out.setflags(write=False)
        if m is mask and not mask.flags.writeable:
            try:  # the entry goes with the mask (or with the evaluation's caches, see CommunityInputs.release)
                ref = weakref.ref(mask, lambda _r, cache=self._cache: cache.pop(key, None))
            except TypeError:  # pragma: no cover - an array subclass without weak references
                return out
            self._cache[key] = (ref, out)
        return out

    def _bit_counts(self, bits: np.ndarray, size: int) -> np.ndarray:
        """Per community: the true records of a mask over the *size* records, from its *bits*
        (``np.packbits`` of the mask: eight records a byte, the first the highest bit).

        The true records before an offset are the set bits of the whole bytes before it (a running
        sum over the bytes) and those of its own byte that precede it; a community's count is that
        number at its end offset less that at its start. The work per record is one bit, and the
        running sum (an eighth as long as the table) stays in the CPU's cache at any size, where a
        running sum over the records is a column of four bytes a record (measured at a million
        communities: 3.3 ms against 5.4 ms for 4.5 million staff records; 0.29 against 0.37 ms at
        100,000).
        """
        at = self._cache.get("bit offsets")
        if at is None:  # for each offset: its byte, and the shift that keeps the bits before it
            off = self._child.offsets
            shift = off.astype(np.uint8)  # (the low byte: the bit within a byte is in it)
            shift &= 7
            np.subtract(8, shift, out=shift)
            at = self._cache["bit offsets"] = (off >> 3, shift)
        byte, shift = at
        if size % 8 == 0:  # the byte the offset past the last record reads (its shift is 8: no bit)
            bits = np.append(bits, np.uint8(0))
        dtype = np.int32 if size < 2**31 else np.int64
        before = np.empty(len(bits) + 1, dtype=dtype)  # set bits in the bytes before each byte
        before[0] = 0
        np.cumsum(_popcount(bits), out=before[1:])
        upto = before[byte]
        upto += _popcount(np.right_shift(bits[byte], shift))  # (a shift by 8 leaves no bit)
        return np.diff(upto)

    def _any_counts(self, t: Tri) -> tuple[np.ndarray, np.ndarray]:
        """Per community: how many records are true in *t* (int, read-only), and whether one is unknown."""
        return self._segment_counts(t.is_true), self._segment_counts(t.known) < self.lengths()

    def _missing(self) -> np.ndarray:
        """The rows of the communities whose list is missing (few, usually): where an aggregate is NaN.
        Assigning through these rows costs their number; through a mask over every community, a pass."""
        rows = self._cache.get("missing rows")
        if rows is None:
            rows = self._cache["missing rows"] = np.flatnonzero(~self.known)
            rows.setflags(write=False)
        return rows

    def lengths(self) -> np.ndarray:
        """Per community: how many records it has (int, read-only; 0 where the list is missing)."""
        out = self._cache.get("lengths")
        if out is None:
            out = self._cache["lengths"] = np.diff(self._child.offsets)
            out.setflags(write=False)
        return out

    def count(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Per community: how many records (matching *mask*) it has (float; NaN where the list is missing)."""
        if mask is None:
            cached = self._cache.get("count")
            if cached is None:
                cached = self._cache["count"] = self.lengths().astype(np.float64)
                cached[self._missing()] = np.nan
            return cached.copy()
        out = self._segment_counts(np.asarray(mask, dtype=bool)).astype(np.float64)
        out[self._missing()] = np.nan
        return out

    def sum(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Per community: the sum of *values* over its records (matching *mask*); NaN if any is NaN or the list is missing."""
        v = self._per_record(values, "values")
        owner = self._child.owner
        if mask is not None:  # work on the selected records only: small temporaries
            rows = np.flatnonzero(self._per_record(mask, "a mask", bool))  # one scan of the mask for both columns
            v, owner = v.take(rows), owner.take(rows)
        nan = np.isnan(v)
        has_nan = bool(nan.any())
        total = np.bincount(owner, weights=np.where(nan, 0.0, v) if has_nan else v,
                            minlength=self._n).astype(np.float64)
        if has_nan:
            total[np.bincount(owner[nan], minlength=self._n) > 0] = np.nan
        total[self._missing()] = np.nan
        return total

    def _extreme(self, values: np.ndarray, mask: np.ndarray | None, empty: float, ufunc: Any, start: float) -> np.ndarray:
        v = self._per_record(values, "values")
        nan = np.isnan(v)  # (selected) records whose value is NaN: their community's value is unknown
        keep = ~nan  # records whose value is folded in: selected and not NaN
        if mask is not None:
            m = self._per_record(mask, "a mask", bool)
            keep &= m
            nan &= m
        owner = self._child.owner
        out = np.full(self._n, start)
        # each record's value folded into its community's, in record order (unbuffered ufunc.at: what
        # reduceat over the CSR segments gives, without its cost per segment); where some records are
        # left out, a block at a time over the kept ones (block-sized index and value temporaries)
        if keep.all():
            ufunc.at(out, owner, v)
        else:
            for i in range(0, len(v), _BLOCK):
                rows = np.flatnonzero(keep[i:i + _BLOCK])
                ufunc.at(out, owner[i:i + _BLOCK][rows], v[i:i + _BLOCK][rows])
        unknown = self._segment_counts(nan) > 0
        out[out == start] = empty
        out[unknown] = np.nan
        out[self._missing()] = np.nan
        return out

    def max(self, values: np.ndarray, mask: np.ndarray | None = None, empty: float = np.nan) -> np.ndarray:
        """Per community: the largest of *values* over its records (matching *mask*); *empty* where none, NaN if one is NaN."""
        return self._extreme(values, mask, empty, np.maximum, -np.inf)

    def min(self, values: np.ndarray, mask: np.ndarray | None = None, empty: float = np.nan) -> np.ndarray:
        """Per community: the smallest of *values* over its records (matching *mask*); *empty* where none, NaN if one is NaN."""
        return self._extreme(values, mask, empty, np.minimum, np.inf)

    def any(self, t: Tri) -> Tri:
        """Per community: true if some record is true; false if all are false (or there are none)."""
        counts, unknown = self._any_counts(t)
        return self._any_of(counts, unknown)

    def _any_of(self, counts: np.ndarray, unknown: np.ndarray) -> Tri:
        n_true = counts > 0
        known = np.greater_equal(n_true, unknown)  # n_true | ~unknown, in one pass
        known &= self.known
        return Tri._normal(n_true & known, known)

    def all(self, t: Tri) -> Tri:
        """Per community: true if every record is true (or there are none); false if one is false."""
        return ~self.any(~t)

    def none(self, t: Tri) -> Tri:
        """Per community: true if no record is true."""
        return ~self.any(t)

    def _presence_bits(self, column: str, mask: np.ndarray | None = None) -> np.ndarray | None:
        """Per community, a bit mask of the keys its records (matching *mask*) have; None beyond 64 keys.

        One ``bitwise_or.reduceat`` over the records, which are grouped by community. The masks are
        of the smallest unsigned type with a bit per key (two bytes for 16 keys, not eight: the
        tables of a million communities are cached for the evaluation).
        """
        if len(self.key_names(column)) > 64:
            return None
        key = ("bits", column) if mask is None else None
        if key is not None and key in self._cache:
            return self._cache[key]
        k = len(self.key_names(column))
        dtype = np.uint8 if k <= 8 else np.uint16 if k <= 16 else np.uint32 if k <= 32 else np.uint64
        codes = self._child.cols[column]
        bit = np.left_shift(dtype(1), codes, dtype=dtype, casting="unsafe")  # (the missing code -1: no bit)
        if mask is not None:
            bit[~self._per_record(mask, "a mask", bool)] = 0
        off = self._child.offsets
        if not self._n:
            return np.zeros(0, dtype)
        out = np.zeros(self._n, dtype)
        nonempty = off[1:] > off[:-1]
        if len(bit):
            # records are grouped by community: reducing from each non-empty segment's start to the
            # next one's covers exactly that segment (empty segments in between hold no records)
            out[nonempty] = np.bitwise_or.reduceat(bit, off[:-1][nonempty])
        if key is not None:
            self._cache[key] = out
        return out

    def distinct_count(self, column: str = "kind", mask: np.ndarray | None = None) -> np.ndarray:
        """Per community: how many distinct keys of *column* its records (matching *mask*) have.

        Float, NaN where the list is missing.
        """
        bits = self._presence_bits(column, mask)
        if bits is not None:
            out = _popcount(bits).astype(np.float64)
        else:  # more than 64 distinct keys in the data: a community × key table
            k = len(self.key_names(column))
            codes, owner = self._child.cols[column], self._child.owner
            keyed = codes >= 0  # (a record whose key is missing has none to count)
            if mask is not None:
                keyed &= self._per_record(mask, "a mask", bool)
            codes, owner = codes[keyed], owner[keyed]
            cells = np.unique(owner.astype(np.int64) * k + codes)
            out = np.bincount(cells // k, minlength=self._n).astype(np.float64)
        out[self._missing()] = np.nan
        return out

    def present_count(self, keys: Sequence[str], column: str = "kind") -> np.ndarray:
        """Per community: how many of *keys* its records have (float; NaN where the list is missing).

        With :func:`at_least` and ``len(keys)`` this is the "has every listed room / committee" rule.
        """
        bits = self._presence_bits(column)
        if bits is None:  # (each listed key counted once, as the bits count it)
            out = self.keys_present(list(dict.fromkeys(keys)), column).sum(axis=1).astype(np.float64)
        else:  # one popcount of each community's key bits, masked to the listed keys
            index = {k: i for i, k in enumerate(self.key_names(column))}
            want = 0
            for k in dict.fromkeys(keys):
                if k in index:
                    want |= 1 << index[k]
            out = _popcount(bits & bits.dtype.type(want)).astype(np.float64)
        out[self._missing()] = np.nan
        return out

    def keys_present(self, keys: Sequence[str], column: str = "kind") -> np.ndarray:
        """Per community and key of *keys*: whether one of its records has that key (bool, shape (n, len(keys))).

        Rows of communities whose list is missing are all False: combine with :attr:`known`.
        """
        names = self.key_names(column)
        index = {k: i for i, k in enumerate(names)}
        bits = self._presence_bits(column)
        cols = []
        for k in keys:
            i = index.get(k)
            if i is None:
                cols.append(np.zeros(self._n, bool))
            elif bits is not None:
                cols.append((bits >> bits.dtype.type(i)) & bits.dtype.type(1) == 1)
            else:
                cols.append(self._segment_counts(self._child.cols[column] == i) > 0)
        return np.column_stack(cols) if cols else np.zeros((self._n, 0), bool)

    def key_matrix(self, column: str = "kind", values: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One pass over the table: per community and key, (count, sum of *values*, count of NaN values).

        Arrays of shape (communities, keys); the keys are :meth:`key_names`.
        """
        k = len(self.key_names(column))
        codes = self._child.cols[column]
        keyed = codes >= 0  # (a record whose key is missing is in no cell)
        everyone = bool(keyed.all())
        idx = self._child.owner.astype(np.int64) * k + codes
        if not everyone:
            idx = idx[keyed]
        size = self._n * k
        count = np.bincount(idx, minlength=size).reshape(self._n, k)
        if values is None:
            return count, np.zeros((self._n, k)), np.zeros((self._n, k), np.int64)
        v = self._per_record(values, "values")
        if not everyone:
            v = v[keyed]
        nan = np.isnan(v)
        total = np.bincount(idx, weights=np.where(nan, 0.0, v), minlength=size).reshape(self._n, k)
        nans = np.bincount(idx[nan], minlength=size).reshape(self._n, k)
        return count, total, nans


class CommunityInputs:
    """The columns of a dataset, as a rule function sees them (one value per community).

    Annotate a rule function's first argument with it (``def rule(c: CommunityInputs, p: Parameters)``)
    so an editor completes ``c.number(…)``.

    Numbers come as float arrays with NaN for missing; booleans and tests as :class:`Tri`.
    Results are cached for the evaluation, so rules sharing an input compute it once.
    """

    def __init__(self, store: C.Store):
        self._st = store
        self._cache: dict[Any, Any] = {}
        cm = store.communities
        self.n = store.n_communities
        #: 12-digit codes of the communities (int64), in row order.
        self.codes = cm["code"]
        self.facilities = ChildInputs("facilities", store.facilities, cm["known.facilities"])
        self.staff = ChildInputs("staff", store.staff, cm["known.staff"])
        self.tasks = ChildInputs("tasks", store.tasks, cm["known.tasks"])
        self.plaques = ChildInputs("plaques", store.tags["plaques"], cm["known.plaques"])
        self.unified = ChildInputs("unified", store.tags["unified"], cm["known.unified"])
        self.bodies = ChildInputs("bodies", store.tags["bodies"], cm["known.bodies"])
        self._selected: Tri | None = None

    @property
    def selected(self) -> Tri:
        """The communities this rule counts (a Tri): for a region-level rule, those inside its scope
        and of its area types (unknown where the area type is missing); every community otherwise.

        Given by the engine to each rule through :meth:`with_selection`; read-only.
        """
        if self._selected is None:
            self._selected = Tri.true(self.n)
        return self._selected

    def with_selection(self, selected: Tri) -> "CommunityInputs":
        """The same inputs (sharing their cache) with *selected* as :attr:`selected`; ``self`` is unchanged."""
        if len(selected) != self.n:
            raise ValueError(f"a selection of {len(selected)} communities for {self.n}")
        view = _shallow_copy(self)
        view._selected = selected
        return view

    def release(self) -> None:
        """Drop every value cached for the evaluation (aggregates, flags, masks of the child tables)."""
        self._cache.clear()
        for child in (self.facilities, self.staff, self.tasks, self.plaques, self.unified, self.bodies):
            child._cache.clear()

    def _cached(self, key: Any, make: Any) -> Any:
        v = self._cache.get(key)
        if v is None:
            v = self._cache[key] = make()
        return v

    # scalar fields ---------------------------------------------------------------------------------
    def number(self, path: str) -> np.ndarray:
        """A numeric field by its flat path (``"households"``, ``"funding.operating"``): float, NaN missing."""
        col = self._st.communities.get(path)
        spec = _COMMUNITY_SPECS.get(path)
        if col is None or spec is None or spec.kind not in ("count", "quantity", "share"):
            raise KeyError(f"no numeric community field {path!r} (fields: {', '.join(_NUMERIC)})")
        return col

    def flag(self, path: str) -> Tri:
        """A boolean field (``"new_build"``, ``"assessment.appeal_period"``) as a Tri."""
        spec = _COMMUNITY_SPECS.get(path)
        if spec is None or spec.kind != "bool":
            raise KeyError(f"no boolean community field {path!r}")
        return self._cached(("flag", path), lambda: Tri.from_int8(self._st.communities[path]))

    @property
    def area_type(self) -> np.ndarray:
        """Area type codes (positions in :class:`~shequ_gov.AreaType`), -1 where missing."""
        return self._st.communities["area_type"]

    def area_is(self, *types: AreaType | str) -> Tri:
        """Whether each community's area type is one of *types* (unknown where it is missing)."""
        try:  # the codes of a set of area types, worked out once (rules ask with the same few sets)
            codes = _AREA_CODES.get(types)
        except TypeError:  # an unhashable argument: parsed below, which says what is wrong with it
            codes = None
        if codes is None:
            codes = tuple(sorted(AREA_TYPES.index(AreaType.parse(t).value) for t in types))
            if len(_AREA_CODES) < 256:
                _AREA_CODES[types] = codes

        def make() -> Tri:
            lut = np.zeros(len(AREA_TYPES) + 1, dtype=bool)  # the last cell is the missing code -1
            lut[list(codes)] = True
            return Tri(lut[self.area_type], self.area_type >= 0)

        return self._cached(("area", codes), make)

    def _category_codes(self, by: str) -> tuple[np.ndarray, Any]:
        from ._policy import category_vocabulary

        vocab = category_vocabulary(by)
        return self._st.communities[by], vocab

    def by_category(self, value: Any) -> "Range":
        """Per community, the value of a parameter keyed by a category (:class:`~shequ_gov.ByCategory`).

        Where the community's category (its area type) is missing the threshold could be any of the
        parameter's values: the :class:`Range` from the smallest to the largest, so that a comparison
        is known where every possible threshold gives the same answer (26 万元 meets every Loudi
        operating-funds minimum; 7 万元 none).
        """
        if not (isinstance(value, Mapping) and hasattr(value, "by")):
            raise TypeError(f"expected the value of a parameter keyed by a category (by = \"area_type\"), "
                            f"got {value!r}")
        codes, vocab = self._category_codes(value.by)
        exact = [value[k] for k in vocab]
        low = np.array(exact + [value.low], dtype=np.float64)[codes]  # last cell: missing (-1)
        high = np.array(exact + [value.high], dtype=np.float64)[codes]
        return Range(low, high)

    def per_area_type(self, choices: Mapping[str, Tri]) -> Tri:
        """Per community, the Tri of its area type in *choices* (a Tri for every area type).

        Where the area type is missing, known only if every area type's Tri is known and they agree:
        the verdict every possible area type would give.
        """
        codes = self.area_type
        keys = list(AREA_TYPES)
        missing_keys = [k for k in keys if k not in choices]
        if missing_keys:
            raise KeyError(f"per_area_type needs a Tri for every area type; missing: {', '.join(missing_keys)}")
        ts = [choices[k] for k in keys]
        value = np.zeros(self.n, bool)
        known = np.zeros(self.n, bool)
        for i, t in enumerate(ts):
            here = codes == i
            value |= here & t.value
            known |= here & t.known
        all_true = np.logical_and.reduce([t.is_true for t in ts])
        all_false = np.logical_and.reduce([t.is_false for t in ts])
        missing = codes < 0
        return Tri(value | (missing & all_true), known | (missing & (all_true | all_false)))

    @property
    def urban(self) -> Tri:
        """Central urban or urban ("urban" in the standards)."""
        return self.area_is(AreaType.CENTRAL_URBAN, AreaType.URBAN)

    # child tables ----------------------------------------------------------------------------------
    def facility_area(self, kind: str) -> np.ndarray:
        """Total area (m²) of each community's facilities of *kind*: 0 if it has none, NaN if unknown."""
        k = FACILITY_KINDS.index(FACILITY_KINDS.check(kind))
        f = self.facilities
        return self._cached(("farea", kind), lambda: f.sum(f.column("area"), f.column("kind") == k))

    def has_facility(self, kind: str) -> Tri:
        """Whether each community has a facility of *kind* (unknown where the list is missing)."""
        FACILITY_KINDS.check(kind)
        return self._cached(("hasf", kind), lambda: Tri(self.facilities.keys_present([kind])[:, 0],
                                                        self.facilities.known))

    def has_tag(self, field: str, key: str) -> Tri:
        """Whether the list *field* (``plaques``, ``unified``, ``bodies``) of each community holds *key*."""
        child = self._tags(field)
        C.TAG_VOCABS[field].check(key)
        return self._cached(("tag", field, key), lambda: Tri(child.keys_present([key], "key")[:, 0], child.known))

    def tags_outside(self, field: str, allowed: Iterable[str]) -> np.ndarray:
        """Per tag-list row: whether its key is not among *allowed*."""
        child = self._tags(field)
        return ~child.kind_in(list(allowed), "key")

    def _tags(self, field: str) -> ChildInputs:
        if field not in C.TAG_VOCABS:
            raise KeyError(f"no tag list {field!r} (lists: {', '.join(C.TAG_VOCABS)})")
        return getattr(self, field)

    def staff_count(self) -> np.ndarray:
        """Number of staff (two committees included): NaN where the staff list is missing."""
        return self._cached("staff_n", lambda: self.staff.count())

    def staff_has_role(self, *roles: str) -> np.ndarray:
        """Per staff row: whether the member holds any of *roles*."""
        bits = 0
        for r in roles:
            bits |= C.ROLE_BITS[ROLES.check(r)]
        return (self.staff.column("roles") & bits) != 0

    def task_role_is(self, role: str) -> Tri:
        """Per task row: whether the community's role in it is *role* (unknown where not given)."""
        code = TASK_ROLES.index(TASK_ROLES.check(role))
        col = self.tasks.column("role")
        return Tri._normal(col == code, col >= 0)  # a code (≥ 0) implies known

    def task_handed_down(self) -> Tri:
        """Per task row: whether the task is handed to the community (its role ``responsible`` or
        ``assisting``), not one of its own self-governance items (``self``); unknown where the role is not given."""
        return ~self.task_role_is("self")

    def ratings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The staff ratings table: (staff row, year, rating code) arrays, sorted by staff row then year."""
        r = self._st.ratings
        return r.owner, r.cols["year"], r.cols["rating"]

    def rating_code(self, key: str) -> int:
        """The stored code of a rating key (``"incompetent"``)."""
        return RATINGS.index(RATINGS.check(key))

    # regions ---------------------------------------------------------------------------------------
    def ancestor_value(self, level: Level | str, field: str) -> np.ndarray:
        """Per community: a numeric field of its ancestor at *level* (e.g. the city's average wage).

        NaN where the value is missing, and where the hierarchy skips *level* above the community
        (a street directly under its city has no district: see :class:`RegionInputs`).
        """
        lv = Level.parse(level)
        spec = C.REGION_SPECS.get(field)
        if spec is None:
            raise KeyError(f"no region field {field!r} (fields: {', '.join(C.REGION_SPECS)})")
        col = self._st.regions[field]
        if not len(col) or lv is Level.COMMUNITY:
            return np.full(self.n, np.nan)
        anc = self._st.communities["anc"][lv.depth]
        out = col[anc].astype(np.float64)
        out[self._st.regions["depth"][anc] != lv.depth] = np.nan  # the level is skipped above it
        return out

    def regions(self, level: Level | str) -> "RegionInputs":
        """The regions of *level*, with aggregation of community values into them."""
        lv = Level.parse(level)
        regions = self._cached(("regions", lv), lambda: RegionInputs(self, lv))
        if regions._inputs is not self:  # the view of this rule's selection (see with_selection)
            regions = _shallow_copy(regions)
            regions._inputs = self
        return regions


class RegionInputs:
    """Regions of one level: their fields, and community values aggregated into them.

    **Skipped levels.** The hierarchy may skip a level: the streets of 东莞 (4419), 中山 (4420)
    and 儋州 (4604) sit directly under their city, with no district. A unit below a skipped level
    belongs to no region of that level: such a city is not a district, so a district-level rule
    gives it no verdict, and its communities and streets count in no district's aggregate
    (:meth:`count`, :meth:`share`, :meth:`children_all`, :meth:`children_count`);
    :attr:`of_community` is -1 for them. Community-level rules judge those communities as usual,
    and city- and province-level aggregates include them.
    """

    def __init__(self, inputs: CommunityInputs, level: Level):
        st = inputs._st
        self._inputs = inputs
        self.level = level
        self.rows = np.flatnonzero(st.regions["depth"] == level.depth)
        #: 12-digit codes of these regions (int64).
        self.codes = st.regions["code"][self.rows]
        self.n = len(self.rows)
        pos = np.full(st.n_regions, -1, dtype=np.int64)
        pos[self.rows] = np.arange(self.n)
        self._pos = pos
        #: For each community, the position of its ancestor of this level among these regions;
        #: -1 where the hierarchy skips this level above the community.
        self.of_community = pos[st.communities["anc"][level.depth]] if inputs.n and level.depth < 4 else \
            np.full(inputs.n, -1, np.int64)
        inside = self.of_community >= 0
        self._inside = None if inside.all() else inside  # None: every community has such an ancestor
        self._bounds = _contiguous(self.of_community, self.n)

    def _sum(self, weights: np.ndarray) -> np.ndarray:
        """Per region: the sum of a per-community array over the communities inside it."""
        if len(weights) <= _FEW_RECORDS and isinstance(weights, np.ndarray) and weights.dtype == bool:
            # a few communities: the general path below (exact for counts), cheaper than a running sum
            weights = weights.astype(np.float64)
        if self._bounds is not None and isinstance(weights, np.ndarray) and weights.dtype == bool:
            # communities are in code order, so each region's are one run of rows: a count is the
            # difference of one running sum at the runs' ends
            total = np.empty(len(weights) + 1, dtype=np.int64)
            total[0] = 0
            np.cumsum(weights, out=total[1:])
            lo, hi = self._bounds
            return (total[hi] - total[lo]).astype(np.float64)
        w = np.asarray(weights, np.float64)
        if self._inside is None:
            return np.bincount(self.of_community, weights=w, minlength=self.n).astype(np.float64)
        return np.bincount(self.of_community[self._inside], weights=w[self._inside],
                           minlength=self.n).astype(np.float64)

    def parent_of(self, codes: np.ndarray) -> np.ndarray:
        """For int64 codes of units below this level: the position of the region of this level
        containing each, -1 where the dataset has none (a skipped level)."""
        from ._codes import truncate

        if not self.n:
            return np.full(len(codes), -1, np.int64)
        anc = truncate(np.asarray(codes, np.int64), self.level.depth)
        pos = np.searchsorted(self.codes, anc)
        pos[pos >= self.n] = 0
        return np.where(self.codes[pos] == anc, pos, -1)

    def children_count(self, child_level: Level | str, mask: np.ndarray | None = None) -> np.ndarray:
        """Per region: how many regions of *child_level* (matching *mask*, over them) the dataset holds in it."""
        child = self._inputs.regions(child_level)
        own = self.parent_of(child.codes)
        inside = own >= 0
        w = None if mask is None else np.asarray(mask, np.float64)[inside]
        return np.bincount(own[inside], weights=w, minlength=self.n).astype(np.float64)

    def number(self, field: str) -> np.ndarray:
        """A numeric region field (float, NaN missing)."""
        return self._inputs._st.regions[field][self.rows].astype(np.float64)

    def flag(self, field: str) -> Tri:
        """A boolean region field as a Tri."""
        return Tri.from_int8(self._inputs._st.regions[field][self.rows])

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Per region: how many communities inside it satisfy *mask*."""
        return self._sum(mask)

    def share(self, t: Tri, among: Tri | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per region: the share of selected communities where *t* holds, as (low, high, total).

        *among* selects the communities counted (default: the rule's selection); the share is
        certain where low == high, and bounded by them where some values are unknown.
        """
        sel = self._inputs.selected if among is None else among
        counted = sel.is_true
        n_maybe = self.count(~sel.known)
        total = self.count(counted)
        n_true = self.count(counted & t.is_true)
        n_unknown = self.count(counted & ~t.known) + n_maybe
        with np.errstate(invalid="ignore", divide="ignore"):
            low = n_true / (total + n_maybe)
            high = (n_true + n_unknown) / (total + n_maybe)
        return low, high, total

    def share_known(self, t: Tri, among: Tri | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per region: the share of selected communities where *t* holds, among those where it is known,
        and how many those are (the share is NaN where none is) — as a statistics office reports a
        share over the units it has figures for. *among* as in :meth:`share`.
        """
        sel = self._inputs.selected if among is None else among
        known = sel.is_true & t.known
        n_known = self.count(known)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = self.count(known & t.is_true) / n_known
        return np.where(n_known > 0, share, np.nan), n_known

    def share_range(self, t: Tri, among: Tri | None = None) -> Range:
        """Per region: the share of selected communities where *t* holds, as a :class:`Range` (see :meth:`share`)."""
        low, high, _ = self.share(t, among)
        return Range(low, high)

    def children_all(self, t: Tri, child_level: Level | str) -> Tri:
        """Per region: whether *t* (a Tri over regions of *child_level*) holds for every child region."""
        child = self._inputs.regions(child_level)
        own = self.parent_of(child.codes)
        inside = own >= 0  # a child under a skipped level belongs to no region of this one
        own = own[inside]
        n_false = np.bincount(own, weights=t.is_false[inside].astype(np.float64), minlength=self.n) > 0
        n_unknown = np.bincount(own, weights=(~t.known[inside]).astype(np.float64), minlength=self.n) > 0
        return Tri(~n_false & ~n_unknown, n_false | ~n_unknown)


def _shallow_copy(obj: Any) -> Any:
    """What ``copy.copy`` gives for the inputs' classes (plain attributes in ``__dict__``), without its
    protocol lookups: a view is made per region-level rule."""
    out = object.__new__(type(obj))
    out.__dict__.update(obj.__dict__)
    return out


def _contiguous(of_row: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Where the rows of each of *n* groups form one run (rows in code order, -1: in no group):
    each group's run as ``(start, stop)`` arrays (empty runs for groups with no row); else None."""
    if len(of_row) <= _FEW_RECORDS and n <= _FEW_RECORDS:  # a few rows and groups: the same runs, in Python
        lo, hi = [0] * n, [0] * n
        last = -1
        for row, g in enumerate(of_row.tolist()):
            if g < 0:
                continue
            if g < last:
                return None
            if g != last:
                lo[g] = row
            hi[g] = row + 1
            last = g
        if sum(hi) - sum(lo) != sum(1 for g in of_row.tolist() if g >= 0):  # a row of no group inside a run
            return None
        return np.array(lo, dtype=np.int64), np.array(hi, dtype=np.int64)
    rows = np.flatnonzero(of_row >= 0)
    grp = of_row[rows]
    if len(grp) > 1 and np.any(grp[1:] < grp[:-1]):
        return None
    ids = np.arange(n)
    first = np.searchsorted(grp, ids, "left")
    last = np.searchsorted(grp, ids, "right")
    filled = last > first
    lo = np.zeros(n, np.int64)
    hi = np.zeros(n, np.int64)
    lo[filled] = rows[first[filled]]
    hi[filled] = rows[last[filled] - 1] + 1
    if int((hi - lo).sum()) != len(rows):  # a row of no group inside a run: not contiguous
        return None
    return lo, hi


def _popcount(bits: np.ndarray) -> np.ndarray:
    """Number of set bits of each element of an unsigned integer array."""
    if hasattr(np, "bitwise_count"):  # numpy ≥ 2.0
        return np.bitwise_count(bits)
    table = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
    if bits.dtype.itemsize == 1:
        return table[bits.view(np.uint8)]
    return table[bits.view(np.uint8).reshape(len(bits), -1)].sum(axis=1)


#: The former name of :class:`CommunityInputs`.
Inputs = CommunityInputs

#: How many masks (by their bits) each child table keeps the counts of for the evaluation: rules that
#: count the same records (a helper several rules call, a rule's count and then ``no_violations`` on
#: the same offending records) count them once; the oldest go first.
_COUNTED = 8
#: Up to this many records (or communities) aggregates count the owners of the true ones, where numpy's
#: fixed cost per call exceeds the work (a single-community request); the results are the same.
_FEW_RECORDS = 64
#: Up to this many subjects :func:`compare` works element by element (as the engine's statuses do).
_FEW_SUBJECTS = 8

#: :meth:`CommunityInputs.area_is`'s area type codes, by the types asked for.
_AREA_CODES: dict[tuple[Any, ...], tuple[int, ...]] = {}

_COMMUNITY_SPECS = dict(S.COMMUNITY_COLUMNS)
_NUMERIC = [p for p, f in S.COMMUNITY_COLUMNS if f.kind in ("count", "quantity", "share")]


def fmt(v: Any) -> str:
    """A number as people write it (thousands separators, no trailing zeros)."""
    from ._policy import _fmt_number

    return _fmt_number(float(v))


def labels(keys: Sequence[str], vocab: Any) -> str:
    """Bilingual labels of vocabulary keys, for notes."""
    return "、".join(vocab.term(k).zh for k in keys)
