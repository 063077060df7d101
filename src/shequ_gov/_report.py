"""The Report: every verdict as columns, findings and explanations on demand, summaries and exports.

Verdicts are kept as one status column per rule (see ``_engine.Block``); nothing per community
is built until asked for. ``explain()`` reads the same columns and the rule's outcome, so an
explanation costs nothing until it is requested.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import attrs
import numpy as np

from ._codes import SCALE, normalize_code
from ._dataset import Dataset
from ._engine import S_FAIL, S_MEASURED, S_NA, S_PASS, STATUSES, Block
from ._io import atomic_write
from ._policy import Citation, Policy, _fmt_number, _unit_label
from ._vocab import Level, Status

if TYPE_CHECKING:
    from ._explain import Explanation

__all__ = ["Finding", "Report", "Table"]

REPORT_SCHEMA = "shequ-gov-report/1"


@attrs.frozen
class Finding:
    """One verdict: a rule's status for one community or region, with the numbers behind it."""

    code: str
    name: str
    level: Level
    policy: str
    rule_id: str
    title_zh: str
    title_en: str
    strength: str
    status: Status
    measured: float | None
    required: float | None
    unit: str
    shortfall: float | None
    citation: Citation
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.name}: {self.rule_id} {self.status.value.upper()} — {self.message}"


class Table:
    """A small column store for report tables: ``.columns`` (name → list or array), ``.rows()``, CSV.

    Iterating gives one dict per row; ``len()`` is the number of rows. Convert to pandas with
    ``pandas.DataFrame(table.columns)`` if you have it.
    """

    def __init__(self, columns: dict[str, Any]):
        self.columns = columns

    def __len__(self) -> int:
        """The number of rows."""
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The rows, as dicts."""
        return self.rows()

    def rows(self) -> Iterator[dict[str, Any]]:
        """The rows, one dict each (column name → value), in order."""
        names = list(self.columns)
        cols = [c.tolist() if isinstance(c, np.ndarray) else list(c) for c in self.columns.values()]
        for values in zip(*cols):
            yield dict(zip(names, values))

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """The table as CSV (returned as text when *path* is None, else written atomically)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        for row in self.rows():
            w.writerow(["" if v is None or (isinstance(v, float) and v != v) else _csv_num(v) for v in row.values()])
        text = buf.getvalue()
        if path is None:
            return text
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))
        return None

    def __repr__(self) -> str:
        return self.format(limit=20)

    def format(self, limit: int | None = None) -> str:
        """A plain-text rendering (the first *limit* rows)."""
        names = list(self.columns)
        rows = []
        for i, r in enumerate(self.rows()):
            if limit is not None and i >= limit:
                break
            rows.append([_rate(v) if k.endswith("rate") or k.endswith("share") else _cell(v) for k, v in r.items()])
        widths = [max([_w(n)] + [_w(r[j]) for r in rows]) for j, n in enumerate(names)]
        line = lambda cells: "  ".join(_pad(c, w) for c, w in zip(cells, widths))  # noqa: E731
        out = [line(names), line(["-" * w for w in widths])] + [line(r) for r in rows]
        if limit is not None and len(self) > limit:
            out.append(f"… {len(self) - limit} more rows")
        return "\n".join(out)


def _csv_num(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return f"{v:.1%}" if 0 <= v <= 1 and not v.is_integer() else _fmt_number(v)
    return str(v)


def _rate(v: Any) -> str:
    return "" if v is None or v != v else f"{v:.1%}"


def _w(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _w(s))


class Report:
    """The result of :func:`shequ_gov.evaluate`: verdicts of every rule on every subject it judges.

    Query one verdict with :meth:`status`, :meth:`finding` or :meth:`explain`; all of them with
    :attr:`findings`; roll them up with :meth:`summary`; export with :meth:`to_json` or :meth:`to_csv`.
    """

    def __init__(self, dataset: Dataset, policies: list[Policy], blocks: list[Block], as_of: dt.date, mode: str):
        self.dataset = dataset
        self.policies = tuple(policies)
        self.as_of = as_of
        self.mode = mode
        self._blocks = blocks
        self._by_rule = {b.rule.id: b for b in blocks}

    def __repr__(self) -> str:
        return (f"<Report: {len(self._blocks)} rules of {', '.join(p.id for p in self.policies) or 'no policy'} "
                f"over {len(self.dataset)} communities, as of {self.as_of}, mode {self.mode}: {len(self)} verdicts>")

    def __len__(self) -> int:
        return int(sum(int(b.included.sum()) for b in self._blocks))

    @property
    def rule_ids(self) -> list[str]:
        """The ids of the rules evaluated, in evaluation order."""
        return [b.rule.id for b in self._blocks]

    def _block(self, rule_id: str) -> Block:
        b = self._by_rule.get(rule_id)
        if b is None:
            import difflib

            hint = difflib.get_close_matches(rule_id, list(self._by_rule), n=1)
            raise KeyError(f"no rule {rule_id!r} in this report" + (f"; did you mean {hint[0]!r}?" if hint else ""))
        return b

    def _locate(self, code: Any, rule_id: str) -> tuple[Block, int, str]:
        b = self._block(rule_id)
        c = normalize_code(code)
        if c not in self.dataset:
            raise KeyError(f"no region or community with code {c} in the dataset")
        row = b.row(int(c))
        if row < 0:
            from ._codes import code_level

            raise KeyError(f"{rule_id} judges {b.level.value} units; {c} is a {code_level(c).value}")
        return b, row, c

    def status(self, code: Any, rule_id: str) -> Status:
        """The status of rule *rule_id* for the unit *code* (NOT_APPLICABLE outside the policy's reach)."""
        b, row, _ = self._locate(code, rule_id)
        return STATUSES[b.status[row]] if b.included[row] else Status.NOT_APPLICABLE

    def finding(self, code: Any, rule_id: str) -> Finding:
        """The verdict of *rule_id* on *code* as a :class:`Finding`, with its numbers and message."""
        b, row, c = self._locate(code, rule_id)
        st = STATUSES[b.status[row]] if b.included[row] else Status.NOT_APPLICABLE
        m, r, s = b.measured(), b.required(), b.shortfall()
        val = lambda a: None if a is None or a[row] != a[row] else float(a[row])  # noqa: E731
        rule = b.rule
        return Finding(c, self.dataset[c].name, b.level, b.policy.id, rule.id, rule.title_zh, rule.title_en,
                       rule.strength, st, val(m), val(r), b.outcome.unit if b.outcome else "", val(s),
                       rule.citation, self._message(b, row, st))

    def _message(self, b: Block, row: int, st: Status) -> str:
        o = b.outcome
        rule = b.rule
        if st is Status.NOT_APPLICABLE:
            if not b.included[row]:
                return "outside the policy's jurisdiction / 不在该政策辖区内"
            if not rule.in_force(self.as_of):
                when = f"from {rule.start}" + (f" until {rule.end}" if rule.end else "")
                return f"not in force on {self.as_of} ({when}) / 规则未生效"
            if rule.scope and self.mode == "jurisdiction" and not _within(b.codes[row], rule.scope):
                return f"outside the rule's scope {rule.scope} / 不在规则适用范围内"
            if rule.area_types:
                return ("the rule applies to " + ", ".join(sorted(a.value for a in rule.area_types))
                        + " communities only / 不适用于该类型社区")
            return "not applicable / 不适用"
        if st is Status.ERROR:
            return f"the rule failed: {b.error} / 规则出错"
        if st is Status.UNKNOWN:
            miss = [label for label, (arr, _u) in (o.inputs.items() if o else []) if _isnan(arr, row)]
            if rule.area_types and self.dataset._st.communities["area_type"].shape[0] > row and \
                    b.level is Level.COMMUNITY and self.dataset._st.communities["area_type"][row] < 0:
                miss.insert(0, "area type / 社区类型")
            return "input missing / 数据缺失" + (f": {', '.join(miss)}" if miss else "")
        if o is None:
            return ""
        m, r = b.measured(), b.required()
        unit = _unit_label(o.unit)
        u = f" {unit}" if unit else ""
        if o.op in (">=", "<=") and m is not None and r is not None:
            sym = "≥" if o.op == ">=" else "≤"
            head = f"{_fmt_number(m[row])}{u} {sym} {_fmt_number(r[row])}{u}"
            if st is Status.PASS:
                return head + " — meets the standard / 达标"
            gap = abs(r[row] - m[row])
            more = "more" if o.op == ">=" else "less"
            return (f"{_fmt_number(m[row])}{u}, required {sym} {_fmt_number(r[row])}{u} — needs "
                    f"{_fmt_number(gap)}{u} {more} / 差 {_fmt_number(gap)}{u}")
        if o.op == "between" and m is not None and o.low is not None:
            lo, hi = _fmt_number(o.low[row]), _fmt_number(o.high[row])
            head = f"{_fmt_number(m[row])}{u}, required {lo}–{hi}{u}"
            if st is Status.PASS:
                return head + " — meets the standard / 达标"
            gap = abs(m[row] - r[row])
            word = "more" if m[row] < o.low[row] else "less"
            return head + f" — needs {_fmt_number(gap)}{u} {word} / 差 {_fmt_number(gap)}{u}"
        if o.op == "none" and m is not None:
            k = int(m[row]) if m[row] == m[row] else 0
            return "no offending item / 无违规事项" if st is Status.PASS else f"{k} offending item(s) / {k} 项违规"
        if o.op == "measure" and m is not None:
            return f"measured {_fmt_number(m[row])}{u} / 测得值"
        return ("condition met / 符合" if st is Status.PASS else "condition not met / 不符合") + \
            (f" ({o.note})" if o.note else "")

    # --- explanation -------------------------------------------------------------------------------
    def explanation(self, code: Any, rule_id: str) -> "Explanation":
        """Why *code* got its status under *rule_id*, as an :class:`~shequ_gov.Explanation`.

        Its fields hold the status, the inputs, the parameters in force with their dates and
        citations, the computation, the shortfall, the offending items and the source quote;
        ``.text`` is what :meth:`explain` returns.
        """
        from ._explain import build

        b, row, c = self._locate(code, rule_id)
        return build(self, b, row, c)

    def explain(self, code: Any, rule_id: str) -> str:
        """Why *code* got its status under *rule_id*: inputs, parameters in force, computation, source.

        For list rules (negative lists, allowed plaques…) each offending item is named. The text
        of :meth:`explanation`.
        """
        return self.explanation(code, rule_id).text

    def _violations(self, table: str, mask: np.ndarray, b: Block, row: int) -> list[str]:
        if b.level is not Level.COMMUNITY:
            return []
        from . import _schema as S

        st = self.dataset._st
        child = {"facilities": st.facilities, "staff": st.staff, "tasks": st.tasks, **st.tags}.get(table)
        if child is None:
            return []
        start = int(child.offsets[row])
        return [S.describe_child(table, child.cols, child.strings, i, i - start)
                for i in child.rows_of(row) if mask[i]]

    # --- tables ------------------------------------------------------------------------------------
    @property
    def findings(self) -> Table:
        """Every verdict as a table: code, level, policy, rule, status, measured, required, unit, shortfall."""
        cols: dict[str, list] = {k: [] for k in ("code", "level", "policy", "rule", "strength", "status",
                                                 "measured", "required", "unit", "shortfall")}
        parts: dict[str, list[np.ndarray]] = {"code": [], "status": [], "measured": [], "required": [],
                                              "shortfall": []}
        meta = []
        for b in self._blocks:
            inc = np.flatnonzero(b.included)
            parts["code"].append(b.codes[inc])
            parts["status"].append(b.status[inc])
            for key, arr in (("measured", b.measured()), ("required", b.required()), ("shortfall", b.shortfall())):
                parts[key].append(arr[inc] if arr is not None else np.full(len(inc), np.nan))
            meta.append((len(inc), b))
        if not meta:
            return Table(cols)
        codes = np.concatenate(parts["code"])
        cols["code"] = np.char.zfill(codes.astype("U12"), 12)
        cols["level"] = _repeat([(n, b.level.value) for n, b in meta])
        cols["policy"] = _repeat([(n, b.policy.id) for n, b in meta])
        cols["rule"] = _repeat([(n, b.rule.id) for n, b in meta])
        cols["strength"] = _repeat([(n, b.rule.strength) for n, b in meta])
        status_names = np.array([s.value for s in STATUSES], dtype=object)
        cols["status"] = status_names[np.concatenate(parts["status"])]
        for key in ("measured", "required", "shortfall"):
            cols[key] = np.concatenate(parts[key])
        cols["unit"] = _repeat([(n, b.outcome.unit if b.outcome else "") for n, b in meta])
        return Table(cols)

    def summary(self, level: Level | str | None = None) -> Table:
        """Counts of each status and the pass rate, per rule — and per region of *level* if given.

        The pass rate is PASS / (PASS + FAIL); NaN where there is neither.
        """
        lv = Level.parse(level) if level is not None else None
        st = self.dataset._st
        rows: dict[str, list] = {"policy": [], "rule": [], "strength": []}
        if lv is not None:
            rows["region"] = []
            rows["region_name"] = []
        counts_cols = {s.value: [] for s in STATUSES}
        for b in self._blocks:
            inc = b.included
            if lv is None:
                groups = [(None, None, np.bincount(b.status[inc], minlength=len(STATUSES)))]
            else:
                g = region_groups(b, lv)
                if g is None:
                    continue  # a district rule has no verdicts per street
                rcodes, key = g
                m = np.bincount(key[inc] * len(STATUSES) + b.status[inc],
                                minlength=len(rcodes) * len(STATUSES)).reshape(len(rcodes), len(STATUSES))
                keep = m.sum(axis=1) > 0
                groups = []
                for rc, cnt in zip(rcodes[keep].tolist(), m[keep]):
                    groups.append((rc, _name_of(st, rc), cnt))
            for rc, name, cnt in groups:
                rows["policy"].append(b.policy.id)
                rows["rule"].append(b.rule.id)
                rows["strength"].append(b.rule.strength)
                if lv is not None:
                    rows["region"].append(f"{rc:012d}")
                    rows["region_name"].append(name)
                for s, v in zip(STATUSES, cnt.tolist()):
                    counts_cols[s.value].append(v)
        rows.update(counts_cols)
        p, f = np.array(rows["pass"], float), np.array(rows["fail"], float)
        with np.errstate(invalid="ignore", divide="ignore"):
            rows["pass_rate"] = (p / (p + f)).tolist()
        return Table(rows)

    # --- exports -----------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """Library and plug-in versions, as_of, mode, and hashes of the parameters in force and of the dataset."""
        import shequ_gov

        return {
            "library": {"name": "shequ-gov", "version": shequ_gov.__version__},
            "policies": {p.id: {"version": p.version, "distribution": p.distribution,
                                "parameters_sha256": p.parameter_hash(self.as_of),
                                **({"reforms": {n: {"label": r.label, "reason": r.reason, "from": r.start and
                                                    r.start.isoformat()} for n, r in p.reforms.items()}}
                                   if p.reforms else {})} for p in self.policies},
            "as_of": self.as_of.isoformat(),
            "mode": self.mode,
            "dataset_sha256": self.dataset.fingerprint(),
            "communities": len(self.dataset),
            "verdicts": len(self),
        }

    def _json_chunks(self) -> Iterator[str]:
        enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
        yield '{"schema":' + enc(REPORT_SCHEMA) + ',\n"metadata":' + enc(self.metadata()) + ',\n"rules":['
        yield ",".join("\n" + enc(_rule_doc(b)) for b in self._blocks)
        yield '],\n"summary":['
        yield ",".join("\n" + enc(_clean(r)) for r in self.summary().rows())
        yield '],\n"findings":['
        first = True
        for b in self._blocks:
            inc = np.flatnonzero(b.included)
            if not len(inc):
                continue
            codes = b.codes[inc].tolist()
            status = b.status[inc].tolist()
            cols = [(k, a[inc].tolist()) for k, a in (("measured", b.measured()), ("required", b.required()),
                                                      ("shortfall", b.shortfall())) if a is not None]
            head = f'"rule":{enc(b.rule.id)},"status":'
            names = [s.value for s in STATUSES]
            out = []
            for j in range(len(codes)):
                extra = "".join(f',"{k}":{_num(v[j])}' for k, v in cols if v[j] == v[j])
                out.append(f'\n{{"code":"{codes[j]:012d}",{head}"{names[status[j]]}"{extra}}}')
            yield ("" if first else ",") + ",".join(out)
            first = False
        yield "]}\n"

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """The report as JSON (schema ``shequ-gov-report/1``): text when *path* is None, else written atomically.

        The same input gives byte-identical output (``.gz`` paths are gzip-compressed).
        """
        if path is None:
            return "".join(self._json_chunks())

        def emit(f: Any) -> None:
            for chunk in self._json_chunks():
                f.write(chunk.encode("utf-8"))

        atomic_write(path, emit)
        return None

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """The report as one self-contained HTML page (charts, drill-down by region, failing units, explanations).

        Returns the text when *path* is None, else writes it atomically. The page loads nothing from
        anywhere: it opens from disk with no network. See :mod:`shequ_gov._html` for its sections.
        """
        from ._html import report_html

        return report_html(self, path)

    def _repr_html_(self) -> str:
        """The overview and the rules with the lowest pass rate, for notebooks."""
        from ._html import report_repr_html

        return report_repr_html(self)

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """Every verdict as CSV rows (the :attr:`findings` table): text when *path* is None, else written atomically."""
        return self.findings.to_csv(path)


def region_groups(b: Block, lv: Level) -> tuple[np.ndarray, np.ndarray] | None:
    """The codes of the regions of *lv* holding *b*'s subjects, and each subject's index among them
    (``None`` when *lv* is below the rule's level: a district rule has no verdicts per street)."""
    if lv.depth > b.level.depth:
        return None
    if lv is b.level:
        return b.codes, np.arange(len(b.codes))
    s = SCALE[lv.depth]
    anc = (b.codes // s) * s
    if len(anc) < 2 or bool((anc[1:] >= anc[:-1]).all()):  # codes are sorted: groups are runs, no sort needed
        new = np.empty(len(anc), bool)
        new[:1] = True
        np.not_equal(anc[1:], anc[:-1], out=new[1:])
        return anc[new], np.cumsum(new) - 1
    return np.unique(anc, return_inverse=True)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 2**53 else repr(float(v))


def _clean(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in d.items()}


def _rule_doc(b: Block) -> dict[str, Any]:
    r = b.rule
    return {"id": r.id, "policy": b.policy.id, "title": {"zh": r.title_zh, "en": r.title_en}, "level": r.level.value,
            "kind": r.kind, "strength": r.strength, "from": r.start.isoformat(),
            "until": r.end.isoformat() if r.end else None,
            "area_types": sorted(a.value for a in r.area_types) if r.area_types else None, "scope": r.scope,
            "unit": b.outcome.unit if b.outcome else None, "error": b.error,
            "citation": {"source": r.citation.source.describe(), "quote": r.citation.quote}}


def _repeat(pairs: Sequence[tuple[int, str]]) -> np.ndarray:
    values = np.array([v for _, v in pairs], dtype=object)
    return np.repeat(values, [n for n, _ in pairs])


def _name_of(st: Any, code: int) -> str:
    row = st.region_row(code)
    return st.regions["name"][row] if row >= 0 else ""


def _within(code: int, scope: str) -> bool:
    from ._codes import code_level

    s = SCALE[code_level(scope).depth]
    return int(code) // s == int(scope) // s


def _isnan(arr: Any, row: int) -> bool:
    a = np.asarray(arr)
    if a.ndim == 0:
        return bool(a != a)
    return bool(a[row] != a[row])


def _isnan_v(v: Any) -> bool:
    try:
        return bool(v != v)
    except Exception:
        return False
