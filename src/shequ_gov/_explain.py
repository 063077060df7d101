"""The structured explanation of one verdict, and its text.

:meth:`Report.explanation <shequ_gov.Report.explanation>` returns an :class:`Explanation`: the
status and its message, the inputs the rule read, the parameters in force with their dates and
citations, the computation, the shortfall, the offending items and the rule's source quote. Its
:attr:`~Explanation.text` is what :meth:`Report.explain <shequ_gov.Report.explain>` prints: the
text is rendered from the structured fields, so the two cannot disagree. :meth:`Explanation.to_dict`
is the JSON form the HTTP service answers with.

This module only reads a report's columns; locating the verdict is the report's business.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ._codes import SCALE
from ._policy import Citation, Reform, _fmt_number, _unit_label
from ._verdict import Block, Relation
from ._writers import _name_of
from ._vocab import AREA_TYPES, AreaType, Level, Status

if TYPE_CHECKING:
    from ._report import Report

__all__ = ["Explanation", "ExplainedInput", "ExplainedParameter"]


@attrs.frozen
class ExplainedInput:
    """One input a rule read for the subject: its label, value (``None`` when missing) and unit."""

    label: str
    value: float | None
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value, "unit": self.unit}


@attrs.frozen
class ExplainedParameter:
    """A parameter the rule uses: its value in force on the evaluation date, since when, and its source.

    ``value``, ``start`` and ``citation`` are ``None`` when the parameter has no value on that date.
    """

    name: str
    unit: str
    description_zh: str
    description_en: str
    value: float | tuple[str, ...] | None
    shown: str
    start: dt.date | None
    citation: Citation | None
    #: set when the value comes from a reform (:meth:`Policy.with_parameters`), not from the source
    reform: Reform | None = None
    #: with a reform: what the source says on the evaluation date (value, date, citation), as text
    source_says: str | None = None

    def to_dict(self) -> dict[str, Any]:
        from ._policy import value_to_json

        v = value_to_json(self.value)
        r = self.reform
        return {"name": self.name, "value": v, "unit": self.unit, "shown": self.shown,
                "from": self.start.isoformat() if self.start and self.start != dt.date.min else None,
                "description": {"zh": self.description_zh, "en": self.description_en},
                "citation": _citation_dict(self.citation) if self.citation and r is None else None,
                "reform": None if r is None else {"label": r.label, "reason": r.reason,
                                                  "from": r.start.isoformat() if r.start else None,
                                                  "source_says": self.source_says}}


@attrs.frozen
class Explanation:
    """Why a unit got its status under a rule, as data; :attr:`text` renders it.

    ``computation`` holds the lines of the computation as they are printed (empty when the rule
    reached no PASS, FAIL or MEASURED verdict, ``computed`` False then); ``offending`` maps a
    record table (``tasks``, ``plaques``…) to the offending items named in it.
    """

    rule_id: str
    title_zh: str
    title_en: str
    policy_id: str
    policy_name: str
    policy_version: str
    code: str
    name: str
    level: Any
    area_type: Any
    as_of: dt.date
    mode: str
    kind: str
    strength: str
    start: dt.date
    end: dt.date | None
    status: Status
    message: str
    condition_zh: str
    condition_en: str
    measured: float | None
    required: float | None
    unit: str
    shortfall: float | None
    inputs: tuple[ExplainedInput, ...]
    parameters: tuple[ExplainedParameter, ...]
    computed: bool
    computation: tuple[str, ...]
    offending: dict[str, tuple[str, ...]]
    citation: Citation
    #: one line per parameter of the policy changed by a reform (empty without one)
    reforms: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The explanation as bilingual text (what :meth:`Report.explain <shequ_gov.Report.explain>` returns)."""
        lines = [
            f"{self.rule_id} — {self.title_zh} / {self.title_en}",
            f"{self.level.zh} / {self.level.value} {self.code} {self.name}"
            + (f" ({self.area_type.label})" if self.area_type is not None else ""),
            f"Policy / 政策: {self.policy_name} (version {self.policy_version}); as of / 评估日期 {self.as_of}; "
            f"mode / 模式 {self.mode}",
            f"Kind / 类型: {self.kind}, strength / 强度: {self.strength}, in force from / 生效 {self.start}"
            + (f" until {self.end}" if self.end else ""),
            *[f"Under a reform / 改革方案下: {r}" for r in self.reforms],
            "",
            f"Status / 结论: {self.status.value.upper()} {self.status.zh} — {self.message}",
        ]
        if self.condition_en:
            lines += ["", f"Passes when / 达标条件: {self.condition_zh} / {self.condition_en}"]
        if self.inputs:
            lines += ["", "Inputs / 输入:"]
            for i in self.inputs:
                lines.append(f"  {i.label}: " + ("missing / 缺失" if i.value is None else
                                                  _fmt_number(i.value) + (f" {_unit_label(i.unit)}" if i.unit else "")))
        if self.parameters:
            lines += ["", "Parameters in force / 现行参数:"]
            for p in self.parameters:
                if p.start is None:
                    lines.append(f"  {p.name}: no value on {self.as_of}")
                    continue
                since = "always / 始终" if p.start == dt.date.min else f"from {p.start}"
                lines.append(f"  {p.name} = {p.shown} ({since}) — {p.description_zh} / {p.description_en}")
                if p.reform is None:
                    lines.append(f"      source / 出处: {p.citation}")
                else:
                    lines.append(f"      {p.reform.describe()}")
                    lines.append(f"      the source says / 原文: {p.source_says}")
        if self.computed:
            lines += ["", "Computation / 计算:"]
            lines += [f"  {c}" for c in self.computation]
        lines += ["", f"Source / 依据: {self.citation}"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        """The explanation as plain JSON values, its :attr:`text` included."""
        return {
            "rule": {"id": self.rule_id, "title": {"zh": self.title_zh, "en": self.title_en}, "kind": self.kind,
                     "strength": self.strength, "from": self.start.isoformat(),
                     "until": self.end.isoformat() if self.end else None,
                     "condition": {"zh": self.condition_zh, "en": self.condition_en}},
            "policy": {"id": self.policy_id, "name": self.policy_name, "version": self.policy_version},
            "subject": {"code": self.code, "name": self.name, "level": self.level.value,
                        "area_type": self.area_type.value if self.area_type is not None else None},
            "as_of": self.as_of.isoformat(),
            "mode": self.mode,
            "status": self.status.value,
            "status_label": {"zh": self.status.zh, "en": self.status.en},
            "message": self.message,
            "inputs": [i.to_dict() for i in self.inputs],
            "parameters": [p.to_dict() for p in self.parameters],
            "measured": self.measured,
            "required": self.required,
            "unit": self.unit,
            "shortfall": self.shortfall,
            "computation": list(self.computation),
            "offending": {k: list(v) for k, v in self.offending.items()},
            "citation": _citation_dict(self.citation),
            "text": self.text,
        }


def _citation_dict(c: Citation) -> dict[str, Any]:
    s = c.source
    return {"source": s.describe(), "source_id": s.id, "title": s.title, "issuer": s.issuer, "number": s.number,
            "date": s.date.isoformat() if s.date else None, "quote": c.quote}


def build(report: "Report", b: "Block", row: int, code: str) -> Explanation:
    """The explanation of the verdict at *row* of block *b* (the unit *code*) in *report*."""
    f = report.finding(code, b.rule.id)
    rule, o = b.rule, b.outcome
    unit_obj = unit_brief(report, code)  # the name and area type from its row: O(log n)

    inputs: list[ExplainedInput] = []
    if o is not None and o.inputs and f.status is not Status.NOT_APPLICABLE:  # no numbers where it does not apply
        for label, (arr, unit) in o.inputs.items():
            v = np.asarray(arr)[row] if np.ndim(arr) else arr
            inputs.append(ExplainedInput(label, None if _isnan_v(v) else float(v), unit or ""))

    params: list[ExplainedParameter] = []
    read = getattr(b, "parameters_read", None)  # a rule that ran: exactly the parameters it read
    for name in (rule.parameters if read is None else read):
        par = b.policy.parameters[name]
        e = par.entry(report.as_of)
        if e is None:
            params.append(ExplainedParameter(name, par.unit, par.description_zh, par.description_en, None, "",
                                             None, None))
        else:
            says = None
            if e.reform is not None:
                orig = e.reform.replaces.entry(report.as_of)
                says = (f"{par.format(orig.value)} (from {orig.start}) — {orig.citation}" if orig else
                        f"no value on {report.as_of}")
            params.append(ExplainedParameter(name, par.unit, par.description_zh, par.description_en, e.value,
                                             par.format(e.value), e.start, e.citation, e.reform, says))

    comp: list[str] = []
    offending: dict[str, tuple[str, ...]] = {}
    computed = o is not None and f.status in (Status.PASS, Status.FAIL, Status.MEASURED)
    if computed:
        u = f" {_unit_label(o.unit)}" if o.unit else ""
        ok = f.status is Status.PASS
        if o.op.compares and f.measured is not None and f.required is not None:
            sym = o.op.symbol
            comp.append(f"{_fmt_number(f.measured)}{u} {sym} {_fmt_number(f.required)}{u} → "
                        + ("yes / 是" if ok else "no / 否"))
            if not ok and f.shortfall is not None:
                word = o.op.direction
                comp.append(f"shortfall / 差距: needs {_fmt_number(f.shortfall)}{u} {word}")
        elif o.op is Relation.BETWEEN and f.measured is not None and o.low is not None:
            comp.append(f"{_fmt_number(o.low[row])}{u} ≤ {_fmt_number(f.measured)}{u} ≤ "
                        f"{_fmt_number(o.high[row])}{u} → " + ("yes / 是" if ok else "no / 否"))
            if not ok and f.shortfall is not None:
                comp.append(f"shortfall / 差距: {_fmt_number(f.shortfall)}{u} outside the range")
        elif o.op is Relation.MEASURE and f.measured is not None:
            comp.append(f"value / 数值: {_fmt_number(f.measured)}{u}")
        if o.note:
            comp.append(o.note)
        for table, mask in o.violations.items():
            items = violations(report, table, mask, b, row)
            if items:
                offending[table] = tuple(items)
                comp.append(f"offending {table} / 违规项:")
                comp += [f"  - {t}" for t in items]

    return Explanation(
        rule_id=rule.id, title_zh=rule.title_zh, title_en=rule.title_en, policy_id=b.policy.id,
        policy_name=b.policy.name, policy_version=b.policy.version, code=code, name=unit_obj.name, level=b.level,
        area_type=getattr(unit_obj, "area_type", None), as_of=report.as_of, mode=report.mode, kind=rule.kind,
        strength=rule.strength, start=rule.start, end=rule.end, status=f.status, message=f.message,
        condition_zh=rule.description_zh, condition_en=rule.description_en, measured=f.measured,
        required=f.required, unit=f.unit, shortfall=f.shortfall, inputs=tuple(inputs), parameters=tuple(params),
        computed=computed, computation=tuple(comp), offending=offending, citation=rule.citation,
        reforms=tuple(f"{n} — {r.describe()}" for n, r in b.policy.reforms.items()))


def _isnan_v(v: Any) -> bool:
    try:
        return bool(v != v)
    except Exception:
        return False


# --- messages, offending items, the unit's name: what findings and explanations say ----------------
def unit_brief(report: "Report", code: str) -> Any:
    """The name (and a community's area type) of the unit *code*, read from its row in O(log n)."""
    from types import SimpleNamespace

    st = report.dataset._st
    from ._codes import code_level

    if code_level(code) is Level.COMMUNITY:
        row = st.community_row(int(code))
        at = int(st.communities["area_type"][row])
        return SimpleNamespace(name=st.communities["name"][row],
                               area_type=AreaType.parse(list(AREA_TYPES)[at]) if at >= 0 else None)
    return SimpleNamespace(name=_name_of(st, int(code)), area_type=None)


def message(report: "Report", b: Block, row: int, st: Status) -> str:
    """The one-line message of a verdict (why it is not applicable, what is missing, the comparison)."""
    o = b.outcome
    rule = b.rule
    if st is Status.NOT_APPLICABLE:
        if not b.included[row]:
            return "outside the policy's jurisdiction / 不在该政策辖区内"
        if not rule.in_force(report.as_of):
            when = f"from {rule.start}" + (f" until {rule.end}" if rule.end else "")
            return f"not in force on {report.as_of} ({when}) / 规则未生效"
        if rule.scope and report.mode == "jurisdiction" and not _within(b.codes[row], rule.scope):
            return f"outside the rule's scope {rule.scope} / 不在规则适用范围内"
        if rule.area_types:
            return ("the rule applies to " + ", ".join(sorted(a.value for a in rule.area_types))
                    + " communities only / 不适用于该类型社区")
        return "not applicable / 不适用"
    if st is Status.ERROR:
        return f"the rule failed: {b.error} / 规则出错"
    if st is Status.UNKNOWN:
        miss = [label for label, (arr, _u) in (o.inputs.items() if o else []) if _isnan(arr, row)]
        if rule.area_types and report.dataset._st.communities["area_type"].shape[0] > row and \
                b.level is Level.COMMUNITY and report.dataset._st.communities["area_type"][row] < 0:
            miss.insert(0, "area type / 社区类型")
        return "input missing / 数据缺失" + (f": {', '.join(miss)}" if miss else "")
    if o is None:
        return ""
    m, r = b.measured_at(row), b.required_at(row)  # one element each: O(1)
    unit = _unit_label(o.unit)
    u = f" {unit}" if unit else ""
    if o.op.compares and m is not None and r is not None:
        sym = o.op.symbol
        head = f"{_fmt_number(m)}{u} {sym} {_fmt_number(r)}{u}"
        if st is Status.PASS:
            return head + " — meets the standard / 达标"
        gap = abs(r - m)
        more = o.op.direction
        return (f"{_fmt_number(m)}{u}, required {sym} {_fmt_number(r)}{u} — needs "
                f"{_fmt_number(gap)}{u} {more} / 差 {_fmt_number(gap)}{u}")
    if o.op is Relation.BETWEEN and m is not None and o.low is not None:
        lo, hi = _fmt_number(o.low[row]), _fmt_number(o.high[row])
        head = f"{_fmt_number(m)}{u}, required {lo}–{hi}{u}"
        if st is Status.PASS:
            return head + " — meets the standard / 达标"
        gap = abs(m - r)
        word = "more" if m < o.low[row] else "less"
        return head + f" — needs {_fmt_number(gap)}{u} {word} / 差 {_fmt_number(gap)}{u}"
    if o.op is Relation.NONE and m is not None:
        k = int(m) if m == m else 0
        return "no offending item / 无违规事项" if st is Status.PASS else f"{k} offending item(s) / {k} 项违规"
    if o.op is Relation.MEASURE and m is not None:
        return f"measured {_fmt_number(m)}{u} / 测得值"
    return ("condition met / 符合" if st is Status.PASS else "condition not met / 不符合") + \
        (f" ({o.note})" if o.note else "")


def violations(report: "Report", table: str, mask: np.ndarray, b: Block, row: int) -> list[str]:
    """The offending records of *table* (per *mask*) of the community at *row*, described one line each."""
    if b.level is not Level.COMMUNITY:
        return []
    from . import _schema as S

    st = report.dataset._st
    child = {"facilities": st.facilities, "staff": st.staff, "tasks": st.tasks, **st.tags}.get(table)
    if child is None:
        return []
    start = int(child.offsets[row])
    return [S.describe_child(table, child.cols, child.strings, i, i - start)
            for i in child.rows_of(row) if mask[i]]


def _within(code: int, scope: str) -> bool:
    from ._codes import code_level

    s = SCALE[code_level(scope).depth]
    return int(code) // s == int(scope) // s


def _isnan(arr: Any, row: int) -> bool:
    a = np.asarray(arr)
    if a.ndim == 0:
        return bool(a != a)
    return bool(a[row] != a[row])
