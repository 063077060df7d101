"""The report writers as they were before they were streamed from columns (frozen reference).

Kept in the tests only: ``test_report_writers.py`` checks that the streamed writers of
``shequ_gov._report`` give byte-identical output. Do not "improve" this file; it is the
definition of the format's bytes.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from shequ_gov._vocab import STATUSES
from shequ_gov._writers import REPORT_SCHEMA, _rule_doc


def _csv_num(v):
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 2**53 else repr(float(v))


def _clean(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in d.items()}


def _repeat(pairs):
    values = np.array([v for _, v in pairs], dtype=object)
    return np.repeat(values, [n for n, _ in pairs])


def findings_columns(report) -> dict:
    cols = {k: [] for k in ("code", "level", "policy", "rule", "strength", "status",
                            "measured", "required", "unit", "shortfall")}
    parts = {"code": [], "status": [], "measured": [], "required": [], "shortfall": []}
    meta = []
    for b in report._blocks:
        inc = np.flatnonzero(b.included)
        parts["code"].append(b.codes[inc])
        parts["status"].append(b.status[inc])
        for key, arr in (("measured", b.measured()), ("required", b.required()), ("shortfall", b.shortfall())):
            parts[key].append(arr[inc] if arr is not None else np.full(len(inc), np.nan))
        meta.append((len(inc), b))
    if not meta:
        return cols
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
    return cols


def rows(columns: dict):
    names = list(columns)
    cs = [c.tolist() if isinstance(c, np.ndarray) else list(c) for c in columns.values()]
    for values in zip(*cs):
        yield dict(zip(names, values))


def table_csv(columns: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows(columns):
        w.writerow(["" if v is None or (isinstance(v, float) and v != v) else _csv_num(v) for v in row.values()])
    return buf.getvalue()


def report_csv(report) -> str:
    return table_csv(findings_columns(report))


def summary_rows(report, level=None) -> list[dict]:
    from shequ_gov._codes import SCALE
    from shequ_gov._vocab import Level

    lv = Level.parse(level) if level is not None else None
    st = report.dataset._st
    out = {"policy": [], "rule": [], "strength": []}
    if lv is not None:
        out["region"] = []
        out["region_name"] = []
    counts_cols = {s.value: [] for s in STATUSES}
    for b in report._blocks:
        inc = b.included
        if lv is None:
            groups = [(None, None, np.bincount(b.status[inc], minlength=len(STATUSES)))]
        else:
            if lv.depth > b.level.depth:
                continue
            if lv is b.level:
                key = np.arange(len(b.codes))
                rcodes = b.codes
            else:
                s = SCALE[lv.depth]
                anc = (b.codes // s) * s
                rcodes, key = np.unique(anc, return_inverse=True)
            m = np.bincount(key[inc] * len(STATUSES) + b.status[inc],
                            minlength=len(rcodes) * len(STATUSES)).reshape(len(rcodes), len(STATUSES))
            keep = m.sum(axis=1) > 0
            groups = []
            for rc, cnt in zip(rcodes[keep].tolist(), m[keep]):
                row = st.region_row(rc)
                groups.append((rc, st.regions["name"][row] if row >= 0 else "", cnt))
        for rc, name, cnt in groups:
            out["policy"].append(b.policy.id)
            out["rule"].append(b.rule.id)
            out["strength"].append(b.rule.strength)
            if lv is not None:
                out["region"].append(f"{rc:012d}")
                out["region_name"].append(name)
            for s, v in zip(STATUSES, cnt.tolist()):
                counts_cols[s.value].append(v)
    out.update(counts_cols)
    p, f = np.array(out["pass"], float), np.array(out["fail"], float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pass_rate"] = (p / (p + f)).tolist()
    return list(rows(out))


def report_json(report) -> str:
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    parts = ['{"schema":' + enc(REPORT_SCHEMA) + ',\n"metadata":' + enc(report.metadata()) + ',\n"rules":[']
    parts.append(",".join("\n" + enc(_rule_doc(b)) for b in report._blocks))
    parts.append('],\n"summary":[')
    parts.append(",".join("\n" + enc(_clean(r)) for r in summary_rows(report)))
    parts.append('],\n"findings":[')
    first = True
    for b in report._blocks:
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
        parts.append(("" if first else ",") + ",".join(out))
        first = False
    parts.append("]}\n")
    return "".join(parts)
