"""The evaluation engine: every rule of every policy, once over whole columns.

For each rule the engine computes masks of applicability (jurisdiction or the whole dataset,
the rule's scope, its area types, its dates against ``as_of``), runs the rule's function once over
all communities (or all regions of the rule's level), and turns the outcome into a status column.
A rule that raises gives ERROR verdicts and a warning; the others still run. The dataset is
never changed.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import traceback
import warnings
import weakref
from typing import Any, Iterable

import numpy as np

from ._dataset import Dataset
from ._errors import RuleErrorWarning
from ._policy import Policy, Rule, _as_date
from ._report import Report
from ._verdict import Block, Outcome, PackedMask, Relation, Tri
from ._vocab import S_ERROR, S_FAIL, S_MEASURED, S_NA, S_PASS, S_UNKNOWN, Level
from .rules import ChildInputs, CommunityInputs, Inputs

__all__ = ["evaluate"]

MODES = ("jurisdiction", "what-if")


def _resolve(policies: Any) -> list[Policy]:
    from . import policies as registry

    if policies is None:
        return [registry.load(name) for name in registry.available()]
    if isinstance(policies, (str, Policy)):
        policies = [policies]
    out = []
    for p in policies:
        if isinstance(p, Policy):
            out.append(p)
        elif isinstance(p, str):
            out.append(registry.load(p))
        else:
            raise TypeError(f"expected a policy name or a Policy, got {type(p).__name__} {p!r}")
    ids = [p.id for p in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"policy given more than once: {', '.join(dup)}")
    return out


def _prefix_mask(codes: np.ndarray, prefixes: Iterable[str]) -> np.ndarray:
    from ._codes import SCALE, code_level

    mask = np.zeros(len(codes), dtype=bool)
    for p in prefixes:
        lv = code_level(p)
        if lv is Level.COMMUNITY:
            mask |= codes == int(p)
        else:
            s = SCALE[lv.depth]
            mask |= codes // s == int(p) // s
    return mask


def evaluate(dataset: Dataset | str | os.PathLike[str], policies: Any = None, *, as_of: dt.date | str | None = None,
             mode: str = "jurisdiction", scheduler: Any = None) -> "Report":
    """Judge *dataset* against *policies* and return a :class:`~shequ_gov.Report`.

    Parameters
    ----------
    dataset:
        A :class:`~shequ_gov.Dataset` (it is not changed), or the path of a file to read.
    policies:
        ``None`` (every installed policy), a policy name, a :class:`~shequ_gov.Policy`, or a list of them.
    as_of:
        The date of the evaluation (a ``date`` or ISO string); ``None`` means today. Rules not yet
        in force, or no longer, are NOT_APPLICABLE; parameters take the value in force on it.
    mode:
        ``"jurisdiction"``: each policy judges only the communities and regions inside its
        jurisdiction (and a rule with a scope only those inside the scope).
        ``"what-if"``: each policy judges every community and region of the dataset, as if its
        jurisdiction (and its rules' scopes) covered them all.
    scheduler:
        A ``dask.distributed.Client`` or a Dask scheduler's address: the dataset is evaluated
        province by province as Dask tasks on the cluster's workers, and the verdicts combined
        into the same report (byte-identical JSON) as without it. Needs the ``[dask]`` extra.
    """

    parts: list[Any] | None = None
    if isinstance(dataset, (str, os.PathLike)):
        path = dataset
        if scheduler is not None and os.path.isdir(path):
            from ._arrow import partitions

            # a directory partitioned by province: each worker reads and judges its own province
            parts = [(os.fspath(path), code) for code in partitions(path)] or None
        dataset = Dataset.read(path)
    if not isinstance(dataset, Dataset):
        raise TypeError(f"expected a shequ_gov.Dataset or a path, got {type(dataset).__name__}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(repr(m) for m in MODES)}, got {mode!r}")
    day = dt.date.today() if as_of is None else _as_date(as_of)
    pols = _resolve(policies)
    if scheduler is not None:
        from ._distributed import evaluate_partitioned, provinces

        return evaluate_partitioned(scheduler, dataset, parts or provinces(dataset), pols, day, mode)
    inputs = CommunityInputs(dataset._st)
    blocks = run_policies(dataset, pols, day, mode, inputs)
    inputs.release()  # the evaluation's aggregates go now, not at the next cyclic collection
    return Report(dataset, pols, blocks, day, mode)


def run_policies(dataset: Dataset, pols: list[Policy], day: dt.date, mode: str, inputs: CommunityInputs) -> list[Block]:
    """The blocks of every rule of *pols*, on *inputs* (which may be shared by several runs over
    one dataset: its caches hold only values derived from the data, never from parameters)."""
    st = dataset._st
    blocks: list[Block] = []
    ccodes = st.communities["code"]
    everyone = np.ones(len(ccodes), bool) if mode == "what-if" else None  # one mask for every policy
    if everyone is not None:
        everyone.setflags(write=False)
    masks: dict[Any, Any] = {}  # applicability masks and selections, shared by the rules that have the same
    for pol in pols:
        jur_c = everyone if everyone is not None else _shared(
            masks, ("jurisdiction", Level.COMMUNITY, tuple(pol.jurisdiction)), lambda: _prefix_mask(ccodes, pol.jurisdiction))
        params = pol.params(day)
        for rule in pol.rules:
            blocks.append(_run(rule, pol, inputs, st, day, mode, jur_c, params, masks))
    return blocks


def _any(mask: np.ndarray, masks: dict[Any, Any]) -> bool:
    """``mask.any()``, once per applicability mask and evaluation (the rules sharing a mask share it)."""
    hit = masks.get(("any", id(mask)))
    if hit is None or hit[0] is not mask:  # (the mask is kept with the answer: its id is not reused meanwhile)
        hit = masks[("any", id(mask))] = (mask, bool(mask.any()))
    return hit[1]


def _shared(masks: dict[Any, Any], key: Any, make: Any) -> Any:
    """*make()*, once per *key* and evaluation (read-only: the blocks of several rules hold it)."""
    hit = masks.get(key)
    if hit is None:
        hit = masks[key] = make()
        for a in (hit.value, hit.known) if isinstance(hit, Tri) else (hit,):
            a.setflags(write=False)
    return hit


def _run(rule: Rule, pol: Policy, inputs: CommunityInputs, st: Any, day: dt.date, mode: str, jur_c: np.ndarray,
         params: Any, masks: dict[Any, Any] | None = None) -> Block:
    t0 = time.perf_counter()
    masks = {} if masks is None else masks
    level = rule.level
    ccodes = st.communities["code"]
    in_scope_c = jur_c if (rule.scope is None or mode == "what-if") else \
        _shared(masks, ("scope", id(jur_c), rule.scope), lambda: jur_c & _prefix_mask(ccodes, [rule.scope]))
    area_types = rule.area_types_on(params)
    area = inputs.area_is(*area_types) if area_types else None
    if level is Level.COMMUNITY:
        codes = ccodes
        included = jur_c
        applicable = in_scope_c
        region_rows = None
    else:
        regions = inputs.regions(level)
        codes = regions.codes
        region_rows = regions.rows
        if mode == "what-if":
            included = _shared(masks, ("all", level), lambda: np.ones(regions.n, bool))
        else:
            included = _shared(masks, ("jurisdiction", level, tuple(pol.jurisdiction)),
                               lambda: _prefix_mask(codes, pol.jurisdiction))
            # a region that contains the jurisdiction (a province for a district policy) is not judged
        applicable = included if (rule.scope is None or mode == "what-if") else \
            _shared(masks, ("scope", id(included), rule.scope), lambda: included & _prefix_mask(codes, [rule.scope]))
    n = len(codes)
    status = None  # NOT_APPLICABLE everywhere unless the rule ran
    outcome = None
    error = None
    rule_s = 0.0
    missing_params = [name for name in rule.parameters if params[name] is None]
    read: tuple[str, ...] | None = None
    if rule.in_force(day) and not missing_params and _any(applicable, masks):
        c = inputs
        if level is not Level.COMMUNITY:  # the rule's selection is an input of its own, not shared state
            sel = _shared(masks, ("selected", id(in_scope_c), area_types),
                          lambda: Tri(in_scope_c) & area if area is not None else Tri(in_scope_c))
            c = inputs.with_selection(sel)
        p = params.for_rule(rule)  # only the declared parameters; reads recorded for the explanation
        t_rule = time.perf_counter()
        try:
            outcome = rule.function(c, p)
            rule_s = time.perf_counter() - t_rule
            _check_outcome(outcome, n, rule, inputs)
        except (Exception, SystemExit) as exc:  # a broken rule (even one calling sys.exit) must not stop the others
            error = f"{type(exc).__name__}: {exc}"
            warnings.warn(RuleErrorWarning(
                f"rule {rule.id} of policy {pol.id} raised {error}; its verdicts are ERROR\n"
                + "".join(traceback.format_exception_only(exc)).strip()), stacklevel=2)
            status = np.full(n, S_NA, dtype=np.int8)
            status[applicable] = S_ERROR
            outcome = None
            rule_s = time.perf_counter() - t_rule
        read = p.read
        if rule.area_types_parameter is not None and read is not None:  # read by the engine, for the rule
            read = tuple(dict.fromkeys((*read, rule.area_types_parameter)))
        if outcome is not None:
            status = _statuses(outcome, applicable, area if level is Level.COMMUNITY else None)
            _compact(outcome, inputs._cache.setdefault("_compact_memo", {}), inputs)
    if status is None:
        status = np.full(n, S_NA, dtype=np.int8)
    block = Block(rule, pol, level, codes, included, status, outcome, error, time.perf_counter() - t0, region_rows)
    block.parameters_read = read
    block.rule_seconds = rule_s
    return block


if (S_PASS, S_FAIL, S_NA, S_UNKNOWN) != (0, 1, 2, 3):  # pinned in _vocab.STATUS_CODES
    raise AssertionError("_statuses maps (judged, known, true) to the status codes 0-3 arithmetically")


def _statuses(outcome: Outcome, applicable: np.ndarray, area: Tri | None) -> np.ndarray:
    """The status column of a rule that ran: one table lookup over (judged, known, true) per subject.

    Not applicable where the rule does not apply; UNKNOWN where the community's area type is
    missing (for rules limited to area types) or the result is unknown; else FAIL or PASS
    (MEASURED for an indicator).
    """
    res = outcome.result
    if len(applicable) <= _FEW_SUBJECTS:  # a few subjects: the same arithmetic element by element
        return _few_statuses(outcome, applicable, area)
    ok = applicable if area is None else applicable & area.is_true
    idx = np.add(_u8(res.known), _u8(res.value))  # 0 unknown, 1 false, 2 true (value implies known)
    idx += 1
    idx *= _u8(ok)
    if area is not None:
        idx += _u8(applicable & ~area.known)  # disjoint from ok: area type missing → UNKNOWN
    # 0 → NA, 1 → UNKNOWN, 2 → FAIL, 3 → PASS: idx ^ 2 ^ (idx >> 1), three byte-wide passes
    status = idx >> 1
    status ^= idx
    status ^= 2
    if outcome.indicator:
        status[idx == 3] = S_MEASURED
    return status.view(np.int8)


#: Up to this many subjects the engine computes a rule's statuses element by element (a single-community
#: request), where numpy's fixed cost per call exceeds the work.
_FEW_SUBJECTS = 8
_TO_STATUS = tuple(i ^ 2 ^ (i >> 1) for i in range(5))  # (judged, known, true) index → status, as in _statuses


def _few_statuses(outcome: Outcome, applicable: np.ndarray, area: Tri | None) -> np.ndarray:
    """:func:`_statuses` for a few subjects, element by element with the same table."""
    res = outcome.result
    known, value, app = res.known.tolist(), res.value.tolist(), applicable.tolist()
    if area is None:
        a_true = a_known = (True,) * len(app)
    else:
        a_true, a_known = area.is_true.tolist(), area.known.tolist()
    measured = outcome.indicator
    out = []
    for k, v, ap, at, ak in zip(known, value, app, a_true, a_known):
        idx = ((k + v + 1) if ap and at else 0) + (ap and not ak)
        out.append(S_MEASURED if idx == 3 and measured else _TO_STATUS[idx])
    return np.array(out, dtype=np.int8)


def _u8(mask: np.ndarray) -> np.ndarray:
    """A boolean array as 0/1 bytes (a view where it can be one)."""
    return mask.view(np.uint8) if mask.flags.c_contiguous else mask.astype(np.uint8)


def _compact(outcome: Outcome, memo: dict[Any, Any], inputs: CommunityInputs | None = None) -> None:
    """Keep what the report needs of a rule's outcome, in the smallest exact form.

    The three-valued result goes (the status column holds it); a float column (measured,
    required, an explanation input) whose elements are all the same number is kept as that one
    number; the others are stored as float32 where that holds every value exactly (counts, whole
    yuan, …), so exports and explanations read the same numbers; violation masks keep one bit per
    record. Equal columns (the same count shown by several rules and policies) are kept once, and
    arrays shared by several rules are compacted once (*memo*, per evaluation); read-only arrays
    (the dataset's own columns) and short ones are kept as they are. The count of offending records made by
    :func:`~shequ_gov.rules.no_violations` is kept as the violation mask's bits it counts
    (:class:`ViolationCount`, recomputed per community on demand).
    """
    def small(a: Any, scalar: bool = True) -> Any:
        if not isinstance(a, np.ndarray) or a.dtype != np.float64 or a.ndim != 1 or not a.flags.writeable \
                or len(a) < 64:  # (a short array: too little to save to be worth the check)
            return a
        hit = memo.get(id(a))  # (a weak reference: the rule's own column is not kept alive for this)
        out = hit[1] if hit is not None and hit[0]() is a else None
        if out is None:
            out = _smallest(a, memo)
            memo[id(a)] = (weakref.ref(a), out)
        # a number read per row (a range's bounds) stays indexable: a view of the one number
        return out if scalar or out.ndim else np.broadcast_to(out, a.shape)

    n = outcome.result.value.shape[0]
    outcome.result = None  # the status column holds it now
    if n >= 64:  # (shorter columns are kept as they are: see small)
        outcome.required = small(outcome.required)
        outcome.low, outcome.high = small(outcome.low, False), small(outcome.high, False)  # read per row
        outcome.inputs = {k: (small(arr), unit) for k, (arr, unit) in outcome.inputs.items()}
    counted = _violation_count_of(outcome, inputs)
    outcome.violations = {k: PackedMask(m) if isinstance(m, np.ndarray) and m.dtype == bool and m.ndim == 1 else m
                          for k, m in outcome.violations.items()}
    if counted is not None:
        child = getattr(inputs, counted)._child
        outcome.measured = ViolationCount(outcome.violations[counted], child.offsets,
                                          getattr(inputs, counted).known)
    elif n >= 64:
        outcome.measured = small(outcome.measured)


def _violation_count_of(outcome: Outcome, inputs: CommunityInputs | None) -> str | None:
    """The table whose violation mask *outcome*'s measured value counts, if no_violations made both."""
    if inputs is None or outcome.op is not Relation.NONE or len(outcome.violations) != 1:
        return None
    (table, mask), = outcome.violations.items()
    child = getattr(inputs, table, None)
    hit = child._cache.get(("violation_count", id(outcome.measured))) if isinstance(child, ChildInputs) else None
    if hit is None or hit[0]() is not outcome.measured or hit[1]() is not mask:
        return None
    return table


class ViolationCount:
    """Per community: how many records a violation mask marks (NaN where the list is missing).

    The measured value of a :func:`~shequ_gov.rules.no_violations` rule, kept as the mask's bits
    (:class:`PackedMask`) and the table's offsets: one community's count costs its own records;
    ``np.asarray`` gives the whole float column.
    """

    __slots__ = ("mask", "offsets", "known")
    ndim = 1

    def __init__(self, mask: PackedMask, offsets: np.ndarray, known: np.ndarray):
        self.mask = mask
        self.offsets = offsets
        self.known = known

    @property
    def shape(self) -> tuple[int]:
        return (len(self.known),)

    def __len__(self) -> int:
        return len(self.known)

    def __getitem__(self, row: int) -> float:
        row = int(row)
        if not self.known[row]:
            return np.nan
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        if a == b:
            return 0.0
        bits = np.unpackbits(self.mask.bits[a >> 3:(b + 7) >> 3])
        return float(np.count_nonzero(bits[a & 7:(a & 7) + b - a]))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        marked = np.asarray(self.mask)
        total = np.zeros(len(marked) + 1, dtype=np.int64)
        np.cumsum(marked, out=total[1:])
        out = np.diff(total[self.offsets]).astype(np.float64)
        out[~self.known] = np.nan
        return out if dtype is None else out.astype(dtype)


#: How many leading elements :func:`_smallest` looks at before a pass over the whole column.
_PROBE = 2048


def _smallest(a: np.ndarray, memo: dict[Any, Any]) -> np.ndarray:
    """*a* (float64, 1-D) in its smallest exact form: one number, a float32 column, or itself;
    an equal column already kept for this evaluation (*memo*) is returned instead of a new one."""
    bits = a.view(np.uint64)
    head = a[:_PROBE]  # a look at the first elements rules out most columns before a whole pass
    if len(a) and np.all(bits[:_PROBE] == bits[0]) and np.all(bits == bits[0]):
        return np.array(a[0])  # every element the same number, bit for bit
    out = a
    with np.errstate(over="ignore", invalid="ignore"):
        if np.count_nonzero(head.astype(np.float32) != head) == np.count_nonzero(np.isnan(head)):
            small = a.astype(np.float32)
            # exact where the only unequal elements are the NaNs (NaN != NaN; the cast keeps NaN-ness,
            # so they are counted in the half-width copy)
            if np.count_nonzero(small != a) == np.count_nonzero(np.isnan(small)):
                out = small
    # equal columns are kept once: a checksum, then an exact comparison of the bits
    raw = out.view(np.uint32 if out.dtype == np.float32 else np.uint64)
    # (an even-length float32 column summed as 64-bit words: no cast of each word)
    words = out.view(np.uint64) if out.dtype == np.float32 and len(out) % 2 == 0 else raw
    key = ("same", out.dtype.char, len(out), int(np.add.reduce(words, dtype=np.uint64)))
    kept = memo.setdefault(key, [])
    for other in kept:
        if np.array_equal(other.view(raw.dtype), raw):
            return other
    kept.append(out)
    return out


#: Largest magnitude an outcome's number may have: beyond it differences overflow to infinity.
_LIMIT = 1e300
_CHILD_TABLES = ("facilities", "staff", "tasks", "plaques", "unified", "bodies")


def _check_outcome(o: Any, n: int, rule: Rule, inputs: Inputs) -> None:
    """The one check of what a rule returned: raise ``TypeError``/``ValueError`` saying what is wrong.

    A well-formed outcome is an :class:`Outcome` whose ``result`` is a 1-D :class:`Tri` of one
    value per subject; whose numbers (``measured``, ``required``, ``low``, ``high``, each input)
    are a number or a 1-D numeric array of one value per subject, NaN for unknown (and, but for
    the inputs that only explanations show, never infinite);
    whose ``violations`` are boolean masks over a child table's records. Numbers are normalised
    to float arrays in place, so reports and explanations only ever see such.
    """
    where = f"rule {rule.id} returned"
    if not isinstance(o, Outcome):
        raise TypeError(f"{where} {type(o).__name__}, expected an Outcome "
                        "(use shequ_gov.rules.at_least, at_most, condition, no_violations or measure)")
    r = o.result
    if not isinstance(r, Tri):
        raise TypeError(f"{where} an Outcome whose result is {type(r).__name__}, expected a shequ_gov.rules.Tri")
    shape = (n,)
    v, k = r.value, r.known
    if not (type(v) is np.ndarray and type(k) is np.ndarray and v.dtype == _BOOL and k.dtype == _BOOL
            and v.shape == shape and k.shape == shape):  # (the usual case passes this one test)
        for part in ("value", "known"):
            a = getattr(r, part)
            if isinstance(a, np.ndarray) and a.dtype == bool and a.ndim == 1 and len(a) != n:
                raise ValueError(f"{where} {len(a)} verdicts for {n} subjects")
            if not isinstance(a, np.ndarray) or a.dtype != bool or a.shape != shape:
                raise ValueError(f"{where} {_shape(a)} as result.{part} for {n} subjects "
                                 f"(expected one boolean per subject, a 1-D array of {n})")
    if o.measured is not None:
        o.measured = _numbers(o.measured, n, where, "measured")
    if o.required is not None:
        o.required = _numbers(o.required, n, where, "required")
    if o.low is not None:
        o.low = _numbers(o.low, n, where, "low")
    if o.high is not None:
        o.high = _numbers(o.high, n, where, "high")
    inputs_ = o.inputs
    for label, pair in list(inputs_.items()):
        if not (isinstance(label, str) and isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], str)):
            raise TypeError(f"{where} inputs[{label!r}] = {type(pair).__name__}, expected (values, unit)")
        a = pair[0]
        if type(a) is np.ndarray and a.dtype == _F8 and (a.shape == shape or a.shape == ()):
            continue  # already what _numbers gives for an input (the usual case): no call
        a = _numbers(a, n, where, f"inputs[{label!r}]", finite=False)
        if a is not pair[0]:
            inputs_[label] = (a, pair[1])
    for table, mask in o.violations.items():
        if table not in _CHILD_TABLES:
            raise ValueError(f"{where} violations of an unknown table {table!r} (tables: {', '.join(_CHILD_TABLES)})")
        size = len(getattr(inputs, table))
        m = np.asarray(mask)
        if m.dtype != bool or m.shape != (size,):
            raise ValueError(f"{where} {_shape(mask)} as violations[{table!r}], expected a boolean per record "
                             f"of {table} ({size})")
    for name in ("unit", "note"):
        if not isinstance(getattr(o, name), str):
            raise TypeError(f"{where} {type(getattr(o, name)).__name__} as {name}, expected a string")
    if not isinstance(o.op, Relation):
        o.op = Relation.parse(o.op)  # a rule that set ``op`` after construction: the same check as the constructor


def _numbers(v: Any, n: int, where: str, name: str, finite: bool = True) -> np.ndarray:
    """*v* as a float array of shape () or (n,) (if *finite*: finite or NaN); ``ValueError`` naming
    *where* and *name* otherwise (joined only then: the usual case builds no message).

    Inputs are only shown by explanations, so only the values reports store are checked for range.
    """
    if type(v) is np.ndarray and v.dtype == _F8 and v.shape in ((), (n,)):
        a = v  # already what the report keeps (the usual case): no conversion
    elif type(v) is float:  # one number (a threshold): what the conversion below gives it
        a = np.array(v)
    else:
        try:
            a = np.asarray(v)
        except Exception as exc:  # ragged nested lists and the like
            raise ValueError(f"{where} {name} that is not an array of numbers ({type(exc).__name__})") from None
        if a.dtype.kind not in "biuf" or a.shape not in ((), (n,)):
            raise ValueError(f"{where} {name} {_shape(a)}, expected a number or a 1-D array of {n} numbers")
        a = a.astype(np.float64, copy=False)
    if not finite or not a.size:
        return a
    if a.size <= _FEW_NUMBERS:  # a few numbers: compared one by one (NaN compares false, as fmax/fmin skip it)
        for x in a.tolist() if a.ndim == 1 else (a.item(),):
            if x > _LIMIT or x < -_LIMIT:
                raise ValueError(f"{where} {name} an infinite or out-of-range value; use NaN for an unknown value")
        return a
    flat = a.reshape(-1)
    # two NaN-ignoring reductions, no temporaries: cheap at national scale
    if np.fmax.reduce(flat) > _LIMIT or np.fmin.reduce(flat) < -_LIMIT:
        raise ValueError(f"{where} {name} an infinite or out-of-range value; use NaN for an unknown value")
    return a


_F8 = np.dtype(np.float64)
_BOOL = np.dtype(bool)
#: Up to this many numbers :func:`_numbers` checks in Python, not with array reductions (their call costs more).
_FEW_NUMBERS = 16


def _shape(a: Any) -> str:
    if isinstance(a, np.ndarray):
        return f"an array of shape {a.shape} and dtype {a.dtype}"
    return f"{type(a).__name__} {a!r:.40}"
