"""Enumerations and the controlled vocabularies of the interchange format.

Every key carries a Chinese and an English label. Closed vocabularies reject an unknown key (with
the closest key suggested); open ones (task kinds, plaques) keep any other string as written.
The *order* of a vocabulary is part of the storage format: columns store a key's position.
"""

from __future__ import annotations

import difflib
import enum
from typing import Iterable, Iterator

__all__ = [
    "AreaType",
    "Level",
    "Status",
    "Term",
    "Vocabulary",
]


class _Labelled(enum.StrEnum):
    """A string enum whose members also carry a Chinese and an English label."""

    def __new__(cls, value: str, zh: str = "", en: str = "") -> "_Labelled":
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.zh = zh  # type: ignore[attr-defined]
        obj.en = en  # type: ignore[attr-defined]
        return obj

    @property
    def label(self) -> str:
        """The bilingual label, ``"中文 / English"``."""
        return f"{self.zh} / {self.en}"  # type: ignore[attr-defined]

    @classmethod
    def parse(cls, value: object) -> "_Labelled":
        """Return the member for *value* (a member or its key), or raise ``ValueError`` with a hint."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
        keys = [m.value for m in cls]
        raise ValueError(_unknown_message(value, keys, cls.__name__))


class Level(_Labelled):
    """A level of the administrative hierarchy, from the province down to the community."""

    PROVINCE = "province", "省级", "province"
    CITY = "city", "地级", "city"
    DISTRICT = "district", "县级", "district"
    STREET = "street", "乡级(街道、乡镇)", "street / township"
    COMMUNITY = "community", "村级(村委会、居委会)", "community / village"

    @property
    def depth(self) -> int:
        """0 for a province down to 4 for a community."""
        return _LEVEL_ORDER.index(self)

    @property
    def digits(self) -> int:
        """How many leading digits of a 12-digit code identify a unit of this level."""
        return (2, 4, 6, 9, 12)[self.depth]

    @property
    def parent(self) -> "Level | None":
        """The level directly above, or ``None`` for a province."""
        return None if self.depth == 0 else _LEVEL_ORDER[self.depth - 1]

    @property
    def child(self) -> "Level | None":
        """The level directly below, or ``None`` for a community."""
        return None if self.depth == 4 else _LEVEL_ORDER[self.depth + 1]


_LEVEL_ORDER = list(Level)


class AreaType(_Labelled):
    """The kind of place a community is; rules often apply to some of them only."""

    CENTRAL_URBAN = "central_urban", "中心城区社区", "central urban community"
    URBAN = "urban", "城市社区", "urban community"
    TOWNSHIP = "township", "乡镇社区", "township community"
    RURAL = "rural", "村", "village (rural community)"

    @property
    def is_urban(self) -> bool:
        """True for central urban and urban communities ("urban" in the standards)."""
        return self in (AreaType.CENTRAL_URBAN, AreaType.URBAN)


class Status(_Labelled):
    """The verdict of one rule on one community or region."""

    PASS = "pass", "达标", "pass"
    FAIL = "fail", "未达标", "fail"
    NOT_APPLICABLE = "not_applicable", "不适用", "not applicable"
    UNKNOWN = "unknown", "数据不足", "unknown (input missing)"
    ERROR = "error", "出错", "error (the rule failed)"
    MEASURED = "measured", "已测量", "measured (an indicator, not judged)"

    @property
    def code(self) -> int:
        """This status's storage code in a report's status columns (see :data:`STATUS_CODES`)."""
        return STATUS_CODES[self]


#: The storage code of each status in a report's int8 status columns. Fixed here, independent of
#: the enum's order; :data:`STATUSES` and the ``S_*`` constants are derived from it.
STATUS_CODES: dict[Status, int] = {Status.PASS: 0, Status.FAIL: 1, Status.NOT_APPLICABLE: 2, Status.UNKNOWN: 3,
                                   Status.ERROR: 4, Status.MEASURED: 5}
if sorted(STATUS_CODES.values()) != list(range(len(Status))) or set(STATUS_CODES) != set(Status):
    raise AssertionError("STATUS_CODES must give every Status one code in 0..n-1")
#: The statuses in storage-code order: ``STATUSES[code]`` is the status stored as *code*.
STATUSES: tuple[Status, ...] = tuple(sorted(STATUS_CODES, key=STATUS_CODES.__getitem__))
S_PASS, S_FAIL, S_NA, S_UNKNOWN, S_ERROR, S_MEASURED = (
    STATUS_CODES[s] for s in (Status.PASS, Status.FAIL, Status.NOT_APPLICABLE, Status.UNKNOWN, Status.ERROR,
                              Status.MEASURED))


class Term(tuple):
    """One vocabulary entry: ``(key, zh, en)``."""

    __slots__ = ()

    def __new__(cls, key: str, zh: str, en: str) -> "Term":
        return tuple.__new__(cls, (key, zh, en))

    key = property(lambda self: self[0], doc="The key used in data files.")
    zh = property(lambda self: self[1], doc="The Chinese label.")
    en = property(lambda self: self[2], doc="The English label.")

    @property
    def label(self) -> str:
        """The bilingual label, ``"中文 / English"``."""
        return f"{self[1]} / {self[2]}"


class Vocabulary:
    """An ordered set of keys with Chinese and English labels.

    Parameters
    ----------
    name:
        The field it belongs to, used in error messages (``"facilities[].kind"``).
    terms:
        ``(key, zh, en)`` triples, in storage order.
    open:
        Whether any other string is accepted too (kept as written, labelled by itself).
    """

    __slots__ = ("name", "open", "_terms", "_index", "_keys")

    def __init__(self, name: str, terms: Iterable[tuple[str, str, str]], *, open: bool = False):
        self.name = name
        self.open = open
        self._terms = tuple(Term(*t) for t in terms)
        self._index = {t.key: i for i, t in enumerate(self._terms)}
        self._keys = tuple(t.key for t in self._terms)  # (iterated by rules on every evaluation)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._terms)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __repr__(self) -> str:
        return f"Vocabulary({self.name!r}, {len(self)} keys{', open' if self.open else ''})"

    @property
    def terms(self) -> tuple[Term, ...]:
        """The entries, in storage order."""
        return self._terms

    def index(self, key: str) -> int:
        """The storage position of *key* (``KeyError`` for a key outside the vocabulary)."""
        return self._index[key]

    def term(self, key: str) -> Term:
        """The entry for *key*; an open vocabulary labels an unlisted key by itself."""
        i = self._index.get(key)
        if i is not None:
            return self._terms[i]
        if self.open:
            return Term(key, key, key)
        raise KeyError(key)

    def check(self, key: object) -> str:
        """Return *key* if it is acceptable here, else raise ``ValueError`` suggesting the closest key."""
        if isinstance(key, str) and (key in self._index or (self.open and key)):
            return key
        raise ValueError(_unknown_message(key, list(self), self.name))

    def suggest(self, key: str) -> str | None:
        """The closest listed key to *key*, or ``None``."""
        found = difflib.get_close_matches(str(key), list(self), n=1, cutoff=0.6)
        return found[0] if found else None


def _unknown_message(value: object, keys: list[str], what: str) -> str:
    hint = difflib.get_close_matches(str(value), keys, n=1, cutoff=0.6)
    msg = f"unknown {what} key {value!r}"
    if hint:
        msg += f"; did you mean {hint[0]!r}?"
    return msg + f" (expected one of: {', '.join(keys)})"


FACILITY_KINDS = Vocabulary(
    "facilities[].kind",
    [
        ("service_housing", "社区综合服务设施/公共服务用房", "community service facility (whole building)"),
        ("service_center", "社区服务中心", "community service centre"),
        ("party_mass_room", "党群活动室", "party and mass activity room"),
        ("mediation_room", "调解室", "mediation room"),
        ("police_room", "警务室", "police room"),
        ("family_planning_room", "计划生育服务室", "family planning service room"),
        ("charity_supermarket", "慈善超市", "charity supermarket"),
        ("office", "社区办公室", "community office"),
        ("auxiliary_room", "辅助用房", "auxiliary rooms"),
        ("elderly_care", "养老服务设施", "elderly care facility"),
        ("childcare", "托育点", "childcare point"),
        ("health_station", "卫生服务站", "health service station"),
        ("micro_fire_station", "微型消防站", "micro fire station"),
        ("fitness", "体育健身设施", "fitness facility"),
        ("incubation_base", "社会组织孵化基地", "incubation base for social organisations"),
    ],
)

PLAQUES = Vocabulary(
    "plaques[]",
    [
        ("party_org", "党组织", "party organisation"),
        ("residents_committee", "居(村)民委员会", "residents' (villagers') committee"),
        ("service_center", "社区服务中心", "community service centre"),
        ("collective_economic_org", "集体经济组织", "collective economic organisation"),
        ("supervision_committee", "村(居)务监督委员会", "affairs supervision committee"),
    ],
    open=True,
)

UNIFIED = Vocabulary(
    "unified[]",
    [
        ("signage", "社区标识", "community signage"),
        ("exterior", "外墙装饰", "exterior decoration"),
        ("door_plates", "机构门牌", "door plates"),
        ("service_windows", "服务窗口", "service windows"),
        ("publicity_columns", "宣传栏目", "publicity columns"),
    ],
)

BODIES = Vocabulary(
    "bodies[]",
    [
        ("party_org", "社区党组织", "community party organisation"),
        ("residents_committee", "居(村)民委员会", "residents' (villagers') committee"),
        ("supervision_committee", "居(村)务监督委员会", "affairs supervision committee"),
        ("mediation_committee", "人民调解委员会", "people's mediation committee"),
        ("security_committee", "治安保卫委员会", "public security committee"),
        ("public_health_committee", "公共卫生委员会", "public health committee"),
        ("women_children_committee", "妇女儿童委员会", "women and children committee"),
        ("red_white_council", "红白理事会", "red-and-white affairs council"),
        ("residents_council", "居民议事会", "residents' council"),
        ("moral_review_council", "道德评议会", "moral review council"),
        ("collective_economic_org", "集体经济组织", "collective economic organisation"),
    ],
)

ROLES = Vocabulary(
    "staff[].roles[]",
    [
        ("secretary", "书记", "party secretary"),
        ("director", "主任", "committee director"),
        ("deputy_secretary", "副书记", "deputy party secretary"),
        ("deputy_director", "副主任", "deputy director"),
        ("committee_member", "委员", "committee member"),
        ("worker", "专职工作人员", "full-time community worker"),
    ],
)

RATINGS = Vocabulary(
    "staff[].ratings{}",
    [
        ("excellent", "优秀", "excellent"),
        ("competent", "称职", "competent"),
        ("basically_competent", "基本称职", "basically competent"),
        ("incompetent", "不称职", "incompetent"),
    ],
)

TASK_ROLES = Vocabulary(
    "tasks[].role",
    [
        ("responsible", "责任主体", "the community is the responsible subject"),
        ("assisting", "协助", "the community assists a government body"),
        ("self", "自治事项", "the community's own self-governance item"),
    ],
)

TASK_KINDS = Vocabulary(
    "tasks[].kind",
    [
        ("law_enforcement", "行政执法", "administrative law enforcement"),
        ("demolition", "拆迁拆违", "demolition and removal of illegal buildings"),
        ("environmental_rectification", "环境整治", "environmental rectification"),
        ("urban_management", "城市管理", "urban management"),
        ("investment_attraction", "招商引资", "investment attraction"),
        ("tax_assistance", "协税护税", "tax collection assistance"),
        ("revenue_generation", "经济创收", "revenue generation"),
        ("production_safety", "生产安全管理", "production safety management"),
    ],
    open=True,
)

AREA_TYPES = Vocabulary("area_type", [(m.value, m.zh, m.en) for m in AreaType])  # type: ignore[attr-defined]
LEVELS = Vocabulary("level", [(m.value, m.zh, m.en) for m in Level])  # type: ignore[attr-defined]

#: Every vocabulary of the interchange format, by field.
VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (
        AREA_TYPES, LEVELS, FACILITY_KINDS, PLAQUES, UNIFIED, BODIES, ROLES, RATINGS, TASK_ROLES, TASK_KINDS,
    )
}
