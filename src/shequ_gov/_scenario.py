"""What-if analysis: comparing two reports, and sweeping one parameter over a range of values.

A reform is :meth:`shequ_gov.Policy.with_parameters` (in ``_policy``); this module holds what is
done with reforms: :func:`compare` two reports over one dataset (verdict transitions, the subjects
whose verdict changed, roll-ups by region) and :func:`sweep` a parameter (a sensitivity curve),
on one machine or as Dask tasks on a cluster. Nothing here evaluates a rule itself: the engine's
:func:`~shequ_gov._engine.run_policies` does, on inputs shared by every scenario.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import weakref
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Sequence

import numpy as np

from ._dataset import Dataset
from ._engine import run_policies
from ._verdict import Block
from ._vocab import S_FAIL, S_NA, S_PASS, S_UNKNOWN, STATUSES
from ._errors import PolicyError
from ._io import atomic_write
from ._policy import Policy, _as_date
from ._report import Report, region_groups
from ._table import Table
from ._writers import _clean, _name_of
from ._vocab import Level

__all__ = ["Comparison", "compare", "parse_values", "reform_policies", "sweep"]

COMPARISON_SCHEMA = "shequ-gov-comparison/1"
_NAMES = np.array([s.value for s in STATUSES], dtype=object)
_K = len(STATUSES)
_UNSEEN = _K * _K  # the pair code of a subject neither report judges


# --- reforms of several policies -------------------------------------------------------------------

def reform_policies(policies: Sequence[Policy], changes: dict[str, Any], *, reason: str, label: str | None = None,
                    from_: dt.date | str | None = None) -> list[Policy]:
    """*policies* under *changes*: each parameter name applies to every policy that has it.

    Raises :class:`~shequ_gov.PolicyError` naming every problem: a name no policy has (with a
    did-you-mean), a value of the wrong dimension or form.
    """
    import difflib

    problems: list[tuple[str, str]] = []
    known = [n for pol in policies for n in pol.parameters]
    for name in changes:
        if name not in known:
            hint = difflib.get_close_matches(str(name), known, n=1)
            problems.append((f"parameters.{name}", f"no policy of {', '.join(p.id for p in policies)} has this "
                                                   "parameter" + (f"; did you mean {hint[0]!r}?" if hint else "")))
    out = []
    for pol in policies:
        mine = {n: v for n, v in changes.items() if n in pol.parameters}
        if mine:
            try:
                pol = pol.with_parameters(mine, reason=reason, label=label, from_=from_)
            except PolicyError as exc:
                problems += exc.problems
        out.append(pol)
    if problems:
        raise PolicyError(problems, source="reform")
    return out


# --- comparison ------------------------------------------------------------------------------------

def compare(baseline: Report, reform: Report) -> "Comparison":
    """Compare two reports over the same dataset (a baseline and a reform, two dates, two modes…).

    Rules are matched by id; a subject outside a policy's reach counts as NOT_APPLICABLE. Raises
    ``ValueError`` when the reports are over different datasets or share no rule.
    """
    return Comparison(baseline, reform)


class Comparison:
    """Verdict changes between two reports over one dataset: see :func:`compare`.

    :meth:`transitions` counts verdict pairs per rule, :meth:`changed` lists the subjects whose
    verdict changed, :meth:`explain` gives both explanations of one of them, :meth:`summary` rolls
    the pass rates of both up by region; :meth:`to_json` and :meth:`to_pandas` export.
    """

    def __init__(self, baseline: Report, reform: Report):
        for name, r in (("baseline", baseline), ("reform", reform)):
            if not isinstance(r, Report):
                raise TypeError(f"compare() takes two shequ_gov.Report objects; {name} is {type(r).__name__}")
        a, b = baseline.dataset, reform.dataset
        if a is not b and (len(a) != len(b) or a.n_regions != b.n_regions or a.fingerprint() != b.fingerprint()):
            raise ValueError("cannot compare reports over different datasets: baseline over "
                             f"{len(a):,} communities (sha256 {a.fingerprint()[:12]}…), reform over {len(b):,} "
                             f"(sha256 {b.fingerprint()[:12]}…); evaluate both on the same dataset")
        self.baseline = baseline
        self.reform = reform
        theirs = {bl.rule.id: bl for bl in reform._blocks}
        #: per common rule: (rule id, baseline block, reform block, baseline statuses, reform statuses,
        #: pair code) — the pair code is baseline × 6 + reform status, _UNSEEN where neither judges
        self._pairs: list[tuple[str, Block, Block, np.ndarray, np.ndarray, np.ndarray]] = []
        for b0 in baseline._blocks:
            b1 = theirs.get(b0.rule.id)
            if b1 is None:
                continue
            s0, s1 = _statuses(b0), _statuses(b1)
            code = (s0 * _K + s1).astype(np.uint8)
            code[~(b0.included | b1.included)] = _UNSEEN
            self._pairs.append((b0.rule.id, b0, b1, s0, s1, code))
        if not self._pairs:
            raise ValueError("the two reports share no rule: nothing to compare (rules are matched by id; to judge "
                             "one region's communities by another's rules, use mode='what-if' instead)")
        self._by_rule = {p[0]: p for p in self._pairs}

    def __repr__(self) -> str:
        n = int(sum(int((p[3] != p[4]).sum()) for p in self._pairs))
        return f"<Comparison of {len(self._pairs)} rules over {len(self.baseline.dataset):,} communities: {n:,} verdicts changed>"

    @property
    def rule_ids(self) -> list[str]:
        """The rules of both reports (compared), in the baseline's order."""
        return [p[0] for p in self._pairs]

    def _select(self, rule_id: str | None) -> list[tuple[str, Block, Block, np.ndarray, np.ndarray, np.ndarray]]:
        if rule_id is None:
            return self._pairs
        p = self._by_rule.get(rule_id)
        if p is None:
            import difflib

            hint = difflib.get_close_matches(rule_id, list(self._by_rule), n=1)
            raise KeyError(f"no rule {rule_id!r} in both reports" + (f"; did you mean {hint[0]!r}?" if hint else ""))
        return [p]

    def transitions(self, rule_id: str | None = None, *, changed_only: bool = False) -> Table:
        """Counts of verdict pairs per rule: columns ``rule``, ``from``, ``to``, ``count`` (statuses by name).

        Every pair that occurs is listed (PASS→PASS too, so counts add up to the subjects judged);
        with *changed_only* only the pairs whose verdict changed. Subjects neither report judges
        are left out.
        """
        cols: dict[str, list] = {"rule": [], "from": [], "to": [], "count": []}
        for rid, _b0, _b1, _s0, _s1, code in self._select(rule_id):
            m = np.bincount(code, minlength=_UNSEEN + 1)[:_UNSEEN]
            for k in np.flatnonzero(m).tolist():
                f, t = divmod(k, _K)
                if changed_only and f == t:
                    continue
                cols["rule"].append(rid)
                cols["from"].append(_NAMES[f])
                cols["to"].append(_NAMES[t])
                cols["count"].append(int(m[k]))
        return Table(cols)

    def changed(self, rule_id: str | None = None) -> Table:
        """The subjects whose verdict changed: columns ``code``, ``rule``, ``from``, ``to``.

        :meth:`explain` gives both explanations of any row.
        """
        codes, rules, frm, to = [], [], [], []
        for rid, _b0, b1, s0, s1, _code in self._select(rule_id):
            idx = np.flatnonzero(s0 != s1)
            codes.append(b1.codes[idx])
            rules.append(np.full(len(idx), rid, dtype=object))
            frm.append(_NAMES[s0[idx]])
            to.append(_NAMES[s1[idx]])
        cat = lambda parts, dtype: np.concatenate(parts) if parts else np.array([], dtype=dtype)  # noqa: E731
        c = cat(codes, np.int64)
        return Table({"code": np.char.zfill(c.astype("U12"), 12) if len(c) else np.array([], "U12"),
                      "rule": cat(rules, object),
                      "from": cat(frm, object), "to": cat(to, object)})

    def explain(self, code: Any, rule_id: str) -> str:
        """Both explanations of *code* under *rule_id*: the baseline's, then the reform's."""
        self._select(rule_id)
        return ("=== baseline / 基线 ===\n" + self.baseline.explain(code, rule_id) +
                "\n\n=== reform / 改革方案 ===\n" + self.reform.explain(code, rule_id))

    def summary(self, level: Level | str | None = None) -> Table:
        """Pass and fail counts and pass rates under both reports, per rule — and per region of *level*.

        Columns: ``policy``, ``rule`` (with *level*: ``region``, ``region_name``), ``baseline_pass``,
        ``baseline_fail``, ``reform_pass``, ``reform_fail``, ``changed``, ``fail_to_pass``,
        ``pass_to_fail``, ``baseline_pass_rate``, ``reform_pass_rate``, ``pass_rate_change``.
        """
        lv = Level.parse(level) if level is not None else None
        st = self.baseline.dataset._st
        cols: dict[str, list] = {"policy": [], "rule": []}
        if lv is not None:
            cols["region"], cols["region_name"] = [], []
        counts: dict[str, list[np.ndarray]] = {k: [] for k in ("baseline_pass", "baseline_fail", "reform_pass",
                                                               "reform_fail", "changed", "fail_to_pass",
                                                               "pass_to_fail")}
        groups: dict[Level, Any] = {}  # the blocks of one level share their codes, so their groups
        for rid, b0, _b1, _s0, _s1, code in self._pairs:
            # one count per (region, baseline status, reform status): every column derives from it
            if lv is None:
                rcodes, n = None, 1
                m = np.bincount(code, minlength=_UNSEEN + 1)
            else:
                if b0.level not in groups:
                    groups[b0.level] = region_groups(b0, lv)
                if groups[b0.level] is None:
                    continue
                rcodes, key = groups[b0.level]
                n = len(rcodes)
                m = np.bincount(key * (_UNSEEN + 1) + code, minlength=n * (_UNSEEN + 1))
            m = m.reshape(n, _UNSEEN + 1)[:, :_UNSEEN].reshape(n, _K, _K)
            keep = np.flatnonzero(m.sum(axis=(1, 2)) > 0) if lv is not None else np.arange(1)
            m = m[keep]
            diag = np.einsum("rii->r", m)
            got = {"baseline_pass": m[:, S_PASS, :].sum(axis=1), "baseline_fail": m[:, S_FAIL, :].sum(axis=1),
                   "reform_pass": m[:, :, S_PASS].sum(axis=1), "reform_fail": m[:, :, S_FAIL].sum(axis=1),
                   "changed": m.sum(axis=(1, 2)) - diag, "fail_to_pass": m[:, S_FAIL, S_PASS],
                   "pass_to_fail": m[:, S_PASS, S_FAIL]}
            cols["policy"] += [b0.policy.id] * len(keep)
            cols["rule"] += [rid] * len(keep)
            if lv is not None:
                cols["region"] += [f"{c:012d}" for c in rcodes[keep].tolist()]
                cols["region_name"] += [_name_of(st, c) for c in rcodes[keep].tolist()]
            for name in counts:
                counts[name].append(got[name].astype(np.int64))
        out: dict[str, Any] = dict(cols)
        for name, parts in counts.items():
            out[name] = np.concatenate(parts) if parts else np.array([], np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            r0 = out["baseline_pass"] / (out["baseline_pass"] + out["baseline_fail"])
            r1 = out["reform_pass"] / (out["reform_pass"] + out["reform_fail"])
        out["baseline_pass_rate"], out["reform_pass_rate"], out["pass_rate_change"] = r0, r1, r1 - r0
        return Table(out)

    # --- exports -----------------------------------------------------------------------------------
    def _document(self) -> dict[str, Any]:
        return {"schema": COMPARISON_SCHEMA, "baseline": self.baseline.metadata(), "reform": self.reform.metadata(),
                "rules": self.rule_ids,
                "transitions": [_clean(r) for r in self.transitions().rows()],
                "summary": [_clean(r) for r in self.summary().rows()],
                "changed": [_clean(r) for r in self.changed().rows()]}

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """The comparison as JSON (schema ``shequ-gov-comparison/1``): both reports' metadata, the
        transitions, the per-rule summary and every changed verdict. Text when *path* is None, else
        written atomically; the same reports give byte-identical output."""
        text = json.dumps(self._document(), ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
        if path is None:
            return text
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))
        return None

    def to_html(self, path: str | os.PathLike[str] | None = None, *, max_changed: int = 500) -> str | None:
        """The comparison as one self-contained HTML page (the HTML report's sections): what changed per
        rule, pass rates under both, and the first *max_changed* changed verdicts with both messages.
        Text when *path* is None, else written atomically."""
        from ._html import Page, Section, bi, pct, table

        page = Page("改革方案比较", "Comparison of a baseline and a reform")
        t = self.transitions(changed_only=True)
        page.add(Section("transitions", "结论变化", "Verdicts that change", table(
            ["rule", bi("原结论", "from"), bi("新结论", "to"), bi("数量", "count")],
            [[r["rule"], r["from"], r["to"], r["count"]] for r in t], numeric=[False, False, False, True])
            if len(t) else "<p>No verdict changes. / 无结论变化。</p>"))
        sm = self.summary()
        page.add(Section("summary", "达标率", "Pass rates", table(
            ["rule", bi("基线达标率", "baseline"), bi("改革后达标率", "reform"), bi("变化", "change"),
             bi("变化数", "changed")],
            [[r["rule"], pct(r["baseline_pass_rate"]), pct(r["reform_pass_rate"]), pct(r["pass_rate_change"]),
              r["changed"]] for r in sm], numeric=[False, True, True, True, True])))
        ch = self.changed()
        rows = []
        for r in list(ch)[:max_changed]:
            rows.append([r["code"], r["rule"], r["from"], r["to"],
                         self.baseline.finding(r["code"], r["rule"]).message,
                         self.reform.finding(r["code"], r["rule"]).message])
        more = f"<p class=muted>… {len(ch) - max_changed:,} more in to_json() / to_pandas()</p>" \
            if len(ch) > max_changed else ""
        page.add(Section("changed", "结论改变的单位", "Units whose verdict changed", table(
            ["code", "rule", bi("原结论", "from"), bi("新结论", "to"), bi("基线", "baseline"), bi("改革后", "reform")],
            rows) + more))
        if path is None:
            return page.render()
        page.write(path)
        return None

    def to_pandas(self, table: str = "changed") -> Any:
        """One of the tables as a ``pandas.DataFrame``: ``"changed"`` (default), ``"transitions"`` or ``"summary"``."""
        tables = {"changed": self.changed, "transitions": self.transitions, "summary": self.summary}
        if table not in tables:
            raise ValueError(f"table must be one of {', '.join(tables)}, got {table!r}")
        return _frame(tables[table]())


def _statuses(b: Block) -> np.ndarray:
    """The block's statuses with NOT_APPLICABLE where the policy does not judge the subject."""
    return np.where(b.included, b.status, np.int8(S_NA)).astype(np.int8)


def _frame(t: Table) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_pandas() needs pandas: pip install 'shequ-gov[pandas]'") from None
    return pd.DataFrame({k: list(v) if not isinstance(v, np.ndarray) else v for k, v in t.columns.items()})


# --- sweeps ----------------------------------------------------------------------------------------

_RANGE = re.compile(r"^\s*(?P<start>[-+]?[\d.]+)\s*\.\.\s*(?P<stop>[-+]?[\d.]+)\s+step\s+(?P<step>[-+]?[\d.]+)"
                    r"\s*(?P<unit>.*?)\s*$")


def parse_values(text: str) -> list[str]:
    """The values a sweep's text names: ``"300..600 step 25 m**2"`` (both ends included) or a
    comma-separated list (``"350 m**2, 400 m**2"``). Returns value strings with their unit."""
    m = _RANGE.match(text)
    if m is None:
        if ".." in text:
            raise ValueError(f"expected START..STOP step STEP [UNIT] (e.g. '300..600 step 25 m**2'), got {text!r}")
        items = [v.strip() for v in text.split(",") if v.strip()]
        if not items:
            raise ValueError(f"no values in {text!r}")
        return items
    try:
        start, stop, step = (Decimal(m.group(k)) for k in ("start", "stop", "step"))
    except InvalidOperation:
        raise ValueError(f"expected numbers in START..STOP step STEP, got {text!r}") from None
    if step <= 0 or stop < start:
        raise ValueError(f"expected START ≤ STOP and a positive STEP, got {text!r}")
    n = int((stop - start) / step) + 1
    if n > 100_000:
        raise ValueError(f"{text!r} names {n:,} values; a sweep takes at most 100,000")
    unit = m.group("unit")
    return [f"{start + i * step}" + (f" {unit}" if unit else "") for i in range(n)]


def sweep(dataset: Dataset | str | os.PathLike[str], policy: Policy | str, parameter: str,
          values: Iterable[Any] | str, *, as_of: dt.date | str | None = None, mode: str = "jurisdiction",
          rules: Sequence[str] | None = None, scheduler: Any = None, level: Level | str | None = None) -> Table:
    """Evaluate *policy* once per value of *parameter*: a sensitivity curve.

    Only the rules that read *parameter* run (or the subset of them named in *rules*); the inputs
    they derive from the data are computed once and shared by every scenario. Returns a table with
    one row per value and rule (and region of *level*, if given): ``value`` (in the parameter's
    unit), ``rule``, ``pass``, ``fail``, ``unknown``, ``not_applicable`` and ``pass_rate``
    (PASS / (PASS + FAIL), NaN where neither).

    *values* are written as for :meth:`Policy.with_parameters` (``["350 m**2", "400 m**2"]``, or
    one string ``"300..600 step 25 m**2"``). With *scheduler* — a ``dask.distributed.Client`` or
    the address of a Dask scheduler — each value runs as a Dask task on the cluster's workers;
    the table is identical to the single-process one.
    """
    from ._engine import MODES, _resolve

    ds = dataset if isinstance(dataset, Dataset) else Dataset.read(dataset)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(repr(m) for m in MODES)}, got {mode!r}")
    pol = _resolve(policy)[0] if isinstance(policy, (str, Policy)) else None
    if pol is None:
        raise TypeError(f"expected a policy name or a Policy, got {type(policy).__name__}")
    day = dt.date.today() if as_of is None else _as_date(as_of)
    lv = Level.parse(level) if level is not None else None
    if isinstance(values, str):
        values = parse_values(values)
    values = list(values)
    if not values:
        raise ValueError("a sweep needs at least one value")
    # one reformed policy per value (cheap: one parameter rebuilt); every bad value named at once
    problems: list[tuple[str, str]] = []
    scenarios: list[Policy] = []
    for i, v in enumerate(values):
        try:
            scenarios.append(pol.with_parameters({parameter: v}, reason=f"sweep of {parameter}",
                                                 label=f"sweep {parameter} = {v}"))
        except PolicyError as exc:
            problems += [(f"values[{i}] ({v!r}): {loc}", msg) for loc, msg in exc.problems]
            if any(f"parameters.{parameter}" == loc and "has no parameter" in msg for loc, msg in exc.problems):
                break  # the parameter itself is wrong: one message is enough
    if problems:
        raise PolicyError(problems, source=f"sweep of {pol.id}.{parameter}")
    affected = _affected_rules(pol, parameter, rules)
    scenarios = [s.with_rules(affected) for s in scenarios]
    keys = [s.parameters[parameter].at(day) for s in scenarios]
    if scheduler is None:
        results = [_scenario_counts(ds, s, day, mode, lv) for s in scenarios]
    else:
        results = _on_dask(scheduler, ds, scenarios, day, mode, lv)
    return _sweep_table(ds, affected, keys, results, lv)


def _affected_rules(pol: Policy, parameter: str, rules: Sequence[str] | None) -> list[Any]:
    reading = [r for r in pol.rules if parameter in r.parameters]
    if not reading:
        raise ValueError(f"no rule of policy {pol.id!r} reads parameter {parameter!r}: a sweep would change nothing")
    if rules is None:
        return reading
    if isinstance(rules, str):
        rules = [rules]
    names = [r.id for r in reading]
    bad = [r for r in rules if r not in names]
    if bad:
        raise ValueError(f"rule(s) {', '.join(bad)} do not read {parameter!r} (or are not rules of {pol.id!r}); "
                         f"the rules reading it are: {', '.join(names)}")
    return [r for r in reading if r.id in set(rules)]


#: Inputs per dataset (by id, dropped with the dataset), shared by the scenarios run in this
#: process — on a Dask worker, by the tasks it runs. The lock keeps one scenario at a time on them
#: (the engine sets a selection on the inputs while a region-level rule runs).
_SHARED: dict[int, tuple[Any, Any, threading.Lock]] = {}
_SHARED_LOCK = threading.Lock()


def _shared_inputs(ds: Dataset) -> tuple[Any, threading.Lock]:
    from .rules import CommunityInputs

    key = id(ds)
    with _SHARED_LOCK:
        entry = _SHARED.get(key)
        if entry is None or entry[0]() is not ds:
            entry = _SHARED[key] = (weakref.ref(ds, lambda _r, k=key: _SHARED.pop(k, None)), CommunityInputs(ds._st),
                                    threading.Lock())
    return entry[1], entry[2]


def _scenario_counts(ds: Dataset, pol: Policy, day: dt.date, mode: str,
                     lv: Level | None) -> list[tuple[list[int] | None, np.ndarray]]:
    """Status counts of each rule of *pol* on *ds*: per rule, the codes of the regions of *lv*
    (``None`` without a level) and an array (regions × statuses) of counts; regions without a
    verdict are left out. A Dask task: everything it needs comes in its arguments."""
    inputs, lock = _shared_inputs(ds)
    with lock:
        blocks = run_policies(ds, [pol], day, mode, inputs)
    out: list[tuple[list[int] | None, np.ndarray]] = []
    for b in blocks:
        s = b.status[b.included].astype(np.int64)
        if lv is None:
            out.append((None, np.bincount(s, minlength=_K)[None, :]))
            continue
        g = region_groups(b, lv)
        if g is None:
            out.append(([], np.zeros((0, _K), np.int64)))
            continue
        rcodes, key = g
        m = np.bincount(key[b.included] * _K + s, minlength=len(rcodes) * _K).reshape(len(rcodes), _K)
        keep = m.sum(axis=1) > 0
        out.append((rcodes[keep].tolist(), m[keep]))
    return out


def _sweep_table(ds: Dataset, rules: list[Any], keys: list[Any],
                 results: list[list[tuple[list[int] | None, np.ndarray]]], lv: Level | None) -> Table:
    cols: dict[str, list] = {"value": [], "rule": []}
    if lv is not None:
        cols["region"], cols["region_name"] = [], []
    parts: list[np.ndarray] = []
    for key, per_rule in zip(keys, results):
        value = ", ".join(key) if isinstance(key, tuple) else key
        for r, (rcodes, m) in zip(rules, per_rule):
            if rcodes is not None:
                cols["region"] += [f"{c:012d}" for c in rcodes]
                cols["region_name"] += [_name_of(ds._st, c) for c in rcodes]
            cols["value"] += [value] * len(m)
            cols["rule"] += [r.id] * len(m)
            parts.append(m)
    m = np.concatenate(parts) if parts else np.zeros((0, _K), np.int64)
    out: dict[str, Any] = dict(cols)
    for name, s in (("pass", S_PASS), ("fail", S_FAIL), ("unknown", S_UNKNOWN), ("not_applicable", S_NA)):
        out[name] = m[:, s].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pass_rate"] = out["pass"] / (out["pass"] + out["fail"])
    return Table(out)


def line_chart(xs: list[float], series: dict[str, list[float]], *, title: str, xlabel: str,
                   ylabel: str) -> str:
    """A small SVG line chart of *series* (name → y values in 0..1) over *xs* (the sweep chart)."""
    w, h, left, right, top, bottom = 640, 380, 64, 150, 40, 56
    pw, ph = w - left - right, h - top - bottom
    x0, x1 = min(xs), max(xs)
    sx = lambda x: left + (x - x0) / (x1 - x0) * pw  # noqa: E731
    sy = lambda y: top + (1 - y) * ph  # noqa: E731
    colours = ["#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>']
    for i in range(6):
        y = i / 5
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.0%}</text>')
    for x in xs[::2]:
        out.append(f'<text x="{sx(x):.1f}" y="{top + ph + 18}" text-anchor="middle">{x:g}</text>')
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#333"/>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#333"/>')
    out.append(f'<text x="{left + pw / 2}" y="{h - 14}" text-anchor="middle">{xlabel}</text>')
    out.append(f'<text transform="translate(16 {top + ph / 2}) rotate(-90)" text-anchor="middle">{ylabel}</text>')
    for k, (name, ys) in enumerate(series.items()):
        c = colours[k % len(colours)]
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        out += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{c}"/>' for x, y in zip(xs, ys)]
        ly = top + 14 + 18 * k
        out.append(f'<line x1="{left + pw + 12}" x2="{left + pw + 32}" y1="{ly}" y2="{ly}" stroke="{c}" '
                   'stroke-width="2"/>')
        out.append(f'<text x="{left + pw + 38}" y="{ly + 4}">{name}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def sweep_html(table: Table, path: str | os.PathLike[str] | None = None, *, title: str = "") -> str | None:
    """A sweep's table as one self-contained HTML page: a chart of the pass rate per rule, then the table."""
    from ._html import Page, Section, pct
    from ._html import table as html_table

    page = Page("参数扫描", "Parameter sweep" + (f": {title}" if title else ""))
    cols = table.columns
    has_region = "region" in cols
    for rid in dict.fromkeys(cols["rule"]):
        rows = [r for r in table if r["rule"] == rid and not has_region]
        if rows and all(isinstance(r["value"], (int, float)) for r in rows):
            chart = line_chart([float(r["value"]) for r in rows], {"pass rate / 达标率": [
                0.0 if r["pass_rate"] != r["pass_rate"] else r["pass_rate"] for r in rows]},
                title=rid, xlabel=title or "value", ylabel="pass rate / 达标率")
            page.add(Section(f"chart-{rid}", "达标率曲线", rid, chart))
    names = list(cols)
    page.add(Section("table", "扫描结果", "Sweep table", html_table(
        names, [[pct(v) if k == "pass_rate" else v for k, v in r.items()] for r in table],
        numeric=[k not in ("rule", "region", "region_name") for k in names])))
    if path is None:
        return page.render()
    page.write(path)
    return None


# --- Dask ------------------------------------------------------------------------------------------

def _on_dask(scheduler: Any, ds: Dataset, scenarios: list[Policy], day: dt.date, mode: str,
             lv: Level | None) -> list[list[np.ndarray]]:
    from ._distributed import client_for, scattered

    client, own = client_for(scheduler)
    try:
        data = scattered(client, ds)  # the dataset travels once to each worker, and once per client
        futures = [client.submit(_scenario_counts, data, s, day, mode, lv, pure=False) for s in scenarios]
        return client.gather(futures)
    finally:
        if own:
            client.close()
