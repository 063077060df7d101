"""The attrs domain model: the friendly face for building and inspecting data one object at a time.

All classes are frozen and slotted. Converters turn plain numbers and unit strings into canonical
values (quantities as pint quantities in the field's canonical unit), and validators reject what
does not fit, naming the field. ``None`` means *missing* (a rule needing it says UNKNOWN); an
empty tuple means *none*. Large data does not live here but in the columns of a
:class:`~shequ_gov.Dataset`, which builds these objects on demand.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import attrs

from . import _schema as S
from ._codes import code_level, normalize_code, parent_code
from ._units import Quantity
from ._vocab import BODIES, PLAQUES, ROLES, TASK_KINDS, UNIFIED, AreaType, Level, Vocabulary, _unknown_message

__all__ = [
    "Assessment", "AssessmentWeights", "Burden", "Community", "Facility", "Funding", "Region",
    "StaffMember", "Task",
]


def _scalar(spec: S.Field, **kw: Any) -> Any:
    def convert(value: Any) -> Any:
        try:
            return spec.to_python(spec.parse(value))
        except ValueError as exc:
            raise ValueError(f"{spec.name}: {exc}") from None

    return attrs.field(default=None, converter=convert, kw_only=True, metadata={"spec": spec}, **kw)


def _nested(cls: type) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None or isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise ValueError(f"expected an object with keys {', '.join(cls.__slots_fields__)}, got {value!r}")
        unknown = [k for k in value if k not in cls.__slots_fields__]
        if unknown:
            raise ValueError(_unknown_message(unknown[0], list(cls.__slots_fields__), cls.__name__))
        return cls(**value)

    return convert


def _records(cls: type) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (str, bytes, Mapping)):
            raise ValueError(f"expected a list of {cls.__name__} records, got {value!r}")
        return tuple(_nested(cls)(v) for v in value)

    return convert


def _tags(vocab: Vocabulary, *, ordered: bool) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (str, bytes, Mapping)):
            raise ValueError(f"expected a list of {vocab.name} keys, got {value!r}")
        keys = [vocab.check(v) for v in value]
        if ordered:
            return tuple(keys)
        # a set of closed keys: duplicates collapse and the vocabulary's order is canonical
        return tuple(k for k in vocab if k in set(keys))

    return convert


def _json_of(obj: Any) -> dict[str, Any]:
    """The canonical interchange-format dict of an attrs record (missing fields left out)."""
    out: dict[str, Any] = {}
    for a in attrs.fields(type(obj)):
        v = getattr(obj, a.name)
        if v is None:
            continue
        spec = a.metadata.get("spec")
        if spec is not None:
            out[a.name] = spec.to_json(v)
        elif hasattr(v, "to_dict"):
            d = v.to_dict()
            if d:
                out[a.name] = d
        elif isinstance(v, tuple) and v and hasattr(v[0], "to_dict"):
            out[a.name] = [x.to_dict() for x in v]
        elif isinstance(v, tuple):
            out[a.name] = [dict_or(x) for x in v]
        else:
            out[a.name] = v
    return out


def dict_or(x: Any) -> Any:
    return x.to_dict() if hasattr(x, "to_dict") else x


def _define(cls: type) -> type:
    cls = attrs.frozen(cls)
    cls.__slots_fields__ = tuple(a.name for a in attrs.fields(cls))  # type: ignore[attr-defined]
    if "to_dict" not in cls.__dict__:
        def to_dict(self: Any) -> dict[str, Any]:
            """The canonical interchange-format dict (missing fields left out, quantities as numbers)."""
            return _json_of(self)

        cls.to_dict = to_dict  # type: ignore[attr-defined]
    return cls


@_define
class Facility:
    """A service facility or room of a community (``kind`` from the facility vocabulary)."""

    kind: str = attrs.field(converter=S.FACILITY_FIELDS[0].parse, metadata={"spec": S.FACILITY_FIELDS[0]})
    area: Quantity | None = _scalar(S.FACILITY_FIELDS[1])


def _ratings(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        pairs = list(value)
    else:
        pairs = list(value.items())
    out = {}
    for year, rating in pairs:
        try:
            y = int(year)
        except (TypeError, ValueError):
            raise ValueError(f"ratings: expected a year such as '2017' as key, got {year!r}") from None
        if not 1949 <= y <= 2100:
            raise ValueError(f"ratings: expected a year from 1949 to 2100, got {year!r}")
        if rating is not None:  # a year without a rating records nothing
            out[y] = S.RATING_FIELD.parse(rating)
    return tuple(sorted(out.items()))


@_define
class StaffMember:
    """A member of a community's staff (the two committees included).

    ``roles`` is a set of role keys (stored in the vocabulary's order); ``ratings`` maps a year to
    the annual rating; ``post``/``grade`` place the member on the 三岗十八级 scale (0 = not placed).
    """

    roles: tuple[str, ...] = attrs.field(default=(), converter=_tags(ROLES, ordered=False), kw_only=True)
    monthly_pay: Quantity | None = _scalar(S.STAFF_FIELDS[0])
    certified_social_worker: bool | None = _scalar(S.STAFF_FIELDS[1])
    post: int | None = _scalar(S.STAFF_FIELDS[2])
    grade: int | None = _scalar(S.STAFF_FIELDS[3])
    ratings: tuple[tuple[int, str], ...] | None = attrs.field(default=None, converter=_ratings, kw_only=True)

    def rating(self, year: int) -> str | None:
        """The rating for *year*, or ``None`` where none is recorded."""
        return dict(self.ratings or ()).get(year)

    def to_dict(self) -> dict[str, Any]:
        """The canonical interchange-format dict (ratings keyed by year as a string)."""
        d = _json_of(self)
        if self.ratings is not None:
            d["ratings"] = {str(y): r for y, r in self.ratings}
        return d


@_define
class Task:
    """A task or work item assigned to a community, and how it came."""

    kind: str = attrs.field(converter=TASK_KINDS.check)
    role: str | None = _scalar(S.TASK_FIELDS[0])
    funded: bool | None = _scalar(S.TASK_FIELDS[1])
    on_access_list: bool | None = _scalar(S.TASK_FIELDS[2])
    legal_basis: bool | None = _scalar(S.TASK_FIELDS[3])


@_define
class Funding:
    """A community's yearly funds (yuan/year)."""

    operating: Quantity | None = _scalar(S.FUNDING_FIELDS[0])
    benefit_projects: Quantity | None = _scalar(S.FUNDING_FIELDS[1])


@_define
class Burden:
    """Counts of the administrative burden on a community (台账, 证明, 检查评比, …)."""

    ledgers: int | None = _scalar(S.BURDEN_FIELDS[0])
    certificates: int | None = _scalar(S.BURDEN_FIELDS[1])
    cancelled_certificates_issued: int | None = _scalar(S.BURDEN_FIELDS[2])
    non_retained_certificates_issued: int | None = _scalar(S.BURDEN_FIELDS[3])
    inspections: int | None = _scalar(S.BURDEN_FIELDS[4])
    one_vote_veto_items: int | None = _scalar(S.BURDEN_FIELDS[5])
    separate_department_assessments: int | None = _scalar(S.BURDEN_FIELDS[6])
    admin_work_share: float | None = _scalar(S.BURDEN_FIELDS[7])


@_define
class AssessmentWeights:
    """The weights of each party's opinion in a community's assessment (fractions)."""

    residents: float | None = _scalar(S.WEIGHT_FIELDS[0])
    street: float | None = _scalar(S.WEIGHT_FIELDS[1])
    departments: float | None = _scalar(S.WEIGHT_FIELDS[2])


@_define
class Assessment:
    """How a community is assessed: the weights of opinions and whether there is an appeal period."""

    weights: AssessmentWeights | None = attrs.field(default=None, converter=_nested(AssessmentWeights), kw_only=True)
    appeal_period: bool | None = _scalar(S.ASSESSMENT_FIELDS[0])


def _code_at(level: Level | None) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        code = normalize_code(value)
        if level is not None and code_level(code) is not level:
            raise ValueError(f"code {code} is a {code_level(code).value} code, expected a {level.value} code")
        return code

    return convert


def _optional_code(value: Any) -> str | None:
    return None if value is None else normalize_code(value)


def _name(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"name: expected a non-empty string, got {value!r}")


@_define
class Region:
    """An administrative region above the community level: province, city, district or street.

    ``level`` and ``parent`` follow from the code when not given; when given they must agree.
    """

    code: str = attrs.field(converter=_code_at(None))
    name: str = attrs.field(validator=_name)
    level: Level = attrs.field(default=None, kw_only=True)
    parent: str | None = attrs.field(default=None, converter=_optional_code, kw_only=True)
    average_annual_wage: Quantity | None = _scalar(S.REGION_FIELDS[0])
    social_work_agencies: int | None = _scalar(S.REGION_FIELDS[1])
    incubation_base: bool | None = _scalar(S.REGION_FIELDS[2])

    def __attrs_post_init__(self) -> None:
        derived = code_level(self.code)
        if derived is Level.COMMUNITY:
            raise ValueError(f"code {self.code} is a community code: use Community for it")
        if self.level is None:
            object.__setattr__(self, "level", derived)
        else:
            lv = Level.parse(self.level)
            if lv is not derived:
                raise ValueError(f"level: code {self.code} is a {derived.value} code, but level {lv.value!r} was given")
            object.__setattr__(self, "level", lv)
        expected = parent_code(self.code)
        if self.parent is None:
            object.__setattr__(self, "parent", expected)
        elif self.parent != expected:
            raise ValueError(f"parent: the parent of {self.code} must be {expected}, got {self.parent}")

    def to_dict(self) -> dict[str, Any]:
        """The canonical interchange-format dict (code, name, level, parent first)."""
        d = _json_of(self)
        d["level"] = self.level.value
        if self.parent is None:
            d.pop("parent", None)
        return {k: d[k] for k in ("code", "name", "level", "parent") if k in d} | {
            k: v for k, v in d.items() if k not in ("code", "name", "level", "parent")
        }


@_define
class Community:
    """A community (社区 / 居委会) or village (村委会): the unit most rules judge.

    Every field but ``code`` and ``name`` is optional; ``None`` means missing, and a rule that
    needs it gives UNKNOWN. Lists (``facilities``, ``staff``, ``tasks``, ``plaques``, ``unified``,
    ``bodies``) are tuples; an empty one means *none*.
    """

    code: str = attrs.field(converter=_code_at(Level.COMMUNITY))
    name: str = attrs.field(validator=_name)
    parent: str | None = attrs.field(default=None, converter=_optional_code, kw_only=True)
    area_type: AreaType | None = _scalar(S.COMMUNITY_FIELDS[0])
    households: int | None = _scalar(S.COMMUNITY_FIELDS[1])
    population: int | None = _scalar(S.COMMUNITY_FIELDS[2])
    new_build: bool | None = _scalar(S.COMMUNITY_FIELDS[3])
    facilities: tuple[Facility, ...] | None = attrs.field(default=None, converter=_records(Facility), kw_only=True)
    plaques: tuple[str, ...] | None = attrs.field(default=None, converter=_tags(PLAQUES, ordered=True), kw_only=True)
    unified: tuple[str, ...] | None = attrs.field(default=None, converter=_tags(UNIFIED, ordered=False), kw_only=True)
    bodies: tuple[str, ...] | None = attrs.field(default=None, converter=_tags(BODIES, ordered=False), kw_only=True)
    staff: tuple[StaffMember, ...] | None = attrs.field(default=None, converter=_records(StaffMember), kw_only=True)
    tasks: tuple[Task, ...] | None = attrs.field(default=None, converter=_records(Task), kw_only=True)
    funding: Funding | None = attrs.field(default=None, converter=_nested(Funding), kw_only=True)
    burden: Burden | None = attrs.field(default=None, converter=_nested(Burden), kw_only=True)
    assessment: Assessment | None = attrs.field(default=None, converter=_nested(Assessment), kw_only=True)
    grids: int | None = _scalar(S.COMMUNITY_FIELDS[4])
    group_leader_subsidy: Quantity | None = _scalar(S.COMMUNITY_FIELDS[5])
    convenience_minutes: Quantity | None = _scalar(S.COMMUNITY_FIELDS[6])
    convenience_distance: Quantity | None = _scalar(S.COMMUNITY_FIELDS[7])

    def __attrs_post_init__(self) -> None:
        expected = parent_code(self.code)
        if self.parent is None:
            object.__setattr__(self, "parent", expected)
        elif self.parent != expected:
            raise ValueError(f"parent: the parent of {self.code} must be the street {expected}, got {self.parent}")

    def facility_area(self, kind: str) -> Quantity | None:
        """Total area of this community's facilities of *kind* (``None`` where unknown)."""
        if self.facilities is None:
            return None
        total = Quantity(0.0, "m**2")
        for f in self.facilities:
            if f.kind == kind:
                if f.area is None:
                    return None
                total = total + f.area
        return total


def iter_fields(cls: type) -> Iterable[str]:
    return (a.name for a in attrs.fields(cls))
