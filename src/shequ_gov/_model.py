"""The attrs domain model: the friendly face for building and inspecting data one object at a time.

All classes are frozen and slotted. Converters turn plain numbers and unit strings into canonical
values (quantities as pint quantities in the field's canonical unit), and validators reject what
does not fit, naming the field. ``None`` means *missing* (a rule needing it says UNKNOWN); an
empty tuple means *none*. Large data does not live here but in the columns of a
:class:`~shequ_gov.Dataset`, which builds these objects on demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import attrs

from . import _schema as S
from ._codes import code_level, normalize_code, parent_code
from ._units import quantity

if TYPE_CHECKING:
    from pint import Quantity
from ._vocab import Level, Vocabulary, _unknown_message

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

    return attrs.field(default=None, converter=convert, kw_only=True, metadata={"member": spec}, **kw)


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


def _year_map(ym: S.YearMap) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        pairs = list(value.items()) if isinstance(value, Mapping) else list(value)
        out = {}
        for year, v in pairs:
            try:
                y = int(year)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"{ym.name}: expected a year such as '2017' as key, got {year!r}") from None
            if not ym.low <= y <= ym.high:
                raise ValueError(f"{ym.name}: expected a year from {ym.low} to {ym.high}, got {year!r}")
            if v is not None:  # a year without a value records nothing
                out[y] = ym.field.parse(v)
        return tuple(sorted(out.items()))

    return convert


def _json_of(obj: Any) -> dict[str, Any]:
    """The canonical interchange-format dict of an attrs record (missing fields left out)."""
    out: dict[str, Any] = {}
    for a in attrs.fields(type(obj)):
        v = getattr(obj, a.name)
        if v is None:
            continue
        m = a.metadata.get("member")
        if isinstance(m, S.Field):
            if m.kind == "level":
                out[a.name] = v.value
            elif m.kind in ("keyset", "code", "text", "key"):
                out[a.name] = list(v) if isinstance(v, tuple) else v
            else:
                out[a.name] = m.to_json(v)
        elif isinstance(m, S.YearMap):
            out[a.name] = {str(y): r for y, r in v}
        elif isinstance(m, S.Group):
            d = v.to_dict()
            if d:
                out[a.name] = d
        elif isinstance(m, S.Children):
            out[a.name] = [x.to_dict() for x in v]
        else:
            out[a.name] = list(v)
    return out


#: The attrs class of each record type, filled by :func:`_define`.
_CLASSES: dict[str, type] = {}


def _attribute(m: Any, code_level: Level | None) -> Any:
    """The attrs attribute of one declared member."""
    meta = {"member": m}
    if isinstance(m, S.Field):
        if m.kind in S.SCALAR_KINDS and not m.required:
            return _scalar(m)
        if m.kind == "code" and m.required:
            return attrs.field(converter=_code_at(code_level), metadata=meta)
        if m.kind == "code":
            return attrs.field(default=None, converter=_optional_code, kw_only=True, metadata=meta)
        if m.kind == "text":
            return attrs.field(validator=_name, metadata=meta)
        if m.kind == "level":
            return attrs.field(default=None, kw_only=True, metadata=meta)
        if m.kind == "keyset":
            return attrs.field(default=(), converter=_tags(m.vocab, ordered=False), kw_only=True, metadata=meta)
        # a required key (a facility's or a task's kind): the first positional argument
        return attrs.field(converter=m.parse, metadata=meta)
    if isinstance(m, S.Group):
        return attrs.field(default=None, converter=_nested(_CLASSES[m.record.name]), kw_only=True, metadata=meta)
    if isinstance(m, S.Children):
        return attrs.field(default=None, converter=_records(_CLASSES[m.record.name]), kw_only=True, metadata=meta)
    if isinstance(m, S.Tags):
        return attrs.field(default=None, converter=_tags(m.vocab, ordered=m.ordered), kw_only=True, metadata=meta)
    if isinstance(m, S.YearMap):
        return attrs.field(default=None, converter=_year_map(m), kw_only=True, metadata=meta)
    raise TypeError(m)


def _define(record: S.Record, code_level: Level | None = None) -> Callable[[type], type]:
    """Make *cls* the frozen attrs class of *record*: one attribute per declared member, in order."""
    def make(cls: type) -> type:
        these = {m.name: _attribute(m, code_level) for m in record.members}
        cls = attrs.frozen(these=these)(cls)
        cls.__slots_fields__ = tuple(these)  # type: ignore[attr-defined]
        if "to_dict" not in cls.__dict__:
            def to_dict(self: Any) -> dict[str, Any]:
                """The canonical interchange-format dict (missing fields left out, quantities as numbers)."""
                return _json_of(self)

            cls.to_dict = to_dict  # type: ignore[attr-defined]
        _CLASSES[record.name] = cls
        return cls

    return make


def dict_or(x: Any) -> Any:
    return x.to_dict() if hasattr(x, "to_dict") else x


@_define(S.FACILITY)
class Facility:
    """A service facility or room of a community (``kind`` from the facility vocabulary)."""


@_define(S.STAFF)
class StaffMember:
    """A member of a community's staff (the two committees included).

    ``roles`` is a set of role keys (stored in the vocabulary's order); ``ratings`` maps a year to
    the annual rating; ``post``/``grade`` place the member on the 三岗十八级 scale (0 = not placed);
    ``social_work_allowance`` is the professional allowance (职业津贴) of a certified social worker.
    """

    def rating(self, year: int) -> str | None:
        """The rating for *year*, or ``None`` where none is recorded."""
        return dict(self.ratings or ()).get(year)


@_define(S.TASK)
class Task:
    """A task or work item assigned to a community, and how it came."""


@_define(S.FUNDING)
class Funding:
    """A community's yearly funds (yuan/year)."""


@_define(S.BURDEN)
class Burden:
    """Counts of the administrative burden on a community (台账, 证明, 检查评比, …)."""


@_define(S.WEIGHTS)
class AssessmentWeights:
    """The weights of each party's opinion in a community's assessment (fractions)."""


@_define(S.ASSESSMENT)
class Assessment:
    """How a community is assessed: the weights of opinions and whether there is an appeal period."""


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


@_define(S.REGION)
class Region:
    """An administrative region above the community level: province, city, district or street.

    ``level`` and ``parent`` follow from the code when not given; when given they must agree.
    """

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


@_define(S.COMMUNITY, Level.COMMUNITY)
class Community:
    """A community (社区 / 居委会) or village (村委会): the unit most rules judge.

    Every field but ``code`` and ``name`` is optional; ``None`` means missing, and a rule that
    needs it gives UNKNOWN. Lists (``facilities``, ``staff``, ``tasks``, ``plaques``, ``unified``,
    ``bodies``) are tuples; an empty one means *none*.
    """

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
        total = quantity(0.0, "m**2")
        for f in self.facilities:
            if f.kind == kind:
                if f.area is None:
                    return None
                total = total + f.area
        return total


def iter_fields(cls: type) -> Iterable[str]:
    return (a.name for a in attrs.fields(cls))
