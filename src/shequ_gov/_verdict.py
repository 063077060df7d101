"""Verdicts, the low layer the engine, the report and rule functions share.

:class:`Tri` is the three-valued boolean rule functions compute with; :class:`Relation` is the
typed comparison an :class:`Outcome` states (at least, at most, between, …) — the one place that
knows its symbol, its wording and how far a FAIL is from passing; :class:`Block` holds one rule's
verdicts as a status column (storage codes from :data:`shequ_gov._vocab.STATUS_CODES`).
The engine builds blocks, the report reads them; neither imports the other for them.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ._vocab import S_ERROR, S_FAIL, S_NA, Level

if TYPE_CHECKING:
    from ._policy import Policy, Rule

__all__ = ["Block", "Outcome", "PackedMask", "Relation", "Tri"]


class Relation(enum.Enum):
    """How an outcome's measured value stands to what is required: the rule's comparison.

    >>> Relation.AT_LEAST.symbol, Relation.AT_LEAST.gap(7.0, 8.0)
    ('≥', 1.0)
    """

    AT_LEAST = ">="      #: measured ≥ required; a FAIL is short by required − measured
    AT_MOST = "<="       #: measured ≤ required; a FAIL exceeds by measured − required
    BETWEEN = "between"  #: low ≤ measured ≤ high; required is the nearer bound
    CONDITION = "condition"  #: a condition with no comparison of numbers
    NONE = "none"        #: no offending record: measured is their count, required 0
    MEASURE = "measure"  #: an indicator: measured, not judged

    @classmethod
    def parse(cls, value: "Relation | str") -> "Relation":
        """The relation for *value* (a member or its string), or ``ValueError`` listing the known ones."""
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"unknown comparison {value!r}; expected one of "
                             + ", ".join(repr(m.value) for m in cls)) from None

    @property
    def compares(self) -> bool:
        """Whether a measured and a required number are compared (``≥`` or ``≤``)."""
        return self in (Relation.AT_LEAST, Relation.AT_MOST)

    @property
    def symbol(self) -> str:
        """``≥`` or ``≤`` for a comparison, else ``""``."""
        return {Relation.AT_LEAST: "≥", Relation.AT_MOST: "≤"}.get(self, "")

    @property
    def direction(self) -> str:
        """What a FAIL of a comparison needs: ``"more"`` (at least) or ``"less"`` (at most)."""
        return "more" if self is Relation.AT_LEAST else "less"

    @property
    def has_shortfall(self) -> bool:
        """Whether a FAIL has a distance to passing (``gap``)."""
        return self in (Relation.AT_LEAST, Relation.AT_MOST, Relation.NONE, Relation.BETWEEN)

    def gap(self, measured: Any, required: Any) -> Any:
        """How far *measured* is from passing against *required* (scalars or arrays; meaningful for a FAIL)."""
        if self is Relation.AT_LEAST:
            return required - measured
        if self in (Relation.AT_MOST, Relation.NONE):
            return measured - required
        if self is Relation.BETWEEN:
            return abs(measured - required)
        raise ValueError(f"a {self.value!r} outcome has no shortfall")


class Tri:
    """A three-valued boolean array: ``value`` where ``known``, unknown elsewhere.

    Combine with ``&``, ``|`` and ``~`` (Kleene logic). ``value`` is normalised to False where
    unknown, so two Tri with the same meaning compare equal array-wise.
    """

    __slots__ = ("value", "known")

    def __init__(self, value: Any, known: Any = None):
        v = np.asarray(value, dtype=bool)
        k = np.ones(v.shape, dtype=bool) if known is None else np.asarray(known, dtype=bool)
        self.value = v & k
        self.known = k

    @classmethod
    def true(cls, n: int) -> "Tri":
        """*n* values, all known true."""
        return cls(np.ones(n, bool))

    @classmethod
    def false(cls, n: int) -> "Tri":
        """*n* values, all known false."""
        return cls(np.zeros(n, bool))

    @classmethod
    def from_int8(cls, col: np.ndarray) -> "Tri":
        """From a stored boolean column (1 true, 0 false, -1 missing)."""
        col = np.asarray(col)
        return cls._normal(col == 1, col >= 0)  # true implies known: no normalising pass

    @classmethod
    def from_float(cls, values: Any) -> "Tri":
        """From numbers: NaN unknown, non-zero true, zero false (the inverse of :meth:`as_float`)."""
        v = np.asarray(values, dtype=np.float64)
        known = ~np.isnan(v)
        return cls(known & (v != 0), known)

    def as_float(self) -> np.ndarray:
        """1.0 where true, 0.0 where false, NaN where unknown (for the inputs shown in explanations).

        >>> Tri(np.array([True, False, True]), np.array([True, True, False])).as_float().tolist()
        [1.0, 0.0, nan]
        """
        return np.where(self.known, self.value.astype(np.float64), np.nan)

    def __len__(self) -> int:
        return len(self.value)

    @classmethod
    def _normal(cls, value: np.ndarray, known: np.ndarray) -> "Tri":
        """A Tri of fresh arrays already normal (``value`` false wherever unknown): no copy, no mask."""
        t = cls.__new__(cls)
        t.value = value
        t.known = known
        return t

    def __and__(self, other: "Tri") -> "Tri":
        o = _tri(other, len(self))
        false = self.is_false
        false |= o.is_false
        true = self.value & o.value
        false |= true
        return Tri._normal(true, false)  # true implies known

    def __or__(self, other: "Tri") -> "Tri":
        o = _tri(other, len(self))
        true = self.value | o.value
        known = self.is_false
        known &= o.is_false
        known |= true
        return Tri._normal(true, known)

    def __invert__(self) -> "Tri":
        return Tri._normal(self.is_false, self.known)

    __rand__ = __and__
    __ror__ = __or__

    @property
    def is_true(self) -> np.ndarray:
        """Definitely true."""
        return self.value

    @property
    def is_false(self) -> np.ndarray:
        """Definitely false."""
        return np.greater(self.known, self.value)  # known & ~value, in one pass

    def where(self, mask: np.ndarray) -> "Tri":
        """Unknown outside *mask*."""
        return Tri(self.value, self.known & mask)

    def states(self) -> list[str]:
        """``'true'``, ``'false'`` or ``'unknown'`` for each element (for tests and explanations)."""
        return ["unknown" if not k else ("true" if v else "false") for v, k in zip(self.value, self.known)]

    def __repr__(self) -> str:
        return f"Tri({self.states()[:8]}{'…' if len(self) > 8 else ''})"


def _tri(x: Any, n: int) -> Tri:
    if isinstance(x, Tri):
        return x
    if isinstance(x, (bool, np.bool_)):
        return Tri(np.full(n, bool(x)))
    return Tri(x)


class Outcome:
    """What a rule function returns: a verdict per subject, with the numbers behind it.

    Build one with the constructors of this module rather than directly. ``inputs`` maps a
    bilingual label to ``(array, unit)`` for explanations; ``violations`` maps a child-table name
    (``"tasks"``, ``"staff"``, ``"facilities"``, ``"plaques"``…) to a boolean mask over its rows
    marking the offending records.
    """

    __slots__ = ("result", "measured", "required", "unit", "op", "inputs", "violations", "indicator", "note", "low",
                 "high")

    def __init__(self, result: Tri | None, *, measured: Any = None, required: Any = None, unit: str = "",
                 op: Relation | str = Relation.CONDITION, inputs: Mapping[str, tuple[np.ndarray, str]] | None = None,
                 violations: Mapping[str, np.ndarray] | None = None, indicator: bool = False, note: str = ""):
        self.result = result
        self.measured = measured
        self.required = required
        self.unit = unit
        self.op = op if type(op) is Relation else Relation.parse(op)
        self.inputs = dict(inputs or {})
        self.violations = dict(violations or {})
        self.indicator = indicator
        self.note = note
        self.low = self.high = None

    def __len__(self) -> int:
        return len(self.result) if self.result is not None else len(self.measured)

    def __bool__(self) -> bool:  # an outcome is there or not (``if block.outcome``), whatever its length
        return True


class Block:
    """The verdicts of one rule: a status for every subject of its level (communities or regions).

    ``included`` marks the subjects the policy judges at all (inside its jurisdiction, or every
    subject in what-if mode); only those are rows of the report. ``parameters_read`` names the
    parameters the rule's function read (``None`` when it did not run).
    """

    __slots__ = ("rule", "policy", "level", "codes", "included", "status", "outcome", "error", "seconds",
                 "_region_rows", "parameters_read", "rule_seconds")

    def __init__(self, rule: Rule, policy: Policy, level: Level, codes: np.ndarray, included: np.ndarray,
                 status: np.ndarray, outcome: Outcome | None, error: str | None, seconds: float,
                 region_rows: np.ndarray | None):
        self.rule = rule
        self.policy = policy
        self.level = level
        self.codes = codes
        self.included = included
        self.status = status
        self.outcome = outcome
        self.error = error
        self.seconds = seconds  # the whole of the rule's evaluation, engine work included
        self._region_rows = region_rows
        self.rule_seconds = 0.0  # the rule's own function alone (the rest is the engine's share)

    def row(self, code: int) -> int:
        i = int(np.searchsorted(self.codes, code))
        return i if i < len(self.codes) and self.codes[i] == code else -1

    def _judged(self, values: Any) -> np.ndarray:
        # numbers belong to verdicts the rule reached: not to subjects it does not apply to
        # (np.where broadcasts a single value over the subjects itself)
        return np.where((self.status == S_NA) | (self.status == S_ERROR), np.nan, np.asarray(values, dtype=np.float64))

    def measured(self) -> np.ndarray | None:
        o = self.outcome
        if o is None or o.measured is None:
            return None
        return self._judged(o.measured)

    def required(self) -> np.ndarray | None:
        o = self.outcome
        if o is None or o.required is None:
            return None
        return self._judged(o.required)

    def _value_at(self, values: Any, row: int, status: int | None = None) -> float:
        if (int(self.status[row]) if status is None else status) in _UNJUDGED:
            return np.nan
        return float(values[row]) if (values.ndim if type(values) is np.ndarray else np.ndim(values)) else float(values)

    def measured_at(self, row: int) -> float | None:
        """:meth:`measured` of one subject (None where the rule reports no measured value), in O(1)."""
        o = self.outcome
        return None if o is None or o.measured is None else self._value_at(o.measured, row)

    def required_at(self, row: int) -> float | None:
        """:meth:`required` of one subject, in O(1)."""
        o = self.outcome
        return None if o is None or o.required is None else self._value_at(o.required, row)

    def shortfall_at(self, row: int) -> float | None:
        """:meth:`shortfall` of one subject, in O(1) (the same arithmetic on one element)."""
        return self.values_at(row)[2]

    def values_at(self, row: int) -> tuple[float | None, float | None, float | None]:
        """:meth:`measured_at`, :meth:`required_at` and :meth:`shortfall_at` of one subject, each read once."""
        o = self.outcome
        if o is None:
            return None, None, None
        s = int(self.status[row])
        m = None if o.measured is None else self._value_at(o.measured, row, s)
        r = None if o.required is None else self._value_at(o.required, row, s)
        if m is None or r is None or not o.op.has_shortfall:
            return m, r, None
        if s != S_FAIL:
            return m, r, np.nan
        return m, r, o.op.gap(m, r)

    def shortfall(self) -> np.ndarray | None:
        """How far each FAIL is from passing (in the rule's unit); NaN elsewhere."""
        o = self.outcome
        m, r = self.measured(), self.required()
        if o is None or m is None:
            return None
        if r is None or not o.op.has_shortfall:
            return None
        return np.where(self.status == S_FAIL, o.op.gap(m, r), np.nan)


_UNJUDGED = frozenset((S_NA, S_ERROR))  # statuses whose subjects have no measured or required value


class PackedMask:
    """A boolean mask over a child table's rows kept at one bit per row (for explanations).

    Indexing with a row gives that row's bool; ``np.asarray`` gives the whole mask back.
    """

    __slots__ = ("bits", "n")

    def __init__(self, mask: np.ndarray):
        self.bits = np.packbits(mask)
        self.n = len(mask)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> bool:
        if not -self.n <= i < self.n:
            raise IndexError(i)
        i %= self.n
        return bool(self.bits[i >> 3] >> (7 - (i & 7)) & 1)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = np.unpackbits(self.bits, count=self.n).astype(bool)
        return out if dtype is None else out.astype(dtype)
