"""The report's writers: JSON, CSV (plain and for spreadsheets), Arrow batches, the findings table.

Everything here streams from a report's status and value columns a bounded number of verdicts at a
time (:func:`verdict_chunks`); text is assembled per distinct value, not per verdict. The report's
``to_json``/``to_csv``/``to_arrow``/``to_parquet`` and :attr:`~shequ_gov.Report.findings` call in here.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import attrs
import numpy as np

from ._extras import require
from ._codes import SCALE
from ._policy import _unit_display
from ._table import Table
from ._verdict import Block
from ._vocab import STATUSES, Level

if TYPE_CHECKING:
    from ._report import Report

#: The schema id written at the head of a report's JSON.
REPORT_SCHEMA = "shequ-gov-report/1"


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
        for b, sl, vals in verdict_chunks(self._report):
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
        for b, sl, vals in verdict_chunks(self._report):
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


#: Up to this many findings of a rule at a time are written row by row (a single-community request).
_FEW = 8


def _distinct(values: np.ndarray | None, fmt: Callable[[float], str], absent: str) -> tuple[np.ndarray, np.ndarray]:
    """(text of each distinct value, index of each value's text): every distinct value is formatted once."""
    if values is None:
        return np.array([absent], dtype=object), np.zeros(0, np.int64)
    if len(values) <= _FEW:  # formatting each value costs less than finding the distinct ones
        text = np.empty(len(values), dtype=object)
        text[:] = [fmt(u) for u in values.tolist()]
        return text, np.arange(len(values))
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
    if n <= _FEW:  # a few rows: joined one by one, cheaper than finding the distinct combinations
        out = np.empty(n, dtype=object)
        out[:] = ["".join(row) for row in zip(*(text[idx].tolist() if len(idx) else [text[0]] * n
                                                 for text, idx in parts))]
        return out
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


def _arrow_schema() -> Any:
    pa = require("pyarrow", "arrow")
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


def _name_of(st: Any, code: int) -> str:
    row = st.region_row(code)
    return st.regions["name"][row] if row >= 0 else ""


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 2**53 else repr(float(v))


def _clean(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in d.items()}


def _table_json(table: Table, enc: Callable[[Any], str]) -> Iterator[str]:
    """``enc(_clean(row))`` of each row of a flat *table* (a summary's strings, ints and floats), made
    column by column: ints by ``int.__repr__`` and floats by ``float.__repr__`` (NaN as null, ±inf
    to the encoder, which refuses it) as the encoder writes them, each distinct string encoded once;
    then each row's pieces joined. The same text as one encoder call per row, at a fraction of the cost."""
    cols = []
    for name, col in table.columns.items():
        values = col.tolist() if isinstance(col, np.ndarray) else list(col)
        kinds = set(map(type, values))
        if kinds <= {int}:
            texts: Iterable[str] = map(int.__repr__, values)
        elif kinds <= {str}:
            texts = map({v: enc(v) for v in set(values)}.__getitem__, values)
        else:
            texts = ("null" if isinstance(v, float) and v != v else float.__repr__(v) if type(v) is float
                     and v - v == 0 else enc(v) for v in values)
        key = enc(name) + ":"
        cols.append([key + t for t in texts])
    return ("{" + ",".join(parts) + "}" for parts in zip(*cols))


def _rule_doc(b: Block) -> dict[str, Any]:
    r = b.rule
    return {"id": r.id, "policy": b.policy.id, "title": {"zh": r.title_zh, "en": r.title_en}, "level": r.level.value,
            "kind": r.kind, "strength": r.strength, "from": r.start.isoformat(),
            "until": r.end.isoformat() if r.end else None,
            "area_types": sorted(a.value for a in r.area_types) if r.area_types else None, "scope": r.scope,
            "unit": b.outcome.unit if b.outcome else None, "error": b.error,
            "citation": {"source": r.citation.source.describe(), "quote": r.citation.quote}}


#: The JSON of rules' documents, by (rule, policy, unit): rules are immutable, so one text serves every report.
_RULE_TEXT: dict[tuple[int, str, str | None], tuple[Any, str]] = {}


def _rule_text(b: Block, enc: Callable[[Any], str]) -> str:
    """``enc(_rule_doc(b))``, kept for the next report unless the rule failed (its error is in the text)."""
    if b.error is not None:
        return enc(_rule_doc(b))
    key = (id(b.rule), b.policy.id, b.outcome.unit if b.outcome else None)
    hit = _RULE_TEXT.get(key)
    if hit is None or hit[0] is not b.rule:  # (an id can be reused once a rule is gone)
        if len(_RULE_TEXT) >= 4096:
            _RULE_TEXT.clear()
        hit = _RULE_TEXT[key] = (b.rule, enc(_rule_doc(b)))
    return hit[1]


def verdict_chunks(report: "Report", chunk: int = 0, blocks: Iterable[Block] | None = None
                   ) -> Iterator[tuple[Block, np.ndarray, dict[str, np.ndarray | None]]]:
    """(block, included rows, {measured, required, shortfall}) for at most *chunk* (default ``_CHUNK``) verdicts at a time."""
    size = chunk or _CHUNK
    for b in report._blocks if blocks is None else blocks:
        inc = np.flatnonzero(b.included)
        if not len(inc):
            continue
        if len(inc) <= _FEW:  # a few verdicts: their values one by one, not whole columns
            rows = inc.tolist()
            few = {k: [f(r) for r in rows] for k, f in (("measured", b.measured_at), ("required", b.required_at),
                                                        ("shortfall", b.shortfall_at))}
            yield b, inc, {k: None if v[0] is None else np.array(v, dtype=np.float64) for k, v in few.items()}
            continue
        full = {"measured": b.measured(), "required": b.required(), "shortfall": b.shortfall()}
        for a in range(0, len(inc), size):
            sl = inc[a:a + size]
            yield b, sl, {k: (v[sl] if v is not None else None) for k, v in full.items()}


_STATUS_TEXT = [f'"{s.value}"' for s in STATUSES]


def _json_verdicts(report: "Report") -> Iterator[tuple[Block, Any, dict[str, np.ndarray | None] | None]]:
    """:func:`verdict_chunks`, but a block of at most ``_FEW`` verdicts comes as (block, rows as a list, None)."""
    for b in report._blocks:
        inc = b.included
        if len(inc) <= _FEW:
            rows = [i for i, x in enumerate(inc.tolist()) if x]
            if rows:
                yield b, rows, None
            continue
        yield from verdict_chunks(report, blocks=(b,))


def _few_findings(b: Block, rows: list[int], enc: Callable[[Any], str]) -> str:
    """The findings of *rows* of block *b*, as the array path of :func:`json_chunks` writes them."""
    head = _rule_head(b.rule.id, enc)
    codes = b.codes
    status = b.status
    out = []
    for r in rows:
        m, q, g = b.values_at(r)
        out.append(f',\n{{"code":"{int(codes[r]):012d}",{head}{_STATUS_TEXT[status[r]]}'
                   + ("" if m is None or m != m else f',"measured":{_num(float(m))}')
                   + ("" if q is None or q != q else f',"required":{_num(float(q))}')
                   + ("" if g is None or g != g else f',"shortfall":{_num(float(g))}') + "}")
    return "".join(out)


#: ``'"rule":<id>,"status":'`` by rule id: the start of each of a rule's findings.
_RULE_HEAD: dict[str, str] = {}


def _rule_head(rule_id: str, enc: Callable[[Any], str]) -> str:
    hit = _RULE_HEAD.get(rule_id)
    if hit is None:
        if len(_RULE_HEAD) >= 4096:
            _RULE_HEAD.clear()
        hit = _RULE_HEAD[rule_id] = f'"rule":{enc(rule_id)},"status":'
    return hit


def json_chunks(report: "Report") -> Iterator[str]:
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    yield '{"schema":' + enc(REPORT_SCHEMA) + ',\n"metadata":' + enc(report.metadata()) + ',\n"rules":['
    yield ",".join("\n" + _rule_text(b, enc) for b in report._blocks)
    yield '],\n"summary":['
    yield ",".join("\n" + row for row in _table_json(report.summary(), enc))
    yield '],\n"findings":['
    codes = _CodeStrings(',\n{"code":"', '",')
    first = True
    for b, sl, vals in _json_verdicts(report):
        if vals is None:  # a few findings (a single-community request): written row by row, no arrays
            text = _few_findings(b, sl, enc)
            yield text[1:] if first else text
            first = False
            continue
        head = f'"rule":{enc(b.rule.id)},"status":'
        pre = np.array([f'{head}"{s.value}"' for s in STATUSES], dtype=object)
        fields = [(vals[key], tail, lambda x, k=key, t=tail: ("" if x != x else f',"{k}":{_num(x)}') + t)
                  for key, tail in (("measured", ""), ("required", ""), ("shortfall", "}"))]
        if len(sl) <= _FEW:  # a few findings: the same pieces, joined row by row without array passes
            cols = [codes(b.codes, sl).tolist(), pre[b.status[sl]].tolist()]
            cols += [[tail] * len(sl) if v is None else [fmt(x) for x in v.tolist()] for v, tail, fmt in fields]
            text = "".join(["".join(row) for row in zip(*cols)])
        else:
            parts = [(pre, b.status[sl])] + [_distinct(v, fmt, tail) for v, tail, fmt in fields]
            text = _interleave(codes(b.codes, sl), _combine(parts))
        yield text[1:] if first else text  # every finding but the first follows a comma
        first = False
    yield "]}\n"


def csv_chunks(report: "Report") -> Iterator[str]:
    yield _csv_line(FINDINGS_COLUMNS)
    codes = _CodeStrings("", "")
    for b, sl, vals in verdict_chunks(report):
        mid = _csv_line([b.level.value, b.policy.id, b.rule.id, b.rule.strength])[:-1]
        pre = np.array([f",{mid},{_csv_cell(s.value)}," for s in STATUSES], dtype=object)
        unit = _csv_cell(b.outcome.unit if b.outcome else "")
        parts = [(pre, b.status[sl])]
        for key, tail in (("measured", ","), ("required", f",{unit},"), ("shortfall", "\n")):
            v = vals[key]
            parts.append(_distinct(v, lambda x, t=tail: ("" if x != x else _num(x)) + t, tail))
        yield _interleave(codes(b.codes, sl), _combine(parts))


def excel_chunks(report: "Report", zh_status: bool) -> Iterator[str]:
    st = report.dataset._st
    names = [f"{c.zh} / {c.en}" for c in EXCEL_COLUMNS]
    yield "\ufeff" + _csv_line(names, "\r\n")
    codes = _CodeStrings("", ",")
    ancestry: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for b, sl, vals in verdict_chunks(report):
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


# --- columnar exports ---------------------------------------------------------------------------
def prefetched(items: Iterable[Any], depth: int = 2) -> Iterator[Any]:
    """*items*, produced on a thread up to *depth* ahead of the consumer: building record batches
    (numpy) and encoding them (a Parquet writer, which releases the GIL) then overlap on two cores.
    An exception raised while producing is raised to the consumer; a consumer that stops early stops
    the producer."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((end, None))
        except BaseException as exc:  # handed to the consumer
            q.put((end, exc))

    worker = threading.Thread(target=produce, name="shequ-gov-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = q.get()
            if item is end:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def arrow_batches(report: "Report") -> Iterator[Any]:
    """The verdicts as record batches, a rule at a time. Every text column has one dictionary
    shared by all batches (the policies, the rules, every code once …), so that a Parquet writer
    does not re-encode a new dictionary for every rule."""
    pa = require("pyarrow", "arrow")
    from ._arrow import code_strings

    blocks = [b for b in report._blocks if b.included.any()]

    def shared(values: list[str]) -> tuple[dict[str, int], Any]:
        keys = list(dict.fromkeys(values))
        return {k: i for i, k in enumerate(keys)}, pa.array(keys, pa.string())

    texts = {
        "policy": shared([b.policy.id for b in blocks]), "rule": shared([b.rule.id for b in blocks]),
        "unit": shared([b.outcome.unit if b.outcome else "" for b in blocks]),
        "strength": shared([b.rule.strength for b in blocks]), "level": shared([b.level.value for b in blocks]),
    }
    # every distinct codes array once, one after the other, in one dictionary
    starts: dict[int, int] = {}
    arrays = []
    for b in blocks:
        if id(b.codes) not in starts:
            starts[id(b.codes)] = sum(len(a) for a in arrays)
            arrays.append(b.codes)
    code_dict = code_strings(np.concatenate(arrays) if arrays else np.zeros(0, np.int64))
    statuses = pa.array([s.value for s in STATUSES], pa.string())
    schema = _arrow_schema()
    for b, sl, vals in verdict_chunks(report, chunk=1 << 22):
        n = len(sl)

        def const(name: str, value: str) -> Any:
            index, dictionary = texts[name]
            return pa.DictionaryArray.from_arrays(pa.array(np.full(n, index[value], np.int32)), dictionary)

        def num(v: np.ndarray | None) -> Any:
            return pa.array(np.full(n, np.nan) if v is None else v,
                            mask=np.isnan(v) if v is not None else np.ones(n, bool))

        yield pa.record_batch([
            const("policy", b.policy.id), const("rule", b.rule.id),
            pa.DictionaryArray.from_arrays(pa.array((sl + starts[id(b.codes)]).astype(np.int32)), code_dict),
            pa.DictionaryArray.from_arrays(pa.array(b.status[sl].astype(np.int32)), statuses),
            num(vals["measured"]), num(vals["required"]), num(vals["shortfall"]),
            const("unit", b.outcome.unit if b.outcome else ""), const("strength", b.rule.strength),
            const("level", b.level.value),
        ], schema=schema)
