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
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import attrs
import numpy as np

from ._codes import SCALE, normalize_code
from ._dataset import Dataset
from ._engine import S_FAIL, S_MEASURED, S_NA, S_PASS, STATUSES, Block
from ._io import atomic_write
from ._policy import Citation, Policy, _fmt_number, _unit_display, _unit_label
from ._vocab import AREA_TYPES, AreaType, Level, Status

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
        val = lambda v: None if v is None or v != v else float(v)  # noqa: E731
        rule = b.rule
        return Finding(c, self._unit_brief(c).name, b.level, b.policy.id, rule.id, rule.title_zh, rule.title_en,
                       rule.strength, st, val(b.measured_at(row)), val(b.required_at(row)),
                       b.outcome.unit if b.outcome else "", val(b.shortfall_at(row)),
                       rule.citation, self._message(b, row, st))

    def _unit_brief(self, code: str) -> Any:
        """The name (and a community's area type) of the unit *code*, read from its row in O(log n)."""
        from types import SimpleNamespace

        st = self.dataset._st
        from ._codes import code_level

        if code_level(code) is Level.COMMUNITY:
            row = st.community_row(int(code))
            at = int(st.communities["area_type"][row])
            return SimpleNamespace(name=st.communities["name"][row],
                                   area_type=AreaType.parse(list(AREA_TYPES)[at]) if at >= 0 else None)
        return SimpleNamespace(name=_name_of(st, int(code)), area_type=None)

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
        m, r = b.measured_at(row), b.required_at(row)  # one element each: O(1)
        unit = _unit_label(o.unit)
        u = f" {unit}" if unit else ""
        if o.op in (">=", "<=") and m is not None and r is not None:
            sym = "≥" if o.op == ">=" else "≤"
            head = f"{_fmt_number(m)}{u} {sym} {_fmt_number(r)}{u}"
            if st is Status.PASS:
                return head + " — meets the standard / 达标"
            gap = abs(r - m)
            more = "more" if o.op == ">=" else "less"
            return (f"{_fmt_number(m)}{u}, required {sym} {_fmt_number(r)}{u} — needs "
                    f"{_fmt_number(gap)}{u} {more} / 差 {_fmt_number(gap)}{u}")
        if o.op == "between" and m is not None and o.low is not None:
            lo, hi = _fmt_number(o.low[row]), _fmt_number(o.high[row])
            head = f"{_fmt_number(m)}{u}, required {lo}–{hi}{u}"
            if st is Status.PASS:
                return head + " — meets the standard / 达标"
            gap = abs(m - r)
            word = "more" if m < o.low[row] else "less"
            return head + f" — needs {_fmt_number(gap)}{u} {word} / 差 {_fmt_number(gap)}{u}"
        if o.op == "none" and m is not None:
            k = int(m) if m == m else 0
            return "no offending item / 无违规事项" if st is Status.PASS else f"{k} offending item(s) / {k} 项违规"
        if o.op == "measure" and m is not None:
            return f"measured {_fmt_number(m)}{u} / 测得值"
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

    def explain_many(self, codes: Iterable[Any], rule_id: str) -> dict[str, str]:
        """:meth:`explain` for each of *codes* under *rule_id*: normalised code → text, in the order given.

        Each explanation costs work proportional to that unit's own records, so a dashboard can
        explain a thousand failing communities in well under a second. An unknown code is a
        ``KeyError`` naming it, raised before any text is built.
        """
        self._block(rule_id)
        wanted = [normalize_code(c) for c in codes]
        missing = [c for c in wanted if c not in self.dataset]
        if missing:
            raise KeyError(f"no region or community with code {', '.join(missing[:10])}"
                           + (f" (and {len(missing) - 10} more)" if len(missing) > 10 else "") + " in the dataset")
        return {c: self.explain(c, rule_id) for c in wanted}

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
        """Every verdict as a table: code, level, policy, rule, status, measured, required, unit, shortfall.

        The table is lazy: iterating it, ``len()``, ``format()`` and ``to_csv()`` stream the
        verdicts from the report's columns a bounded number at a time; only ``.columns`` builds
        every column in memory (avoid it at national scale).
        """
        return _Findings(self)

    def _region_key(self, codes: np.ndarray, lv: Level) -> tuple[np.ndarray, np.ndarray]:
        """For subjects *codes* (sorted), the position of each one's region of *lv*, and those regions' codes."""
        cache = self.__dict__.setdefault("_region_keys", {})
        hit = cache.get((id(codes), lv))
        if hit is not None and hit[0] is codes:
            return hit[1], hit[2]
        rcodes, key = region_index(codes, lv)
        cache[(id(codes), lv)] = (codes, key, rcodes)
        return key, rcodes

    def summary(self, level: Level | str | None = None) -> Table:
        """Counts of each status and the pass rate, per rule — and per region of *level* if given.

        The pass rate is PASS / (PASS + FAIL); NaN where there is neither. One vectorised
        group-by (``bincount`` over region × status) per rule, whatever the level.
        """
        lv = Level.parse(level) if level is not None else None
        st = self.dataset._st
        k = len(STATUSES)
        meta: list[tuple[int, Block]] = []
        counts: list[np.ndarray] = []
        regions: list[tuple[np.ndarray, np.ndarray]] = []
        texts: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for b in self._blocks:
            inc = b.included
            if lv is None:
                counts.append(np.bincount(b.status[inc], minlength=k)[None, :])
                meta.append((1, b))
                continue
            if lv.depth > b.level.depth:
                continue  # a district rule has no verdicts per street
            if lv is b.level:
                key, rcodes = np.arange(len(b.codes)), b.codes
            else:
                key, rcodes = self._region_key(b.codes, lv)
            m = np.bincount(key[inc] * k + b.status[inc], minlength=len(rcodes) * k).reshape(len(rcodes), k)
            keep = np.flatnonzero(m.any(axis=1))
            counts.append(m[keep])
            labels = texts.get(id(rcodes))
            if labels is None or labels[0] is not rcodes:  # code and name of each region, once per region list
                code_text = np.empty(len(rcodes), dtype=object)
                code_text[:] = [f"{c:012d}" for c in rcodes.tolist()]
                labels = texts[id(rcodes)] = (rcodes, code_text, _names_of(st, rcodes))
            regions.append((labels[1][keep], labels[2][keep]))
            meta.append((len(keep), b))
        cnt = np.concatenate(counts) if counts else np.zeros((0, k), np.int64)
        rows: dict[str, list] = {"policy": _repeat([(n, b.policy.id) for n, b in meta]).tolist(),
                                 "rule": _repeat([(n, b.rule.id) for n, b in meta]).tolist(),
                                 "strength": _repeat([(n, b.rule.strength) for n, b in meta]).tolist()}
        if lv is not None:
            rows["region"] = np.concatenate([c for c, _ in regions]).tolist() if regions else []
            rows["region_name"] = np.concatenate([n for _, n in regions]).tolist() if regions else []
        for j, s in enumerate(STATUSES):
            rows[s.value] = cnt[:, j].tolist()
        p, f = cnt[:, S_PASS].astype(float), cnt[:, S_FAIL].astype(float)
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

    def _verdict_chunks(self, chunk: int = 0) -> Iterator[tuple[Block, np.ndarray, dict[str, np.ndarray | None]]]:
        """(block, included rows, {measured, required, shortfall}) for at most *chunk* (default ``_CHUNK``) verdicts at a time."""
        size = chunk or _CHUNK
        for b in self._blocks:
            inc = np.flatnonzero(b.included)
            if not len(inc):
                continue
            full = {"measured": b.measured(), "required": b.required(), "shortfall": b.shortfall()}
            for a in range(0, len(inc), size):
                sl = inc[a:a + size]
                yield b, sl, {k: (v[sl] if v is not None else None) for k, v in full.items()}

    def _json_chunks(self) -> Iterator[str]:
        enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
        yield '{"schema":' + enc(REPORT_SCHEMA) + ',\n"metadata":' + enc(self.metadata()) + ',\n"rules":['
        yield ",".join("\n" + enc(_rule_doc(b)) for b in self._blocks)
        yield '],\n"summary":['
        yield ",".join("\n" + enc(_clean(r)) for r in self.summary().rows())
        yield '],\n"findings":['
        codes = _CodeStrings(',\n{"code":"', '",')
        first = True
        for b, sl, vals in self._verdict_chunks():
            head = f'"rule":{enc(b.rule.id)},"status":'
            pre = np.array([f'{head}"{s.value}"' for s in STATUSES], dtype=object)
            parts = [(pre, b.status[sl])]
            for key, tail in (("measured", ""), ("required", ""), ("shortfall", "}")):
                parts.append(_distinct(vals[key], lambda x, k=key, t=tail: ("" if x != x else f',"{k}":{_num(x)}') + t,
                                       tail))
            text = _interleave(codes(b.codes, sl), _combine(parts))
            yield text[1:] if first else text  # every finding but the first follows a comma
            first = False
        yield "]}\n"

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """The report as JSON (schema ``shequ-gov-report/1``): text when *path* is None, else written atomically.

        The same input gives byte-identical output (``.gz`` paths are gzip-compressed). The
        findings are written from the status and value columns a bounded number at a time.
        """
        if path is None:
            return "".join(self._json_chunks())

        def emit(f: Any) -> None:
            for chunk in self._json_chunks():
                f.write(chunk.encode("utf-8"))

        atomic_write(path, emit)
        return None

    def _csv_chunks(self) -> Iterator[str]:
        yield _csv_line(FINDINGS_COLUMNS)
        codes = _CodeStrings("", "")
        for b, sl, vals in self._verdict_chunks():
            mid = _csv_line([b.level.value, b.policy.id, b.rule.id, b.rule.strength])[:-1]
            pre = np.array([f",{mid},{_csv_cell(s.value)}," for s in STATUSES], dtype=object)
            unit = _csv_cell(b.outcome.unit if b.outcome else "")
            parts = [(pre, b.status[sl])]
            for key, tail in (("measured", ","), ("required", f",{unit},"), ("shortfall", "\n")):
                v = vals[key]
                parts.append(_distinct(v, lambda x, t=tail: ("" if x != x else _num(x)) + t, tail))
            yield _interleave(codes(b.codes, sl), _combine(parts))

    def _excel_chunks(self, zh_status: bool) -> Iterator[str]:
        st = self.dataset._st
        names = [f"{c.zh} / {c.en}" for c in EXCEL_COLUMNS]
        yield "\ufeff" + _csv_line(names, "\r\n")
        codes = _CodeStrings("", ",")
        ancestry: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for b, sl, vals in self._verdict_chunks():
            hit = ancestry.get(id(b.codes))
            if hit is None or hit[0] is not b.codes:
                cols = [_names_of(st, b.codes, community=b.level is Level.COMMUNITY)]
                for lv in list(Level)[:4]:
                    s = SCALE[lv.depth]
                    anc = (b.codes // s) * s
                    own = anc == b.codes
                    cols.append(np.where(own, "", _names_of(st, anc)) if lv.depth < b.level.depth else
                                np.full(len(b.codes), "", dtype=object))
                text = np.empty(len(b.codes), dtype=object)
                text[:] = [",".join(map(_csv_cell, t)) for t in zip(*[c.tolist() for c in cols])]
                hit = ancestry[id(b.codes)] = (b.codes, text)
            unit_label, decimals = _unit_display(b.outcome.unit if b.outcome else "")
            mid = _csv_line([b.level.zh, b.policy.id, b.rule.id, b.rule.title_zh, b.rule.strength], "")
            pre = np.array([f",{mid},{_csv_cell(s.zh if zh_status else s.value)}," for s in STATUSES], dtype=object)
            rows = codes(b.codes, sl)
            fmt = _rounder(decimals)
            parts = [(pre, b.status[sl])]
            for key, tail in (("measured", ","), ("required", f",{_csv_cell(unit_label)},"), ("shortfall", "\r\n")):
                parts.append(_distinct(vals[key], lambda x, t=tail: fmt(x) + t, tail))
            yield _interleave(rows, hit[1][sl], _combine(parts))

    def to_csv(self, path: str | os.PathLike[str] | None = None, *, excel: bool = False,
               zh_status: bool = False) -> str | None:
        """Every verdict as CSV rows: text when *path* is None, else written atomically.

        The plain CSV has the columns of :attr:`findings` (numbers exact, as computed). With
        ``excel=True`` it is made for spreadsheets: UTF-8 with a byte-order mark and CRLF line
        ends (so Excel on a Chinese Windows reads it right), bilingual headers, the unit's name
        and the names of its province, city, district and street beside each code, the rule's
        Chinese title, numbers rounded to their unit's precision (2 decimals for m² and yuan, 4
        for counts and shares, no float noise), units written as people write them (m², 元/月)
        and, with ``zh_status=True``, Chinese status labels (达标, 未达标, 不适用, …). Both are
        written from the columns a bounded number of verdicts at a time.
        """
        chunks = self._excel_chunks(zh_status) if excel else self._csv_chunks()
        if path is None:
            return "".join(chunks)

        def emit(f: Any) -> None:
            for chunk in chunks:
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

    # --- columnar exports ---------------------------------------------------------------------------
    def _arrow_batches(self) -> Iterator[Any]:
        pa = _require("pyarrow", "arrow")
        code_dicts: dict[int, tuple[np.ndarray, Any]] = {}
        statuses = pa.array([s.value for s in STATUSES], pa.string())
        for b, sl, vals in self._verdict_chunks(chunk=1 << 22):  # a rule at a time: one code dictionary each
            hit = code_dicts.get(id(b.codes))
            if hit is None or hit[0] is not b.codes:
                hit = code_dicts[id(b.codes)] = (b.codes, pa.array([f"{c:012d}" for c in b.codes.tolist()],
                                                                     pa.string()))
            n = len(sl)
            const = lambda v: pa.DictionaryArray.from_arrays(  # noqa: E731
                pa.array(np.zeros(n, np.int32)), pa.array([v], pa.string()))
            num = lambda v: pa.array(np.full(n, np.nan) if v is None else v,  # noqa: E731
                                     mask=np.isnan(v) if v is not None else np.ones(n, bool))
            yield pa.record_batch([
                const(b.policy.id), const(b.rule.id),
                pa.DictionaryArray.from_arrays(pa.array(sl.astype(np.int32)), hit[1]),
                pa.DictionaryArray.from_arrays(pa.array(b.status[sl].astype(np.int32)), statuses),
                num(vals["measured"]), num(vals["required"]), num(vals["shortfall"]),
                const(b.outcome.unit if b.outcome else ""), const(b.rule.strength), const(b.level.value),
            ], schema=_arrow_schema())

    def to_arrow(self) -> Any:
        """Every verdict as a ``pyarrow.Table``, one row per verdict (needs ``shequ-gov[arrow]``).

        Columns: policy, rule, code, status, measured, required, shortfall, unit, strength, level;
        text columns are dictionary-encoded, numbers are float64 with nulls where a verdict has
        no such number.
        """
        pa = _require("pyarrow", "arrow")
        return pa.Table.from_batches(list(self._arrow_batches()), schema=_arrow_schema())

    def to_pandas(self) -> Any:
        """Every verdict as a ``pandas.DataFrame`` (text columns categorical; needs ``shequ-gov[pandas]``)."""
        _require("pandas", "pandas")
        return self.to_arrow().to_pandas()

    def to_parquet(self, path: str | os.PathLike[str]) -> None:
        """Write every verdict to a Parquet file at *path*, atomically (needs ``shequ-gov[arrow]``).

        The rows are those of :meth:`to_arrow`, written a bounded number at a time, with the
        report's :meth:`metadata` (as JSON) under the key ``shequ_gov_report``.
        """
        _require("pyarrow", "arrow")
        import pyarrow.parquet as pq

        schema = _arrow_schema().with_metadata({"shequ_gov_report": json.dumps(self.metadata(), ensure_ascii=False)})

        def emit(f: Any) -> None:
            # the code column is written plain: re-encoding a 620,000-entry dictionary per rule costs 4× more
            with pq.ParquetWriter(f, schema, use_dictionary=[n for n in schema.names if n != "code"]) as w:
                for batch in self._arrow_batches():
                    w.write_batch(batch)

        atomic_write(path, emit)


#: The columns of the findings table and of the plain CSV.
FINDINGS_COLUMNS = ("code", "level", "policy", "rule", "strength", "status", "measured", "required", "unit",
                    "shortfall")


@attrs.frozen
class _Column:
    zh: str
    en: str


#: The columns of the spreadsheet CSV (``to_csv(excel=True)``).
EXCEL_COLUMNS = (
    _Column("代码", "code"), _Column("名称", "name"), _Column("省", "province"), _Column("市", "city"),
    _Column("区县", "district"), _Column("街道", "street"), _Column("层级", "level"), _Column("政策", "policy"),
    _Column("规则", "rule"), _Column("规则名称", "rule title"), _Column("强度", "strength"),
    _Column("结论", "status"), _Column("测得值", "measured"), _Column("要求", "required"), _Column("单位", "unit"),
    _Column("差距", "shortfall"),
)

_CHUNK = 1 << 16


class _Findings(Table):
    """The findings table of a report, streamed from its columns (see :attr:`Report.findings`)."""

    def __init__(self, report: Report):
        self._report = report

    @property
    def columns(self) -> dict[str, Any]:  # type: ignore[override]
        cols: dict[str, Any] = {k: [] for k in FINDINGS_COLUMNS}
        parts: dict[str, list] = {k: [] for k in cols}
        for b, sl, vals in self._report._verdict_chunks():
            n = len(sl)
            parts["code"].append(np.char.zfill(b.codes[sl].astype("U12"), 12))
            parts["status"].append(_STATUS_NAMES[b.status[sl]])
            for k in ("measured", "required", "shortfall"):
                parts[k].append(vals[k] if vals[k] is not None else np.full(n, np.nan))
            for k, v in (("level", b.level.value), ("policy", b.policy.id), ("rule", b.rule.id),
                         ("strength", b.rule.strength), ("unit", b.outcome.unit if b.outcome else "")):
                parts[k].append(np.full(n, v, dtype=object))
        if parts["code"]:
            cols = {k: np.concatenate(parts[k]) for k in cols}
        return cols

    def __len__(self) -> int:
        return len(self._report)

    def rows(self) -> Iterator[dict[str, Any]]:
        """The verdicts, one dict each, produced a bounded number at a time."""
        for b, sl, vals in self._report._verdict_chunks():
            n = len(sl)
            nan = [np.nan] * n
            cols = [[f"{c:012d}" for c in b.codes[sl].tolist()], [b.level.value] * n, [b.policy.id] * n,
                    [b.rule.id] * n, [b.rule.strength] * n, _STATUS_NAMES[b.status[sl]].tolist()]
            cols += [vals[k].tolist() if vals[k] is not None else nan for k in ("measured", "required")]
            cols += [[b.outcome.unit if b.outcome else ""] * n,
                     vals["shortfall"].tolist() if vals["shortfall"] is not None else nan]
            for values in zip(*cols):
                yield dict(zip(FINDINGS_COLUMNS, values))

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """The findings as CSV, streamed (the same bytes as :meth:`Report.to_csv`)."""
        return self._report.to_csv(path)


_STATUS_NAMES = np.array([s.value for s in STATUSES], dtype=object)


class _CodeStrings:
    """12-digit code strings (with a fixed prefix and suffix) of subjects, built once per code array."""

    def __init__(self, prefix: str, suffix: str):
        self._prefix, self._suffix = prefix, suffix
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
        hit = self._cache.get(id(codes))
        if hit is None or hit[0] is not codes:
            text = np.empty(len(codes), dtype=object)
            p, q = self._prefix, self._suffix
            text[:] = [f"{p}{c:012d}{q}" for c in codes.tolist()]
            hit = self._cache[id(codes)] = (codes, text)
        return hit[1][rows]


def _distinct(values: np.ndarray | None, fmt: Callable[[float], str], absent: str) -> tuple[np.ndarray, np.ndarray]:
    """(text of each distinct value, index of each value's text): every distinct value is formatted once."""
    if values is None:
        return np.array([absent], dtype=object), np.zeros(0, np.int64)
    uniq, inv = np.unique(values, return_inverse=True)
    text = np.empty(len(uniq), dtype=object)
    text[:] = [fmt(u) for u in uniq.tolist()]
    return text, inv.reshape(-1)


def _combine(parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The concatenation, row by row, of texts chosen by index from each part, as an object array.

    Rows with the same combination of indices share one string, built once: most verdicts of a rule
    differ only in their code.
    """
    n = max(len(idx) for _, idx in parts)
    key = np.zeros(n, np.int64)
    for text, idx in parts:
        key *= len(text)
        if len(idx):
            key += idx
    uniq, inv = np.unique(key, return_inverse=True)
    digits = []
    rest = uniq.copy()
    for text, _ in reversed(parts):
        digits.append(text[rest % len(text)])
        rest //= len(text)
    digits.reverse()
    out = digits[0]
    for d in digits[1:]:
        out = out + d
    return out[inv.reshape(-1)]


def _interleave(*columns: np.ndarray) -> str:
    """The rows' pieces joined in row order (column pieces of row 0, then of row 1, …) as one string."""
    out = np.empty(len(columns[0]) * len(columns), dtype=object)
    for j, c in enumerate(columns):
        out[j::len(columns)] = c
    return "".join(out.tolist())


def _rounder(decimals: int) -> Callable[[float], str]:
    def fmt(v: float) -> str:
        if v != v:
            return ""
        t = f"{v:.{decimals}f}"
        if "." in t:
            t = t.rstrip("0").rstrip(".")
        return "0" if t in ("-0", "") else t

    return fmt


def _csv_line(cells: Sequence[str], end: str = "\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=end).writerow(cells)
    return buf.getvalue()


def _csv_cell(text: str) -> str:
    """One text field as the csv module writes it in a row of several (quoted only when needed)."""
    return _csv_line([text, "x"], "\n")[:-3]


def _require(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this needs {module}: pip install 'shequ-gov[{extra}]'") from None


def _arrow_schema() -> Any:
    pa = _require("pyarrow", "arrow")
    text = pa.dictionary(pa.int32(), pa.string())
    return pa.schema([("policy", text), ("rule", text), ("code", text), ("status", text),
                      ("measured", pa.float64()), ("required", pa.float64()), ("shortfall", pa.float64()),
                      ("unit", text), ("strength", text), ("level", text)])


def _names_of(st: Any, codes: np.ndarray, community: bool = False) -> np.ndarray:
    """Names of the regions (or communities) with *codes*, vectorised ("" where there is none)."""
    table = st.communities if community else st.regions
    known = table["code"]
    pos = np.searchsorted(known, codes)
    pos_c = np.minimum(pos, max(len(known) - 1, 0))
    found = (pos < len(known)) & (known[pos_c] == codes) if len(known) else np.zeros(len(codes), bool)
    names = np.asarray(table["name"], dtype=object)
    out = np.full(len(codes), "", dtype=object)
    out[found] = names[pos_c[found]]
    return out


def region_groups(b: Block, lv: Level) -> tuple[np.ndarray, np.ndarray] | None:
    """The codes of the regions of *lv* holding *b*'s subjects, and each subject's index among them
    (``None`` when *lv* is below the rule's level: a district rule has no verdicts per street)."""
    if lv.depth > b.level.depth:
        return None
    if lv is b.level:
        return b.codes, np.arange(len(b.codes))
    return region_index(b.codes, lv)


def region_index(codes: np.ndarray, lv: Level) -> tuple[np.ndarray, np.ndarray]:
    """The codes of the regions of *lv* above *codes*, and each code's index among them."""
    s = SCALE[lv.depth]
    anc = (codes // s) * s
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
