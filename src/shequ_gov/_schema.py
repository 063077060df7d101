"""The records of the interchange format, each declared once.

Every record (region, community, facility, staff member, task, and the nested funding, burden
and assessment) is a :class:`Record`: an ordered tuple of members, each either a scalar
:class:`Field` (its kind, bounds, vocabulary, canonical unit, storage dtype, Chinese and English
labels and the spreadsheet headers accepted for it), a nested :class:`Group`, a list of child
records (:class:`Children`), a list of vocabulary keys (:class:`Tags`) or a year-keyed map
(:class:`YearMap`). The member order is the key order of the interchange JSON.

Everything else is derived from these declarations: the column store's dtypes and empty tables
(``_columns``), the JSON reader and writer, the CSV reader (``_io``), the attrs classes
(``_model``), the offender lines of explanations (:func:`describe_child`), the conformance kit's
perturbations and the hypothesis strategies (``testing``). Adding a field to the interchange
format is one :class:`Field` here (and its test data); ``tests/test_schema.py`` walks the
declarations and round-trips every field through every format.

This module holds no data and knows no region.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterator

import attrs
import numpy as np

from ._units import canonical, quantity
from ._vocab import (
    AREA_TYPES, BODIES, FACILITY_KINDS, PLAQUES, RATINGS, ROLES, TASK_KINDS, TASK_ROLES, UNIFIED, AreaType,
    Vocabulary,
)

__all__ = ["Field"]

#: Scalar kinds, stored one column per field.
SCALAR_KINDS = ("count", "quantity", "share", "bool", "enum", "int")
#: Kinds of a record's identity and keys: a division code, a name, a level, an open-vocabulary key
#: (kept as written, interned into a string table) and a set of closed-vocabulary keys (bits).
KINDS = SCALAR_KINDS + ("code", "text", "level", "key", "keyset")
NUMERIC_KINDS = ("count", "quantity", "share")

_DEFAULT_DTYPE = {"count": "float64", "quantity": "float64", "share": "float64", "bool": "int8", "enum": "int8",
                  "int": "int8", "key": "int32", "keyset": "uint8", "code": "int64", "text": "object",
                  "level": "int8"}


@attrs.frozen
class Field:
    """One field of a record.

    kind:
        ``count`` (a non-negative integer, optionally with a counted unit such as ``household``),
        ``quantity`` (a non-negative number in ``unit``, its canonical unit), ``share`` (a fraction
        0–1), ``bool``, ``enum`` (a key of ``vocab``), ``int`` (an integer in ``low``–``high``);
        and for identities and keys ``code``, ``text``, ``level``, ``key`` (a key of an open
        ``vocab``, any other string kept as written) and ``keyset`` (a set of keys of ``vocab``).
    dtype:
        The storage dtype of its column (float64 with NaN for missing numbers; small signed
        integers with -1 for missing flags, keys and integers).
    aliases:
        Other column headers accepted for it in spreadsheets and CSV (Chinese headers such as
        ``户数``). A header may carry its unit in brackets, ``运转经费(万元/年)``: see
        :func:`split_header`.
    required:
        Whether a record without it is rejected (a facility's kind, a task's kind).
    """

    name: str
    kind: str = attrs.field(validator=attrs.validators.in_(KINDS))
    zh: str
    en: str
    unit: str = ""
    vocab: Vocabulary | None = None
    low: int = 0
    high: int | None = None
    dtype: str = ""
    aliases: tuple[str, ...] = ()
    required: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.dtype:
            object.__setattr__(self, "dtype", _DEFAULT_DTYPE[self.kind])

    @property
    def label(self) -> str:
        return f"{self.zh} / {self.en}"

    @property
    def numeric(self) -> bool:
        """Stored as float64 with NaN for missing."""
        return self.kind in NUMERIC_KINDS

    @property
    def missing(self) -> Any:
        """The stored value of a missing entry (NaN or -1)."""
        return math.nan if self.numeric else -1

    @property
    def plain(self) -> str:
        """The JSON type of its value when written plainly (as :meth:`Dataset.write` writes it):
        ``number``, ``boolean``, ``integer``, ``strings`` (a list) or ``string``. The fast JSON
        readers type their columns by it; anything else (a quantity with its unit …) is read by
        the guarded reader."""
        if self.numeric:
            return "number"
        return {"bool": "boolean", "int": "integer", "keyset": "strings"}.get(self.kind, "string")

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
        if k in ("enum", "keyset"):
            return "one of: " + ", ".join(self.vocab or ())
        if k == "key":
            return "a key such as " + ", ".join(list(self.vocab or ())[:3]) + " (or the region's own item name)"
        if k == "int":
            return f"a whole number from {self.low} to {self.high}"
        return {"code": "a 12-digit division code", "text": "a non-empty name", "level": "a level"}[k]

    def parse(self, value: Any) -> Any:
        """The canonical plain value (float, int, bool or str) of *value*; ``ValueError`` if unfit.

        ``None`` stays ``None`` (missing).
        """
        if value is None:
            return None
        k = self.kind
        if k == "quantity":
            if isinstance(value, bool):
                raise ValueError(f"expected {self.expected()}, got {value!r}")
            v = canonical(value, self.unit)
            if v < 0:
                raise ValueError(f"expected {self.expected()}, got a negative value {value!r}")
            return v
        if k == "count":
            if isinstance(value, bool):
                raise ValueError(f"expected {self.expected()}, got {value!r}")
            v = canonical(value, self.unit) if self.unit or not isinstance(value, (int, float)) else value
            if not math.isfinite(float(v)) or not float(v).is_integer():
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
        if k in ("enum", "key"):
            assert self.vocab is not None
            return self.vocab.check(value)
        if k == "int":
            if isinstance(value, bool) or not isinstance(value, int) or \
                    not (self.low <= value <= (self.high if self.high is not None else value)):
                raise ValueError(f"expected {self.expected()}, got {value!r}")
            return value
        raise TypeError(f"{self.name}: a {k} field is not parsed as a scalar")

    def encode(self, value: Any) -> Any:
        """A parsed (canonical) value as stored in its column."""
        if self.kind == "bool":
            return int(value)
        if self.kind == "enum":
            assert self.vocab is not None
            return self.vocab.index(value)
        if self.numeric:
            return float(value)
        return value

    def to_python(self, v: Any) -> Any:
        """The friendly value an attrs object holds: a pint quantity for quantities, an enum for area types."""
        if v is None:
            return None
        if self.kind == "quantity":
            return quantity(v, self.unit)
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

    def decode(self, column: np.ndarray) -> list[Any]:
        """A whole stored column back to canonical JSON values (``None`` for missing)."""
        k = self.kind
        if self.numeric:
            out: list[Any] = column.tolist()
            if k == "count":
                return [None if v != v else int(v) for v in out]
            if k == "quantity":
                return [None if v != v else (int(v) if v.is_integer() and abs(v) < 2**53 else v) for v in out]
            return [None if v != v else v for v in out]
        ints = column.tolist()
        if k == "bool":
            return [None if v < 0 else bool(v) for v in ints]
        if k == "enum":
            keys = list(self.vocab or ())
            return [None if v < 0 else keys[v] for v in ints]
        return [None if v < 0 else v for v in ints]

    def describe(self, stored: Any) -> str:
        """One stored value in words, for explanations (``funded=yes``, ``3,000 yuan/month``)."""
        if self.kind == "bool":
            return f"{self.name}={'yes' if stored == 1 else 'no' if stored == 0 else '?'}"
        if self.kind == "enum":
            return self.vocab.terms[stored].label if stored >= 0 else f"{self.name.replace('_', ' ')} not given"
        if self.numeric:
            from ._policy import _fmt_number

            return f"{_fmt_number(float(stored))} {self.unit}".rstrip() if stored == stored else ""
        return f"{self.name}={stored}" if stored >= 0 else ""


@attrs.frozen
class Group:
    """A nested object of a record (``funding``, ``burden``, ``assessment``): its members are
    stored as flat columns of the owner under dotted paths (``funding.operating``)."""

    name: str
    record: "Record"


@attrs.frozen
class Children:
    """A list of child records (``facilities``, ``staff``, ``tasks``): a child table with an owner
    column and CSR offsets. Missing (``None``) and empty (``[]``) are different answers."""

    name: str
    record: "Record"


@attrs.frozen
class Tags:
    """A list of vocabulary keys (``plaques``, ``unified``, ``bodies``): a child table of keys.

    ``ordered`` lists keep their order and repeats; others are sets of closed keys, stored in the
    vocabulary's order."""

    name: str
    vocab: Vocabulary
    ordered: bool
    zh: str = ""
    en: str = ""
    aliases: tuple[str, ...] = ()


@attrs.frozen
class YearMap:
    """A map from a year (``"2017"``, 1949–2100) to a value of ``field`` (a staff member's ratings):
    a child table of the records, with a ``year`` column."""

    name: str
    field: Field
    low: int = 1949
    high: int = 2100


Member = Field | Group | Children | Tags | YearMap


@attrs.frozen
class Record:
    """One record type of the interchange format: its members in JSON key order.

    ``summary`` names the fields an explanation shows for an offending record of this type;
    ``checks`` are rules across fields, each a function of the record's stored columns returning
    (mask of bad rows, field to name, message for row *i*).
    """

    name: str
    zh: str
    en: str
    members: tuple[Any, ...]
    summary: tuple[str, ...] = ()
    checks: tuple[Any, ...] = ()

    def member(self, name: str) -> Any:
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(name)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)

    @property
    def scalars(self) -> tuple[Field, ...]:
        """The scalar fields directly in this record (not in groups), in order."""
        return tuple(m for m in self.members if isinstance(m, Field) and m.kind in SCALAR_KINDS)

    def columns(self, prefix: str = "") -> Iterator[tuple[str, Field]]:
        """(flat dotted path, field) of every scalar field, groups flattened, in order."""
        for m in self.members:
            if isinstance(m, Field) and m.kind in SCALAR_KINDS:
                yield prefix + m.name, m
            elif isinstance(m, Group):
                yield from m.record.columns(f"{prefix}{m.name}.")

    def child_columns(self) -> dict[str, Field]:
        """The stored columns of this record as a child table: scalars, keys and key sets."""
        return {m.name: m for m in self.members if isinstance(m, Field) and m.kind in SCALAR_KINDS + ("key", "keyset")}


def _f(name: str, kind: str, zh: str, en: str, *aliases: str, **kw: Any) -> Field:
    return Field(name, kind, zh, en, aliases=aliases, **kw)


# --- nested records of a community ----------------------------------------------------------------

FUNDING = Record("funding", "经费", "funding", (
    _f("operating", "quantity", "运转经费", "operating funds", "社区运转经费", "工作经费", "运转经费(万元/年)",
       unit="yuan/year"),
    _f("benefit_projects", "quantity", "惠民项目资金", "benefit-project funds", "惠民资金", "服务群众专项经费",
       "惠民项目资金(万元/年)", unit="yuan/year"),
))

BURDEN = Record("burden", "负担", "administrative burden", (
    _f("ledgers", "count", "台账数", "ledgers kept", "台账", "台账数量"),
    _f("certificates", "count", "盖章证明项数", "kinds of certificate stamped", "证明事项数", "出具证明项数"),
    _f("cancelled_certificates_issued", "count", "仍出具的已取消证明", "cancelled certificates still issued",
       "已取消证明仍出具数"),
    _f("non_retained_certificates_issued", "count", "保留清单外证明", "certificates issued outside the retained list",
       "清单外证明数"),
    _f("inspections", "count", "检查评比项数", "inspections and appraisals", "检查评比", "检查评比数"),
    _f("one_vote_veto_items", "count", "一票否决事项", "one-vote-veto items", "一票否决事项数"),
    _f("separate_department_assessments", "count", "职能部门单独考核", "separate assessments by departments",
       "部门单独考核数"),
    _f("admin_work_share", "share", "行政事务占比", "share of work that is administrative", "行政性事务占比"),
))

WEIGHTS = Record("weights", "评价权重", "assessment weights", (
    _f("residents", "share", "居民(服务对象)评价权重", "weight of residents' opinion", "居民评价权重",
       "群众满意度权重"),
    _f("street", "share", "街道评价权重", "weight of the street's opinion", "街道考核权重"),
    _f("departments", "share", "职能部门评价权重", "weight of departments' opinion", "部门评价权重"),
))

ASSESSMENT = Record("assessment", "考核评价", "assessment", (
    Group("weights", WEIGHTS),
    _f("appeal_period", "bool", "申诉期", "appeal period", "是否设申诉期"),
))

# --- child records -------------------------------------------------------------------------------

FACILITY = Record("facility", "设施", "facility", (
    _f("kind", "enum", "设施类型", "facility kind", "设施", "用房类型", vocab=FACILITY_KINDS, dtype="int16",
       required=True),
    _f("area", "quantity", "面积", "area", "建筑面积", "面积(平方米)", unit="m**2"),
), summary=())

def _post_and_grade(cols: dict[str, np.ndarray]) -> tuple[np.ndarray, str, Any]:
    po, gr = cols["post"], cols["grade"]
    bad = (po >= 0) & (gr >= 0) & ((po == 0) != (gr == 0))
    return bad, "grade", lambda i: ("post and grade are 0 together (not on the scale) or both from 1: "
                                    f"got post {po[i]}, grade {gr[i]}")


RATING_FIELD = _f("rating", "enum", "年度考核等次", "annual rating", "考核等次", vocab=RATINGS)

STAFF = Record("staff member", "工作人员", "staff member", (
    _f("roles", "keyset", "职务", "roles", "职务", "岗位职务", vocab=ROLES),
    _f("monthly_pay", "quantity", "月报酬", "monthly pay", "报酬", "月工资", "月报酬(元/月)", unit="yuan/month"),
    _f("certified_social_worker", "bool", "持证社会工作者", "certified social worker", "社工证", "是否持证社工",
       "持有社会工作职业资格"),
    _f("social_work_allowance", "quantity", "职业津贴", "social-work professional allowance", "社工津贴",
       "社会工作职业津贴", "职业津贴(元/月)", unit="yuan/month"),
    _f("post", "int", "岗位(三岗, 0 = 未纳入)", "post of the 3-post scale (0 = not on the scale)", "岗位", "三岗",
       low=0, high=3),
    _f("grade", "int", "等级(十八级, 0 = 未纳入)", "grade of the 18-grade scale (0 = not on the scale)", "等级",
       "十八级", low=0, high=18),
    YearMap("ratings", RATING_FIELD),
), summary=("roles", "monthly_pay"), checks=(_post_and_grade,))

TASK = Record("task", "工作事项", "task", (
    _f("kind", "key", "事项", "task kind", "工作事项", "事项名称", vocab=TASK_KINDS, required=True),
    _f("role", "enum", "社区角色", "the community's role", "社区角色", "承担方式", vocab=TASK_ROLES),
    _f("funded", "bool", "经费随事转", "comes with funding", "费随事转", "是否经费随事转"),
    _f("on_access_list", "bool", "在准入清单内", "on the access list", "准入清单", "是否在准入清单内"),
    _f("legal_basis", "bool", "有法律政策依据", "has a legal or policy basis", "法律依据", "是否有法律政策依据"),
), summary=("role", "funded", "on_access_list", "legal_basis"))

# --- the two top-level records ------------------------------------------------------------------

_CODE = _f("code", "code", "区划代码", "division code", "代码", "统计用区划代码", "行政区划代码", "社区代码",
           required=True)
_NAME = _f("name", "text", "名称", "name", "社区名称", "单位名称", "社区(村)名称", required=True)
_PARENT = _f("parent", "code", "上级代码", "parent code", "parent_code", "上级区划代码", "所属街道代码")

REGION = Record("region", "行政区域", "region", (
    _CODE, _NAME,
    _f("level", "level", "层级", "level", "级别"),
    _PARENT,
    _f("average_annual_wage", "quantity", "上年度社会平均工资", "previous year's average social wage",
       "社会平均工资", "上年度平均工资", "上年度社会平均工资(元/年)", unit="yuan/year"),
    _f("social_work_agencies", "count", "民办社会工作服务机构数", "private social-work agencies", "社工机构数",
       "社会工作服务机构数"),
    _f("incubation_base", "bool", "社会组织孵化基地", "has an incubation base for social organisations",
       "孵化基地", "是否有社会组织孵化基地"),
))

COMMUNITY = Record("community", "社区", "community", (
    _CODE, _NAME, _PARENT,
    _f("area_type", "enum", "社区类型", "area type", "类型", "城乡类型", vocab=AREA_TYPES),
    _f("households", "count", "户数", "households", "总户数", "住户数", "户数(户)", unit="household"),
    _f("population", "count", "常住人口", "resident population", "人口", "常住人口数", "常住人口(人)",
       unit="person"),
    _f("new_build", "bool", "新建社区", "newly built community", "是否新建社区", "新建"),
    Children("facilities", FACILITY),
    Tags("plaques", PLAQUES, ordered=True, zh="挂牌", en="plaques", aliases=("对外挂牌", "牌子")),
    Tags("unified", UNIFIED, ordered=False, zh="五统一", en="unified design", aliases=("统一标识",)),
    Tags("bodies", BODIES, ordered=False, zh="组织机构", en="bodies", aliases=("组织", "组织体系")),
    Children("staff", STAFF),
    Children("tasks", TASK),
    Group("funding", FUNDING),
    Group("burden", BURDEN),
    Group("assessment", ASSESSMENT),
    _f("grids", "count", "网格数", "grids", "网格数量", "网格"),
    _f("group_leader_subsidy", "quantity", "居民小组长补贴", "residents' group leader subsidy", "楼组长补贴",
       "小组长补贴", "居民小组长补贴(元/月)", unit="yuan/month"),
    _f("convenience_minutes", "quantity", "步行至便民服务时间", "walking time to everyday services",
       "便民服务步行时间", "步行时间(分钟)", unit="minute"),
    _f("convenience_distance", "quantity", "至便民服务距离", "distance to everyday services", "便民服务距离",
       "便民服务距离(公里)", unit="km"),
))

RECORDS = (REGION, COMMUNITY, FUNDING, BURDEN, WEIGHTS, ASSESSMENT, FACILITY, STAFF, TASK)

#: Per facility kind, spreadsheet headers that give the area of that kind of facility
#: (``服务用房面积(平方米)``): the facility kind's Chinese label, and these.
FACILITY_AREA_ALIASES: dict[str, tuple[str, ...]] = {
    "service_housing": ("服务用房面积", "综合服务设施面积", "办公服务用房面积", "社区综合服务设施面积"),
    "service_center": ("服务中心面积",),
    "office": ("办公用房面积",),
}

# --- derived views (names the rest of the library uses) ------------------------------------------

COMMUNITY_FIELDS = COMMUNITY.scalars
FUNDING_FIELDS = FUNDING.scalars
BURDEN_FIELDS = BURDEN.scalars
WEIGHT_FIELDS = WEIGHTS.scalars
ASSESSMENT_FIELDS = ASSESSMENT.scalars
FACILITY_FIELDS = FACILITY.scalars
STAFF_FIELDS = STAFF.scalars
TASK_FIELDS = TASK.scalars
REGION_FIELDS = REGION.scalars
ROLES_VOCAB = ROLES
TASK_KIND_VOCAB = TASK_KINDS

#: Flat column paths of a community's scalar fields, in storage order, with their Field.
COMMUNITY_COLUMNS: tuple[tuple[str, Field], ...] = tuple(COMMUNITY.columns())
#: The child tables of a community (facilities, staff, tasks) by name.
CHILDREN: dict[str, Children] = {m.name: m for m in COMMUNITY.members if isinstance(m, Children)}
#: The tag lists of a community (plaques, unified, bodies) by name.
TAGS: dict[str, Tags] = {m.name: m for m in COMMUNITY.members if isinstance(m, Tags)}
#: The list fields of a community (missing = unknown; [] = none).
LIST_FIELDS: tuple[str, ...] = tuple(m.name for m in COMMUNITY.members if isinstance(m, (Children, Tags)))
TAG_LISTS = tuple(TAGS)


def year_maps(record: Record) -> dict[str, YearMap]:
    return {m.name: m for m in record.members if isinstance(m, YearMap)}


# --- headers: names and aliases ----------------------------------------------------------------

_HEADER_UNIT = re.compile(r"^\s*(.*?)\s*[(（]\s*([^()（）]*?)\s*[)）]\s*$")


def split_header(header: str) -> tuple[str, str | None]:
    """A column header as (name, unit): ``"运转经费(万元/年)"`` → ``("运转经费", "万元/年")``.

    Full-width brackets count too; a header without brackets has unit ``None``. A bracket whose
    content is not a unit (``岗位(三岗, 0 = 未纳入)``) is for the caller to judge.
    """
    h = header.strip().lstrip("\ufeff")
    m = _HEADER_UNIT.match(h)
    if m and m.group(2):
        return m.group(1), m.group(2)
    return h, None


def _names(f: Any) -> tuple[str, ...]:
    return (f.name, *((f.zh,) if getattr(f, "zh", "") else ()), *getattr(f, "aliases", ()))


def community_headers() -> dict[str, str]:
    """Every header accepted for a community column (flat path, Chinese label, aliases) → flat path.

    Identity fields map to ``code``, ``name``, ``parent``; tag lists to their name. Aliases that
    carry a unit in brackets are listed as written.
    """
    out: dict[str, str] = {}
    for path, f in COMMUNITY_COLUMNS:
        for h in (path, *_names(f)[1:]):
            out.setdefault(h, path)
    for m in COMMUNITY.members:
        if isinstance(m, Field) and m.kind in ("code", "text"):
            for h in _names(m):
                out.setdefault(h, m.name)
        elif isinstance(m, Tags):
            for h in _names(m):
                out.setdefault(h, m.name)
    return out


def region_headers() -> dict[str, str]:
    """Every header accepted for a region column → field name."""
    out: dict[str, str] = {}
    for m in REGION.members:
        if isinstance(m, Field):
            for h in _names(m):
                out.setdefault(h, m.name)
    return out


def facility_area_headers() -> dict[str, str]:
    """Headers naming the area of one facility kind (``服务用房面积``) → the facility kind."""
    out: dict[str, str] = {}
    for t in FACILITY_KINDS.terms:
        for h in (f"{t.zh}面积", *FACILITY_AREA_ALIASES.get(t.key, ())):
            out.setdefault(h, t.key)
    return out


def walk() -> Iterator[tuple[str, Any]]:
    """Every member of every record as (interchange path, member): ``staff[].monthly_pay`` …"""
    def go(rec: Record, prefix: str) -> Iterator[tuple[str, Any]]:
        for m in rec.members:
            yield prefix + m.name, m
            if isinstance(m, Group):
                yield from go(m.record, f"{prefix}{m.name}.")
            elif isinstance(m, Children):
                yield from go(m.record, f"{prefix}{m.name}[].")

    yield from go(REGION, "regions[].")
    yield from go(COMMUNITY, "communities[].")


# --- explanations ----------------------------------------------------------------------------------

def describe_child(table: str, cols: dict[str, np.ndarray], strings: list[str] | None, i: int, pos: int) -> str:
    """One child record in words for an explanation's list of offending items.

    *table* is a child table or tag list of a community, *cols* its stored columns, *i* the row and
    *pos* its position (from 0) within its community's list.
    """
    if table in TAGS:
        key = (strings or [])[cols["key"][i]]
        t = TAGS[table].vocab.term(key)
        return f"{table[:-1] if table.endswith('s') else table} “{t.zh}” / {t.en}"
    rec = CHILDREN[table].record
    first = rec.members[0]
    parts = []
    if first.kind == "keyset":
        bits = int(cols[first.name][i])
        keys = [first.vocab.terms[j].zh for j in range(len(first.vocab)) if bits >> j & 1] or ["工作人员"]
        head = f"{rec.en} #{pos + 1} ({'、'.join(keys)}"
        parts = [d for d in (rec.member(n).describe(cols[n][i]) for n in rec.summary[1:]) if d]
        return head + "".join(", " + d for d in parts) + ")"
    if first.kind == "key":
        t = first.vocab.term((strings or [])[cols[first.name][i]])
    else:
        t = first.vocab.terms[cols[first.name][i]]
    head = f"{rec.en} “{t.zh}” / {t.en}"
    if not rec.summary:
        return head
    descr = [rec.member(n).describe(cols[n][i]) for n in rec.summary]
    enum_part = [d for n, d in zip(rec.summary, descr) if rec.member(n).kind == "enum"]
    rest = [d for n, d in zip(rec.summary, descr) if rec.member(n).kind != "enum" and d]
    return head + f" ({'; '.join(enum_part + [', '.join(rest)])})"


# --- documentation -------------------------------------------------------------------------------

_CLASS_OF = {"region": "Region", "community": "Community", "funding": "Funding", "burden": "Burden",
             "weights": "AssessmentWeights", "assessment": "Assessment", "facility": "Facility",
             "staff member": "StaffMember", "task": "Task"}


def fields_rst() -> str:
    """The reStructuredText table of every scalar field of every record, for the docs (generated at
    every docs build, so that it cannot drift from the declarations)."""
    def kind_of(f: Field) -> str:
        if f.kind == "enum":
            return f"enum (``{f.vocab.name}``)" if f.vocab is not None else "enum"
        if f.kind == "int":
            return f"int {f.low}–{f.high}"
        return f.kind

    rows = []

    def go(rec: Record, prefix: str) -> None:
        for m in rec.members:
            if isinstance(m, Field) and m.kind in SCALAR_KINDS:
                rows.append((rec, prefix + m.name, m))
            elif isinstance(m, Group):
                go(m.record, f"{prefix}{m.name}.")
            elif isinstance(m, Children):
                go(m.record, f"{prefix}{m.name}[].")

    go(COMMUNITY, "")
    go(REGION, "")
    order = {r.name: i for i, r in enumerate((COMMUNITY, FUNDING, BURDEN, WEIGHTS, ASSESSMENT, FACILITY, STAFF,
                                               TASK, REGION))}
    rows.sort(key=lambda r: order[r[0].name])
    out = [".. list-table::", "   :header-rows: 1", "   :widths: 13 24 11 11 15 14 12", "",
           "   * - record", "     - field (interchange path)", "     - kind", "     - canonical unit",
           "     - 中文", "     - English", "     - other headers accepted"]
    for rec, path, f in rows:
        unit = f"``{f.unit}``" if f.unit else "—"
        aliases = "、".join(f.aliases) or "—"
        out += [f"   * - :class:`~shequ_gov.{_CLASS_OF[rec.name]}`", f"     - ``{path}``", f"     - {kind_of(f)}",
                f"     - {unit}", f"     - {f.zh}", f"     - {f.en}", f"     - {aliases}"]
    return "\n".join(out) + "\n"
