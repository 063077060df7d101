"""The fields of every record of the interchange format, defined once.

Each :class:`Field` knows its kind, canonical unit, vocabulary and labels, and how to turn an
input value into its canonical form (or say what was expected). The attrs model (``_model``) and
the columnar loader (``_columns``) both use these, so a value is validated the same way whether
it arrives as an attrs object, a JSON document or a CSV cell.

This module holds no data and knows no region.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from ._units import Quantity, canonical
from ._vocab import (
    AREA_TYPES, FACILITY_KINDS, RATINGS, ROLES, TASK_KINDS, TASK_ROLES, AreaType, Vocabulary,
)

__all__ = ["Field"]

KINDS = ("count", "quantity", "share", "bool", "enum", "int")


@attrs.frozen
class Field:
    """One scalar field of a record.

    kind:
        ``count`` (a non-negative integer, optionally with a counted unit such as ``household``),
        ``quantity`` (a non-negative number in ``unit``), ``share`` (a fraction 0–1), ``bool``,
        ``enum`` (a key of ``vocab``), ``int`` (an integer in ``low``–``high``).
    """

    name: str
    kind: str = attrs.field(validator=attrs.validators.in_(KINDS))
    zh: str
    en: str
    unit: str = ""
    vocab: Vocabulary | None = None
    low: int = 0
    high: int | None = None

    @property
    def label(self) -> str:
        return f"{self.zh} / {self.en}"

    def expected(self) -> str:
        """Words for what this field accepts, for error messages and docs."""
        k = self.kind
        if k == "count":
            return "a whole number ≥ 0" + (f" (of {self.unit})" if self.unit else "")
        if k == "quantity":
            return f"a number ≥ 0 in {self.unit}, or a string with a unit such as '12 {self.unit}'"
        if k == "share":
            return "a fraction from 0 to 1"
        if k == "bool":
            return "true or false"
        if k == "enum":
            return "one of: " + ", ".join(self.vocab or ())
        return f"a whole number from {self.low} to {self.high}"

    def parse(self, value: Any) -> Any:
        """The canonical plain value (float, int, bool or str) of *value*; ``ValueError`` if unfit.

        ``None`` stays ``None`` (missing).
        """
        if value is None:
            return None
        k = self.kind
        if k == "quantity":
            v = canonical(value, self.unit)
            if v < 0:
                raise ValueError(f"expected {self.expected()}, got a negative value {value!r}")
            return v
        if k == "count":
            v = canonical(value, self.unit) if self.unit or not isinstance(value, (int, float)) else value
            if isinstance(v, bool) or not float(v).is_integer():
                raise ValueError(f"expected {self.expected()}, got {value!r}")
            if v < 0:
                raise ValueError(f"expected {self.expected()}, got a negative count {value!r}")
            return int(v)
        if k == "share":
            if isinstance(value, str):
                s = value.strip()
                v = canonical(s[:-1], "") / 100 if s.endswith("%") else canonical(s, "")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"expected {self.expected()}, got {value!r}")
            else:
                v = float(value)
            if not (0.0 <= v <= 1.0) or math.isnan(v):
                raise ValueError(f"expected {self.expected()}, got {value!r}")
            return v
        if k == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"expected true or false, got {value!r}")
            return value
        if k == "enum":
            assert self.vocab is not None
            return self.vocab.check(value)
        # int
        if isinstance(value, bool) or not isinstance(value, int) or not (self.low <= value <= (self.high or value)):
            raise ValueError(f"expected {self.expected()}, got {value!r}")
        return value

    def to_python(self, v: Any) -> Any:
        """The friendly value an attrs object holds: a pint quantity for quantities, an enum for area types."""
        if v is None:
            return None
        if self.kind == "quantity":
            return Quantity(v, self.unit)
        if self.vocab is AREA_TYPES:
            return AreaType(v)
        return v

    def to_json(self, v: Any) -> Any:
        """The canonical JSON value (quantities as numbers in the canonical unit)."""
        if v is None:
            return None
        if self.kind == "quantity":
            m = float(v.magnitude) if hasattr(v, "magnitude") else float(v)
            return int(m) if m.is_integer() and abs(m) < 2**53 else m
        if self.kind == "share":
            return float(v)
        if isinstance(v, AreaType):
            return v.value
        return v


def _f(name: str, kind: str, zh: str, en: str, **kw: Any) -> Field:
    return Field(name, kind, zh, en, **kw)


# --- communities ---------------------------------------------------------------------------------

COMMUNITY_FIELDS = (
    _f("area_type", "enum", "社区类型", "area type", vocab=AREA_TYPES),
    _f("households", "count", "户数", "households", unit="household"),
    _f("population", "count", "常住人口", "resident population", unit="person"),
    _f("new_build", "bool", "新建社区", "newly built community"),
    _f("grids", "count", "网格数", "grids"),
    _f("group_leader_subsidy", "quantity", "居民小组长补贴", "residents' group leader subsidy", unit="yuan/month"),
    _f("convenience_minutes", "quantity", "步行至便民服务时间", "walking time to everyday services", unit="minute"),
    _f("convenience_distance", "quantity", "至便民服务距离", "distance to everyday services", unit="km"),
)

FUNDING_FIELDS = (
    _f("operating", "quantity", "运转经费", "operating funds", unit="yuan/year"),
    _f("benefit_projects", "quantity", "惠民项目资金", "benefit-project funds", unit="yuan/year"),
)

BURDEN_FIELDS = (
    _f("ledgers", "count", "台账数", "ledgers kept"),
    _f("certificates", "count", "盖章证明项数", "kinds of certificate stamped"),
    _f("cancelled_certificates_issued", "count", "仍出具的已取消证明", "cancelled certificates still issued"),
    _f("non_retained_certificates_issued", "count", "保留清单外证明", "certificates issued outside the retained list"),
    _f("inspections", "count", "检查评比项数", "inspections and appraisals"),
    _f("one_vote_veto_items", "count", "一票否决事项", "one-vote-veto items"),
    _f("separate_department_assessments", "count", "职能部门单独考核", "separate assessments by departments"),
    _f("admin_work_share", "share", "行政事务占比", "share of work that is administrative"),
)

WEIGHT_FIELDS = (
    _f("residents", "share", "居民(服务对象)评价权重", "weight of residents' opinion"),
    _f("street", "share", "街道评价权重", "weight of the street's opinion"),
    _f("departments", "share", "职能部门评价权重", "weight of departments' opinion"),
)

ASSESSMENT_FIELDS = (
    _f("appeal_period", "bool", "申诉期", "appeal period"),
)

# --- child records -------------------------------------------------------------------------------

FACILITY_FIELDS = (
    _f("kind", "enum", "设施类型", "facility kind", vocab=FACILITY_KINDS),
    _f("area", "quantity", "面积", "area", unit="m**2"),
)

STAFF_FIELDS = (
    _f("monthly_pay", "quantity", "月报酬", "monthly pay", unit="yuan/month"),
    _f("certified_social_worker", "bool", "持证社会工作者", "certified social worker"),
    _f("post", "int", "岗位(三岗, 0 = 未纳入)", "post of the 3-post scale (0 = not on the scale)", low=0, high=3),
    _f("grade", "int", "等级(十八级, 0 = 未纳入)", "grade of the 18-grade scale (0 = not on the scale)", low=0, high=18),
)

RATING_FIELD = _f("rating", "enum", "年度考核等次", "annual rating", vocab=RATINGS)
ROLES_VOCAB = ROLES

TASK_FIELDS = (
    _f("role", "enum", "社区角色", "the community's role", vocab=TASK_ROLES),
    _f("funded", "bool", "经费随事转", "comes with funding"),
    _f("on_access_list", "bool", "在准入清单内", "on the access list"),
    _f("legal_basis", "bool", "有法律政策依据", "has a legal or policy basis"),
)
TASK_KIND_VOCAB = TASK_KINDS

# --- regions -------------------------------------------------------------------------------------

REGION_FIELDS = (
    _f("average_annual_wage", "quantity", "上年度社会平均工资", "previous year's average social wage", unit="yuan/year"),
    _f("social_work_agencies", "count", "民办社会工作服务机构数", "private social-work agencies"),
    _f("incubation_base", "bool", "社会组织孵化基地", "has an incubation base for social organisations"),
)

#: Flat column paths of a community's scalar fields, in storage order, with their Field.
COMMUNITY_COLUMNS: tuple[tuple[str, Field], ...] = (
    tuple((f.name, f) for f in COMMUNITY_FIELDS)
    + tuple((f"funding.{f.name}", f) for f in FUNDING_FIELDS)
    + tuple((f"burden.{f.name}", f) for f in BURDEN_FIELDS)
    + tuple((f"assessment.weights.{f.name}", f) for f in WEIGHT_FIELDS)
    + tuple((f"assessment.{f.name}", f) for f in ASSESSMENT_FIELDS)
)

#: The list fields of a community (missing = unknown; [] = none) and the vocabulary of their items.
TAG_LISTS = ("plaques", "unified", "bodies")
