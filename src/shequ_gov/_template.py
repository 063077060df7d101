"""The fill-in workbook: the columns the chosen policies read, found by asking the rules.

Which rule needs which column is not declared anywhere by hand: it is measured. A synthetic
sample (every field filled) is evaluated once; then each column in turn is removed from every
record and the sample evaluated again. A rule needs the column if any of its verdicts changes.
The template has exactly those columns (with the record's identity), in the spreadsheet layout
that :func:`shequ_gov.Dataset.read` reads: counts on the community row where a count is all the
rules need (staff certified as social workers), a staff or task sheet where they need more.
"""

from __future__ import annotations

import copy
import os
from typing import Any, Iterable, Sequence

import numpy as np

from . import _schema as S
from . import _sheets as X
from ._errors import ValidationError
from ._vocab import FACILITY_KINDS

__all__ = ["template", "needs"]

_SAMPLE_SIZE = 150


def _other(v: Any, m: Any) -> Any:
    """Another valid value than *v* for member *m* (a flag flipped, a number scaled, the next key)."""
    if isinstance(m, S.YearMap):
        return {y: m.field.vocab.terms[-1].key for y in (v or {"2020": None})}
    if m.kind == "bool":
        return not v
    if m.kind in ("enum", "key"):
        keys = list(m.vocab)
        return keys[(keys.index(v) + 1) % len(keys)] if v in keys else keys[0]
    if m.kind == "keyset":
        return list(m.vocab)[:1] if v else list(m.vocab)
    if m.kind == "int":
        return m.low if v != m.low else (m.high or m.low)
    if m.kind == "share":
        return 1.0 - v
    return v * 10 + 1 if v is not None else None


def _remove(doc: dict[str, Any], target: tuple[str, ...], alter: bool = False) -> dict[str, Any]:
    """A copy of *doc* without one column (or with other values in it, when *alter*):
    ``("community", path)``, ``("region", name)``, ``("child", table, name)``,
    ``("facility", kind, "area" | "presence")``, ``("list", name)``."""
    d = copy.deepcopy(doc)
    kind = target[0]

    def change(node: dict[str, Any], key: str, m: Any) -> None:
        if alter and m is not None:
            node[key] = _other(node.get(key), m)
        else:
            node.pop(key, None)

    if kind == "region":
        for r in d["regions"]:
            if target[1] in r or alter:
                change(r, target[1], S.REGION.member(target[1]) if alter else None)
        return d
    cols = dict(S.COMMUNITY_COLUMNS)
    for c in d["communities"]:
        if kind == "community":
            *parents, last = target[1].split(".")
            node = c
            for p in parents:
                node = node.setdefault(p, {})
            if last in node:
                change(node, last, cols[target[1]])
        elif kind == "list":
            c.pop(target[1], None)
        elif kind == "child":
            m = S.CHILDREN[target[1]].record.member(target[2])
            for x in c.get(target[1]) or ():
                change(x, target[2], m)
        elif kind == "facility":
            fac = c.get("facilities")
            if fac is None:
                continue
            if target[2] == "area":
                for x in fac:
                    if x["kind"] == target[1]:
                        x.pop("area", None)
            else:
                c.pop("facilities", None)  # presence is only unknown when the list is
                c["facilities"] = [x for x in fac if x["kind"] != target[1]]
    return d


def _targets(doc: dict[str, Any]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [("community", p) for p, _ in S.COMMUNITY_COLUMNS]
    out += [("region", f.name) for f in S.REGION.scalars]
    out += [("list", t) for t in S.TAGS]
    for name, ch in S.CHILDREN.items():
        out += [("child", name, m.name) for m in ch.record.members
                if isinstance(m, (S.Field, S.YearMap)) and not getattr(m, "required", False)]
        out.append(("list", name))
    out += [("facility", k, "area") for k in FACILITY_KINDS]
    out += [("facility", k, "presence") for k in FACILITY_KINDS]
    return out


def needs(policies: Sequence[Any]) -> dict[tuple[str, ...], list[Any]]:
    """Each column (as a removal target) → the rules whose verdicts depend on it, over a sample."""
    from ._dataset import Dataset
    from ._engine import evaluate
    from .synth import generate

    doc = generate(_SAMPLE_SIZE, seed=7, missing=0.0).to_dict()

    def statuses(d: dict[str, Any]) -> dict[str, np.ndarray]:
        t = evaluate(Dataset.from_dict(d), list(policies), mode="what-if", as_of="2030-01-01").findings
        rule, status = np.asarray(t.columns["rule"]), np.asarray(t.columns["status"])
        return {rid: status[rule == rid] for rid in dict.fromkeys(rule.tolist())}

    base = statuses(doc)
    out: dict[tuple[str, ...], list[Any]] = {}
    rules = {r.id: r for p in policies for r in p.rules}
    for t in _targets(doc):
        changed: dict[str, Any] = {}
        for alter in ((False, True) if t[0] in ("community", "region", "child") else (False,)):
            try:
                after = statuses(_remove(doc, t, alter))
            except ValidationError:  # an altered value that breaks a check across fields: nothing learnt
                continue
            changed |= {rid: rules[rid] for rid in base if not np.array_equal(base[rid], after[rid])}
        if changed:
            out[t] = list(changed.values())
    return out


def template(path: str | os.PathLike[str], *, policies: Iterable[Any] | None = None) -> None:
    """Write the fill-in workbook for *policies* (names or Policy objects; default: all installed).

    Sheets: 社区 (communities: identity, the community fields the rules read, facility areas or
    presence, and staff counts where counts suffice), 工作人员 and 工作事项 where the rules read
    more than counts, 行政区域 where they read region facts, and 说明 (notes: for every column,
    what it holds, its unit and the rules that need it). Vocabulary and yes/no columns have
    drop-down lists. One example row shows the form; delete it before filling in.
    """
    from . import policies as registry
    from ._io import atomic_write

    chosen = [registry.load(p) if isinstance(p, str) else p
              for p in (registry.available() if policies is None else policies)]
    need = needs(chosen)
    book = _layout(need)
    atomic_write(path, lambda f: _write(book, f))


def _rules_text(rules: list[Any]) -> str:
    return "; ".join(f"{r.id} {r.title_zh}" for r in rules)


def _layout(need: dict[tuple[str, ...], list[Any]]) -> dict[str, list[dict[str, Any]]]:
    """Sheet name → columns (header, field or None, notes, example value)."""
    code = {"header": "区划代码 / code", "field": None, "example": "431302001001",
            "note": "12-digit division code of the community (统计用区划代码); or leave empty and give 名称 and 街道"}
    comm: list[dict[str, Any]] = [code, {"header": "名称 / name", "field": None, "example": "示例社区",
                                         "note": "community name (社区名称)"},
                                  {"header": "街道 / street", "field": None, "example": "乐坪街道",
                                   "note": "its street's name: finds the community in the division list without a code"}]
    cols = dict(S.COMMUNITY_COLUMNS)
    for t, rules in need.items():
        if t[0] == "community":
            f = cols[t[1]]
            comm.append({"header": _header(f, t[1]), "field": f, "rules": rules, "example": _EXAMPLES.get(t[1], _example(f))})
        elif t[0] == "list" and t[1] in S.TAGS:
            m = S.TAGS[t[1]]
            comm.append({"header": f"{m.zh} / {m.name}", "field": None, "rules": rules,
                         "example": "、".join(x.zh for x in m.vocab.terms[:2]),
                         "note": "labels separated by 、 (" + "、".join(x.zh for x in m.vocab.terms) + "); 无 for none"})
    area = {t[1] for t in need if t[0] == "facility" and t[2] == "area"}
    for t, rules in need.items():
        if t[0] == "facility":
            term = FACILITY_KINDS.term(t[1])
            if t[2] == "area":
                comm.append({"header": f"{term.zh}面积(平方米) / {term.key} area", "field": S.FACILITY.member("area"),
                             "rules": rules, "example": 620})
            elif t[1] not in area:
                comm.append({"header": f"{term.zh} / {term.key}", "field": _HAS, "rules": rules, "example": "有"})
    staff_fields = {t[2]: r for t, r in need.items() if t[0] == "child" and t[1] == "staff"}
    staff_list = need.get(("list", "staff"), [])
    sheets: dict[str, list[dict[str, Any]]] = {}
    if set(staff_fields) <= {"certified_social_worker"}:
        if staff_list or staff_fields:
            comm.append({"header": "工作人员数 / staff count", "field": _COUNT, "rules": staff_list, "example": 9,
                         "note": X.COUNT_COLUMNS["工作人员数"][1]})
        if staff_fields:
            comm.append({"header": "持证社工人数 / certified social workers", "field": _COUNT,
                         "rules": staff_fields["certified_social_worker"], "example": 2,
                         "note": X.COUNT_COLUMNS["持证社工人数"][1]})
    else:
        sheets["工作人员"] = _child_sheet("staff", staff_fields, staff_list)
    task_fields = {t[2]: r for t, r in need.items() if t[0] == "child" and t[1] == "tasks"}
    if task_fields or ("list", "tasks") in need:
        sheets["工作事项"] = _child_sheet("tasks", task_fields, need.get(("list", "tasks"), []))
    region = [(t[1], r) for t, r in need.items() if t[0] == "region"]
    out: dict[str, list[dict[str, Any]]] = {"社区": comm, **sheets}
    if region:
        out["行政区域"] = [{"header": "区划代码 / code", "field": None, "example": "431300000000",
                           "note": "division code of the city, district or street the fact belongs to"}] + \
            [{"header": _header(S.REGION.member(n), n), "field": S.REGION.member(n), "rules": r,
              "example": _example(S.REGION.member(n))} for n, r in region]
    return out


_HAS = S.Field("has", "bool", "有无", "present")
_COUNT = S.Field("n", "count", "人数", "count")


def _child_sheet(table: str, fields: dict[str, list[Any]], list_rules: list[Any]) -> list[dict[str, Any]]:
    rec = S.CHILDREN[table].record
    cols: list[dict[str, Any]] = [{"header": "社区代码 / community", "field": None, "example": "431302001001",
                                   "note": "code of the community this row belongs to", "rules": list_rules}]
    for m in rec.members:
        if isinstance(m, S.Field) and (m.required or m.name in fields):
            cols.append({"header": _header(m, m.name), "field": m, "rules": fields.get(m.name, list_rules),
                         "example": _example(m)})
        elif isinstance(m, S.YearMap) and m.name in fields:
            cols.append({"header": f"2023年{m.field.zh} / {m.name}.2023", "field": m.field, "rules": fields[m.name],
                         "example": _example(m.field), "note": "one column per year: 2022年年度考核等次 …"})
    return cols


#: Units as offices write amounts a year (the workbook the library writes keeps canonical units).
_OFFICE_UNITS = {"yuan/year": "万元/年"}
#: Examples that must agree with each other (assessment weights add up to one).
_EXAMPLES = {"assessment.weights.residents": "50%", "assessment.weights.street": "30%",
             "assessment.weights.departments": "20%"}


def _header(f: S.Field, path: str) -> str:
    unit = _OFFICE_UNITS.get(f.unit)
    return f"{f.zh}({unit}) / {path}" if unit else X.header_of(f, path)


def _example(f: S.Field) -> Any:
    if f.kind == "bool":
        return "是"
    if f.kind in ("enum", "key", "keyset"):
        return f.vocab.terms[0].zh
    if f.kind == "share":
        return "60%"
    if f.kind == "int":
        return f.high or 1
    return {"m**2": 620, "yuan/year": 26, "yuan/month": 3000, "household": 1500, "person": 4300,
            "minute": 10, "km": 1}.get(f.unit, 3)


def _choices(f: Any) -> list[str] | None:
    if f is None:
        return None
    if f.kind == "bool":
        return ["有", "无"] if f is _HAS else ["是", "否"]
    if f.kind == "enum":
        return [t.zh for t in f.vocab.terms]
    return None


def _write(book: dict[str, list[dict[str, Any]]], f: Any) -> None:
    openpyxl = X._openpyxl()
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    lists = wb.create_sheet("_lists")  # drop-down sources (longer than Excel's inline limit)
    lists.sheet_state = "hidden"
    list_col = 0
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for name, cols in book.items():
        ws = wb.create_sheet(name)
        ws.append([c["header"] for c in cols])
        ws.append([c.get("example") for c in cols])
        for j, c in enumerate(cols, start=1):
            cell = ws.cell(row=1, column=j)
            cell.font, cell.fill, cell.alignment = bold, fill, Alignment(wrap_text=True)
            ws.column_dimensions[X._letter(j - 1)].width = max(14, min(40, len(c["header"]) + 4))
            choices = _choices(c.get("field"))
            if choices:
                list_col += 1
                for i, v in enumerate(choices, start=1):
                    lists.cell(row=i, column=list_col, value=v)
                ref = f"_lists!${X._letter(list_col - 1)}$1:${X._letter(list_col - 1)}${len(choices)}"
                dv = DataValidation(type="list", formula1=ref, allow_blank=True,
                                    error=f"expected one of: {'、'.join(choices)}", showErrorMessage=True)
                ws.add_data_validation(dv)
                dv.add(f"{X._letter(j - 1)}2:{X._letter(j - 1)}100000")
        ws.freeze_panes = "A2"
    notes = wb.create_sheet("说明", 0)
    notes.append(["工作表 / sheet", "列 / column", "填写 / what to enter", "需要此列的规则 / rules that need it"])
    for cell in notes[1]:
        cell.font, cell.fill = bold, fill
    notes.append(["", "", "第 2 行是示例,填写前请删除 / row 2 of each sheet is an example: delete it before filling in",
                  ""])
    for name, cols in book.items():
        for c in cols:
            fld = c.get("field")
            what = c.get("note") or (f"{fld.zh} / {fld.en}: {fld.expected()}" if fld is not None else "")
            notes.append([name, c["header"], what, _rules_text(c.get("rules") or [])])
    for col, width in zip("ABCD", (12, 36, 60, 90)):
        notes.column_dimensions[col].width = width
    wb.move_sheet("_lists", offset=len(wb.sheetnames))
    wb.save(f)
