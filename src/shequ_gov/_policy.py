"""Policies, rules, dated parameters and citations, and loading them from a plug-in's data file.

A policy is data plus small vectorised functions. Its data file (``policy.toml``) declares the
policy, its source documents, its parameters (a unit, and values keyed by start date, each with
the sentence of the source that gives it) and its rules (titles, level, kind, strength, dates,
area types, scope and citation). The functions are plain Python decorated with :func:`formula`.
Loading checks everything and raises one :class:`~shequ_gov.PolicyError` naming the file and key
of every problem.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import tomllib
import weakref
from importlib.resources.abc import Traversable
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Mapping

import attrs

from ._codes import normalize_code
from ._errors import PolicyError, Problems
from ._units import canonical, is_quantity, parse_unit
from ._vocab import AreaType, Level

__all__ = ["ByCategory", "Citation", "Parameter", "ParameterValue", "Parameters", "Policy", "Reform", "Rule", "Source",
           "formula"]

KINDS = ("requirement", "target", "indicator")
STRENGTHS = ("mandatory", "standard", "advisory", "none")
#: Chinese and English labels of the strengths, for reports.
STRENGTH_LABELS = {"mandatory": ("约束性", "mandatory"), "standard": ("标准", "standard"),
                   "advisory": ("倡导性", "advisory"), "none": ("指标(不判定)", "indicator, not judged")}
_FORMULA_ATTR = "__shequ_gov_formula__"


@attrs.frozen
class Source:
    """A source document: who issued it, its title, document number (文号) and date."""

    id: str
    title: str
    issuer: str | None = None
    number: str | None = None
    date: dt.date | None = None
    file: str | None = None
    cited_in: str | None = None

    def describe(self) -> str:
        """One line naming the document: issuer, number, date and title."""
        parts = [p for p in (self.issuer, self.number, self.date.isoformat() if self.date else None) if p]
        return (", ".join(parts) + ": " if parts else "") + f"《{self.title}》"


@attrs.frozen
class Citation:
    """A source document and the sentence of it quoted verbatim."""

    source: Source
    quote: str

    def __str__(self) -> str:
        return f"{self.source.describe()} — “{self.quote}”"


@attrs.frozen
class ByCategory(Mapping[str, float]):
    """A threshold keyed by a category of the community (like OpenFisca's parameter node keyed by a category).

    ``by`` names a categorical community field (``"area_type"``); the mapping gives one value per
    key of its vocabulary, every key present. A rule turns it into per-community thresholds with
    :meth:`shequ_gov.rules.Inputs.by_category`: where the category is missing, the threshold is
    known only to lie between the smallest and the largest value (:class:`shequ_gov.rules.Range`),
    and comparisons with it are known where that whole range agrees.

    >>> b = ByCategory("area_type", (("central_urban", 2.0), ("urban", 2.0), ("township", 1.0), ("rural", 1.0)))
    >>> b["urban"], b.low, b.high
    (2.0, 1.0, 2.0)
    """

    by: str
    items_: tuple[tuple[str, float], ...]

    def __getitem__(self, key: str) -> float:
        for k, v in self.items_:
            if k == key:
                return v
        raise KeyError(f"no value for {self.by} {key!r} (keys: {', '.join(k for k, _ in self.items_)})")

    def __iter__(self):
        return (k for k, _ in self.items_)

    def __len__(self) -> int:
        return len(self.items_)

    @property
    def low(self) -> float:
        """The smallest value over the categories."""
        return min(v for _, v in self.items_)

    @property
    def high(self) -> float:
        """The largest value over the categories."""
        return max(v for _, v in self.items_)

    def to_json(self) -> dict[str, float]:
        return dict(self.items_)


def value_to_json(v: Any) -> Any:
    """A parameter value as JSON: a list for a list of keys, a table for a value keyed by a category."""
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, ByCategory):
        return v.to_json()
    return v


def category_vocabulary(by: str) -> Any:
    """The vocabulary of the categorical community field *by* (``ValueError`` naming the choices otherwise)."""
    from ._schema import COMMUNITY_COLUMNS

    fields = {path: f for path, f in COMMUNITY_COLUMNS if f.kind == "enum"}
    if by not in fields:
        raise ValueError(f"'by' must name a categorical community field ({', '.join(fields)}), got {by!r}")
    return fields[by].vocab


@attrs.frozen
class Reform:
    """Why a parameter value is not the source's: a what-if change made with :meth:`Policy.with_parameters`.

    ``start`` is the reform's date (``None``: always); ``replaces`` is the parameter as the
    plug-in gave it, so an explanation can show what the source says.
    """

    reason: str
    label: str | None
    start: dt.date | None
    replaces: "Parameter"

    def describe(self) -> str:
        """One line: the reform's label and reason, marked as not from the source."""
        head = f"reform / 改革方案 “{self.label}”" if self.label else "reform / 改革方案"
        when = f", from {self.start}" if self.start else ""
        return f"{head}{when}: {self.reason} — not from the source / 非政策原文"


@attrs.frozen
class ParameterValue:
    """One dated value of a parameter, in force from ``start``, with its citation.

    A value set by a reform carries the :class:`Reform` (its citation then holds the reform's
    label and reason, not a source's sentence).
    """

    start: dt.date
    value: float | tuple[str, ...] | ByCategory
    citation: Citation
    reform: Reform | None = None


@attrs.frozen
class Parameter:
    """A named threshold with a unit and values keyed by start date (like OpenFisca's parameters).

    The value in force on a date is the last one whose start is on or before it; before the
    first start there is none. A change in the standard adds a dated value; old ones stay.
    """

    name: str
    unit: str
    description_zh: str
    description_en: str
    values: tuple[ParameterValue, ...]
    #: The categorical community field the values are keyed by (``"area_type"``), or None.
    by: str | None = None

    def parse(self, raw: Any) -> float | tuple[str, ...] | ByCategory:
        """A value as written in a data file or an override, in this parameter's unit (``ValueError`` if unfit).

        A number or quantity string (``"8 万元/year"``); a list of keys for a list parameter; for a
        parameter keyed ``by`` a category, a table with a value for every key of the category
        (``{rural = "8 万元/year", township = …}``).
        """
        p = Problems()
        value = _parse_value(p, self.name, raw, self.name, self.unit, _is_dimensional(self.unit), self.by)
        if value is None:
            raise ValueError("; ".join(f"{where}: {msg}" for where, msg in p.items))
        return value

    def entry(self, as_of: dt.date) -> ParameterValue | None:
        """The :class:`ParameterValue` in force on *as_of*, or ``None`` before the first one."""
        found = None
        for v in self.values:
            if v.start <= as_of:
                found = v
            else:
                break
        return found

    def at(self, as_of: dt.date | str) -> float | tuple[str, ...] | None:
        """The value in force on *as_of* (in the parameter's unit), or ``None`` before the first one."""
        e = self.entry(_as_date(as_of))
        return None if e is None else e.value

    def format(self, value: Any) -> str:
        """A value with its unit, for explanations (each category's value for a keyed parameter)."""
        if isinstance(value, tuple):
            return ", ".join(value)
        if isinstance(value, ByCategory):
            return "; ".join(f"{k} {self.format(v)}" for k, v in value.items_)
        return _fmt_number(value) + (f" {_unit_label(self.unit)}" if self.unit else "")


def _fmt_number(v: float) -> str:
    if v != v:
        return "—"
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.4g}" if abs(v) >= 1 else f"{v:.4g}"


_UNIT_LABELS = {"m**2": "m²", "yuan/year": "yuan/year", "yuan/month": "yuan/month", "": ""}


def _unit_label(unit: str) -> str:
    return _UNIT_LABELS.get(unit, unit)


#: How people write a canonical unit in Chinese tables, and the decimals worth showing in it.
_UNIT_DISPLAY = {"m**2": ("m²", 2), "yuan/year": ("元/年", 2), "yuan/month": ("元/月", 2), "": ("", 4)}


def _unit_display(unit: str) -> tuple[str, int]:
    """(label, decimals) of a canonical unit for spreadsheets (the unit itself and 4 decimals if unknown)."""
    return _UNIT_DISPLAY.get(unit, (_unit_label(unit), 4))


@attrs.frozen(eq=False)
class Rule:
    """One rule of a policy: metadata from the data file, and the vectorised function.

    ``function(c, p)`` receives the evaluation inputs ``c`` (columns over the whole dataset, see
    :class:`shequ_gov.rules.CommunityInputs`) and ``p``, the values in force of the parameters the
    rule declares (:class:`shequ_gov.rules.Parameters`, attribute access by name), and returns an
    :class:`shequ_gov.rules.Outcome`.
    """

    id: str
    title_zh: str
    title_en: str
    level: Level
    kind: str
    strength: str
    start: dt.date
    end: dt.date | None
    area_types: frozenset[AreaType] | None
    scope: str | None
    parameters: tuple[str, ...]
    citation: Citation
    description_zh: str = ""
    description_en: str = ""
    function: Callable[..., Any] | None = None
    increasing: tuple[str, ...] = ()
    decreasing: tuple[str, ...] = ()
    policy_id: str = ""
    #: A list parameter naming the area types the rule applies to (an open reading made a
    #: parameter); ``area_types`` then holds its latest value, for display.
    area_types_parameter: str | None = None

    def area_types_on(self, params: Mapping[str, Any]) -> frozenset[AreaType] | None:
        """The area types the rule applies to with the parameter values *params* (None: all)."""
        if self.area_types_parameter is None:
            return self.area_types
        value = params[self.area_types_parameter]
        return None if value is None else frozenset(AreaType.parse(a) for a in value)

    @property
    def title(self) -> str:
        """The bilingual title."""
        return f"{self.title_zh} / {self.title_en}"

    def in_force(self, as_of: dt.date) -> bool:
        """Whether the rule applies on *as_of* (its start date reached, its end date not passed)."""
        return self.start <= as_of and (self.end is None or as_of <= self.end)

    def __repr__(self) -> str:
        return f"<Rule {self.id}: {self.title_en}>"


#: :meth:`Policy.parameter_hash` by policy (weakly: a policy gone takes its hashes) and date.
_PARAMETER_HASHES: "weakref.WeakKeyDictionary[Policy, dict[dt.date, str]]" = weakref.WeakKeyDictionary()


@attrs.frozen(eq=False)
class Policy:
    """A regional policy: jurisdiction, sources, parameters and rules.

    Build one with :meth:`from_toml` (as plug-ins do), and register it with
    :func:`shequ_gov.policies.register` or through the ``shequ_gov.policies`` entry-point group.
    """

    id: str
    name_zh: str
    name_en: str
    jurisdiction: tuple[str, ...]
    sources: Mapping[str, Source]
    parameters: Mapping[str, Parameter]
    rules: tuple[Rule, ...]
    description_zh: str = ""
    description_en: str = ""
    version: str = "0"
    distribution: str | None = None
    path: str | None = None

    def __repr__(self) -> str:
        return f"<Policy {self.id} ({self.name_en}): {len(self.rules)} rules, jurisdiction {', '.join(self.jurisdiction)}>"

    @property
    def name(self) -> str:
        """The bilingual name."""
        return f"{self.name_zh} / {self.name_en}"

    def rule(self, rule_id: str) -> Rule:
        """The rule with *rule_id* (``KeyError`` naming the known ids otherwise)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"policy {self.id!r} has no rule {rule_id!r}")

    def params(self, as_of: dt.date | str) -> "Parameters":
        """The parameter values in force on *as_of*, by name (``p.staff_min``)."""
        d = _as_date(as_of)
        return Parameters({name: p.at(d) for name, p in self.parameters.items()})

    def parameter_hash(self, as_of: dt.date | str) -> str:
        """A SHA-256 of the parameter values in force on *as_of* (for report metadata)."""
        d = _as_date(as_of)
        memo = _PARAMETER_HASHES.get(self)
        if memo is None:
            memo = _PARAMETER_HASHES[self] = {}
        hit = memo.get(d)
        if hit is None:  # a policy never changes (a reform is a new one): once per policy and date
            if len(memo) >= 256:
                memo.clear()
            doc = {n: value_to_json(v) for n, v in sorted(
                (n, p.at(d)) for n, p in self.parameters.items())}
            hit = memo[d] = hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        return hit

    def with_rules(self, rules: Iterable[Rule]) -> "Policy":
        """A copy with other rules (for tests and experiments)."""
        return attrs.evolve(self, rules=tuple(rules))

    def with_parameters(self, changes: Mapping[str, Any], *, from_: dt.date | str | None = None, reason: str,
                        label: str | None = None) -> "Policy":
        """A reform: a new policy in which the named parameters take other values (this one is untouched).

        *changes* maps parameter names to values written as in the plug-in's data file: a
        quantity string (``"350 m**2"``), a pint quantity of :data:`shequ_gov.ureg`, a plain number
        for a parameter without a unit, or a list of keys. From *from_* on (default: always) each
        takes the new value; earlier dated values stay. The new values carry *reason* and *label*
        instead of a source's sentence, and every explanation says so. Cheap: only the changed
        parameters are rebuilt; rules, sources and the other parameters are shared.

        Raises :class:`~shequ_gov.PolicyError` naming every unknown parameter (with a did-you-mean)
        and every value of the wrong dimension or form.

        >>> import shequ_gov as sg
        >>> loudi = sg.policies.load("loudi")                                  # doctest: +SKIP
        >>> cheaper = loudi.with_parameters({"service_housing_min_area": "350 m**2"},
        ...                                 reason="what if 350 m² were enough", label="350")  # doctest: +SKIP
        """
        import difflib

        p = Problems()
        if not isinstance(reason, str) or not reason.strip():
            p.add("reason", "a reform needs a reason (a non-empty string saying why the value differs from the source)")
        if label is not None and not isinstance(label, str):
            p.add("label", f"expected a short string naming the reform, got {label!r}")
        start: dt.date | None = None
        if from_ is not None:
            try:
                start = _as_date(from_)
            except ValueError as exc:
                p.add("from_", str(exc))
        if not isinstance(changes, Mapping) or not changes:
            p.add("changes", f"expected a mapping of parameter name → value, got {changes!r}")
            changes = {}
        params = dict(self.parameters)
        source = Source("reform", label or "reform / 改革方案", issuer="what-if reform, not a source document")
        for name, raw in changes.items():
            where = f"parameters.{name}"
            par = self.parameters.get(name) if isinstance(name, str) else None
            if par is None:
                hint = difflib.get_close_matches(str(name), list(self.parameters), n=1)
                p.add(where, f"policy {self.id!r} has no parameter {name!r}" +
                      (f"; did you mean {hint[0]!r}?" if hint else "") +
                      f" (parameters: {', '.join(self.parameters) or 'none'})")
                continue
            value = _parse_value(p, where, raw, name, par.unit, _is_dimensional(par.unit), par.by)
            if value is None:
                continue
            like = par.values[-1].value if par.values else value
            if type(value) is not type(like):
                p.add(where, f"expected a value like the plug-in's ({par.format(like)}), got {raw!r}")
                continue
            reform = Reform(reason, label, start, par.values[-1].reform.replaces
                            if par.values and par.values[-1].reform else par)
            kept = tuple(v for v in par.values if start is not None and v.start < start)
            new = ParameterValue(start or dt.date.min, value, Citation(source, reason), reform)
            params[name] = attrs.evolve(par, values=kept + (new,))
        p.raise_if_any(f"reform of policy {self.id}", PolicyError)
        return attrs.evolve(self, parameters=params)

    @property
    def reforms(self) -> dict[str, Reform]:
        """The parameters changed by :meth:`with_parameters`, with their (latest) reform."""
        return {name: v.reform for name, par in self.parameters.items() for v in par.values[-1:] if v.reform}

    @classmethod
    def from_toml(cls, path: str | Path | Traversable, formulas: Iterable[ModuleType | Callable[..., Any]] = (), *,
                  version: str | None = None, distribution: str | None = None) -> "Policy":
        """Load a policy from its data file and bind the :func:`formula` functions found in *formulas*.

        *formulas* are modules (every decorated function in them is taken) or functions.
        Raises :class:`~shequ_gov.PolicyError` listing every problem with its file and key.
        """
        name = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8") if hasattr(path, "read_text")
                                 else Path(path).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError([(name, f"malformed TOML: {exc}")], source=name) from None
        except UnicodeDecodeError as exc:
            raise PolicyError([(name, f"not UTF-8 text: byte {exc.start} ({exc.object[exc.start:exc.start + 1]!r}) "
                                      "cannot be decoded; save the file as UTF-8")], source=name) from None
        except RecursionError:
            raise PolicyError([(name, "malformed TOML: arrays or tables nested too deeply")], source=name) from None
        except OSError as exc:
            raise PolicyError([(name, f"cannot read: {exc}")], source=name) from None
        return policy_from_data(data, formulas, source=name, version=version, distribution=distribution)


class Parameters(Mapping[str, Any]):
    """Parameter values in force, by name (``p.staff_min`` or ``p["staff_min"]``).

    A rule function receives the view of its rule (:meth:`for_rule`): only the parameters the
    rule declares in ``policy.toml``. Reading another one raises a :class:`~shequ_gov.PolicyError`
    naming the rule and the parameter, and the view records which parameters the rule read (its
    explanation lists exactly those). A typo gets a "did you mean" hint.
    """

    __slots__ = ("_values", "_rule", "_read")

    def __init__(self, values: dict[str, Any], *, rule: str | None = None):
        self._values = values
        self._rule = rule
        self._read: dict[str, None] = {}

    def _get(self, name: str) -> Any:
        try:
            v = self._values[name]
        except KeyError:
            raise self._missing(name) from None
        if self._rule is not None:
            self._read[name] = None
        return v

    def _missing(self, name: str) -> Exception:
        import difflib

        hint = difflib.get_close_matches(name, list(self._values), n=1)
        if self._rule is None:
            return AttributeError(f"no parameter {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""))
        declared = ", ".join(self._values) or "none"
        return PolicyError([(f"rules.{self._rule}", f"the rule reads parameter {name!r}, which it does not declare "
                             f"(declared: {declared})" + (f"; did you mean {hint[0]!r}?" if hint else "")
                             + "; list it in the rule's `parameters` in policy.toml")])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # protocols and tools probing (_repr_html_, __array__) are not parameter reads
            raise AttributeError(name)
        return self._get(name)

    def __getitem__(self, name: str) -> Any:
        return self._get(name)

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return "Parameters(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"

    def for_rule(self, rule: "Rule") -> "Parameters":
        """The view a rule's function receives: only the parameters *rule* declares, reads recorded."""
        return Parameters({n: self._values[n] for n in rule.parameters}, rule=rule.id)

    @property
    def read(self) -> tuple[str, ...]:
        """The parameters read through this view so far, in the order first read (a rule's view only)."""
        return tuple(self._read)


#: The former name of :class:`Parameters`.
ParameterSet = Parameters


def formula(rule_id: str, *, increasing: Iterable[str] = (), decreasing: Iterable[str] = ()) -> Callable:
    """Mark a function as the vectorised formula of *rule_id*.

    *increasing* names inputs of which more never turns a PASS into a FAIL, *decreasing* inputs
    of which more never turns a FAIL into a PASS; the conformance kit checks both on generated
    data. Input names are those of :data:`shequ_gov.testing.PERTURBATIONS`; an unknown one is a
    :class:`~shequ_gov.PolicyError` when the policy loads, as is a function that does not take
    ``(c, p)`` or that reads a parameter its rule does not declare.

    >>> from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least
    >>> @formula("demo.households", increasing=["households"])
    ... def households(c: CommunityInputs, p: Parameters) -> Outcome:
    ...     return at_least(c.number("households"), p.min_households, unit="household")
    """
    spec = (rule_id, tuple(increasing), tuple(decreasing))

    def mark(fn: Callable) -> Callable:
        setattr(fn, _FORMULA_ATTR, spec)
        return fn

    return mark


def _as_date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            raise ValueError(f"expected an ISO date such as 2021-06-10, got {v!r}") from None
    raise ValueError(f"expected a date or an ISO date string, got {v!r}")


# --- loading ---------------------------------------------------------------------------------------

_POLICY_KEYS = {"id", "name", "jurisdiction", "description"}
_SOURCE_KEYS = {"issuer", "title", "number", "date", "file", "cited_in"}
_PARAM_KEYS = {"description", "unit", "values", "by"}
_VALUE_KEYS = {"from", "value", "source", "quote"}
_RULE_KEYS = {"title", "level", "kind", "strength", "from", "until", "area_types", "scope", "parameters",
              "description", "citation"}
_CITATION_KEYS = {"source", "quote"}
_TOP_KEYS = {"policy", "sources", "parameters", "rules"}


def _check_keys(p: Problems, where: str, table: Any, allowed: set[str], required: Iterable[str] = ()) -> bool:
    if not isinstance(table, Mapping):
        p.add(where, f"expected a table, got {type(table).__name__}")
        return False
    import difflib

    for k in table:
        if k not in allowed:
            hint = difflib.get_close_matches(k, sorted(allowed), n=1)
            p.add(f"{where}.{k}" if where else str(k),
                  f"unknown key {k!r}" + (f"; did you mean {hint[0]!r}?" if hint else "") +
                  f" (expected one of: {', '.join(sorted(allowed))})")
    for k in required:
        if k not in table:
            p.add(f"{where}.{k}" if where else k, "required key is missing")
    return True


def _table(p: Problems, where: str, v: Any) -> Mapping[str, Any]:
    """*v* if it is a table (``{}`` when absent); a problem naming *where* otherwise."""
    if v is None:
        return {}
    if not isinstance(v, Mapping):
        p.add(where, f"expected a table, got {_kind(v)}")
        return {}
    return v


def _kind(v: Any) -> str:
    """What a TOML value is, for messages (``an array [1]``, ``a date-time 2020-01-01 00:00:00``)."""
    if isinstance(v, dt.datetime):
        return f"a date-time {v.isoformat(sep=' ')} (write the date only)"
    names = {list: "an array", dict: "a table", bool: "a boolean", int: "an integer", float: "a number",
             str: "a string", dt.date: "a date", dt.time: "a time"}
    return f"{names.get(type(v), type(v).__name__)} {v!r:.60}"


def _is_date(v: Any) -> bool:
    """A TOML date (a date-time is not a date: a policy's dates are days)."""
    return isinstance(v, dt.date) and not isinstance(v, dt.datetime)


def _text(p: Problems, where: str, v: Any) -> str | None:
    """An optional string field: ``None`` when absent, a problem when not a non-empty string."""
    if v is None:
        return None
    if not isinstance(v, str) or not v.strip():
        p.add(where, f"expected a non-empty string, got {_kind(v)}")
        return None
    return v


def _bilingual(p: Problems, where: str, v: Any, required: bool = True) -> tuple[str, str]:
    if v is None and not required:
        return "", ""
    if not isinstance(v, Mapping) or not isinstance(v.get("zh"), str) or not isinstance(v.get("en"), str) \
            or not v.get("zh") or not v.get("en"):
        p.add(where, f"expected {{ zh = \"…\", en = \"…\" }} with both labels, got {_kind(v)}")
        return "", ""
    _check_keys(p, where, v, {"zh", "en"})
    return v["zh"], v["en"]


def _citation(p: Problems, where: str, source_id: Any, quote: Any, sources: Mapping[str, Source]) -> Citation | None:
    ok = True
    if not isinstance(source_id, str) or source_id not in sources:
        p.add(f"{where}.source", f"expected the id of a [sources] table ({', '.join(sources) or 'none defined'}), "
                                 f"got {source_id!r}")
        ok = False
    if not isinstance(quote, str) or not quote.strip():
        p.add(f"{where}.quote", "a citation needs the quoted sentence of the source (non-empty)")
        ok = False
    return Citation(sources[source_id], quote) if ok else None


def policy_from_data(data: Mapping[str, Any], formulas: Iterable[Any] = (), *, source: str = "<policy>",
                     version: str | None = None, distribution: str | None = None) -> Policy:
    """Build a :class:`Policy` from parsed data-file contents (see :meth:`Policy.from_toml`)."""
    p = Problems()
    _check_keys(p, "", data, _TOP_KEYS, ("policy", "sources", "rules"))
    pol = data.get("policy", {})
    pid = ""
    jurisdiction: list[str] = []
    name = desc = ("", "")
    if _check_keys(p, "policy", pol, _POLICY_KEYS, ("id", "name", "jurisdiction")):
        pid = pol.get("id", "")
        if not isinstance(pid, str) or not pid.isidentifier() or pid != pid.lower():
            p.add("policy.id", f"expected a lower-case identifier such as 'loudi', got {pid!r}")
        name = _bilingual(p, "policy.name", pol.get("name"))
        desc = _bilingual(p, "policy.description", pol.get("description"), required=False)
        jur = pol.get("jurisdiction")
        if not isinstance(jur, list) or not jur:
            p.add("policy.jurisdiction", f"expected a non-empty list of division codes, got {jur!r}")
        else:
            for i, c in enumerate(jur):
                try:
                    jurisdiction.append(normalize_code(c))
                except ValueError as exc:
                    p.add(f"policy.jurisdiction[{i}]", str(exc))

    sources: dict[str, Source] = {}
    for sid, s in _table(p, "sources", data.get("sources")).items():
        where = f"sources.{sid}"
        if not _check_keys(p, where, s, _SOURCE_KEYS, ("title",)):
            continue
        date = s.get("date")
        if date is not None and not _is_date(date):
            p.add(f"{where}.date", f"expected a TOML date such as 2018-07-05, got {_kind(date)}")
            date = None
        title = _text(p, f"{where}.title", s.get("title"))
        sources[sid] = Source(sid, title or "", *(_text(p, f"{where}.{k}", s.get(k)) for k in ("issuer", "number")),
                              date, *(_text(p, f"{where}.{k}", s.get(k)) for k in ("file", "cited_in")))
    for sid, s in sources.items():
        if s.cited_in is not None and s.cited_in not in sources:
            p.add(f"sources.{sid}.cited_in", f"unknown source {s.cited_in!r}")

    parameters: dict[str, Parameter] = {}
    for pname, spec in _table(p, "parameters", data.get("parameters")).items():
        where = f"parameters.{pname}"
        if not _check_keys(p, where, spec, _PARAM_KEYS, ("description", "unit", "values")):
            continue
        dzh, den = _bilingual(p, f"{where}.description", spec.get("description"))
        by = spec.get("by")
        if by is not None:
            try:
                category_vocabulary(by)
            except ValueError as exc:
                p.add(f"{where}.by", str(exc))
                by = None
        unit = spec.get("unit", "")
        dimensional = False
        unit_ok = True
        if not isinstance(unit, str):
            p.add(f"{where}.unit", f"expected a unit string ('' for a plain number), got {_kind(unit)}")
            unit, unit_ok = "", False
        elif unit:
            try:
                dimensional = not parse_unit(unit).dimensionless
            except ValueError as exc:
                p.add(f"{where}.unit", str(exc))
                unit_ok = False
        values: list[ParameterValue] = []
        raw = spec.get("values")
        if not isinstance(raw, list) or not raw:
            p.add(f"{where}.values", "expected at least one [[values]] entry")
            raw = []
        for i, v in enumerate(raw):
            w = f"{where}.values[{i}]"
            if not _check_keys(p, w, v, _VALUE_KEYS, ("from", "value", "source", "quote")):
                continue
            start = v.get("from")
            if not _is_date(start):
                p.add(f"{w}.from", f"expected a TOML date such as 2018-07-05, got {_kind(start)}")
                continue
            parsed = _parse_value(p, f"{w}.value", v.get("value"), pname, unit, dimensional, by, unit_ok=unit_ok)
            cit = _citation(p, w, v.get("source"), v.get("quote"), sources)
            if parsed is not None and cit is not None:
                values.append(ParameterValue(start, parsed, cit))
        starts = [v.get("from") for v in raw if isinstance(v, Mapping)]
        if any(_is_date(a) and _is_date(b) and not a < b for a, b in zip(starts, starts[1:])):
            p.add(f"{where}.values", "dates must be strictly increasing (sorted, no duplicates): got "
                                     + ", ".join(str(s) for s in starts))
        parameters[pname] = Parameter(pname, unit, dzh, den, tuple(values), by)

    bound = _collect_formulas(formulas, p)
    rules: list[Rule] = []
    raw_rules = data.get("rules") or {}
    if not isinstance(raw_rules, Mapping) or not raw_rules:
        p.add("rules", "a policy needs at least one [rules.\"<id>\"] table")
        raw_rules = {}
    for rid, r in raw_rules.items():
        where = f"rules.{rid}"
        if not isinstance(rid, str) or not rid.startswith(f"{pid}."):
            p.add(where, f"a rule id starts with the policy id and a dot ('{pid}.topic.name'), got {rid!r}")
        if not _check_keys(p, where, r, _RULE_KEYS, ("title", "level", "kind", "strength", "from", "citation")):
            continue
        tzh, ten = _bilingual(p, f"{where}.title", r.get("title"))
        dzh, den = _bilingual(p, f"{where}.description", r.get("description"), required=False)
        level = None
        try:
            level = Level.parse(r.get("level"))
        except ValueError as exc:
            p.add(f"{where}.level", str(exc))
        kind, strength = r.get("kind"), r.get("strength")
        if kind not in KINDS:
            p.add(f"{where}.kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
        if strength not in STRENGTHS:
            p.add(f"{where}.strength", f"expected one of {', '.join(STRENGTHS)}, got {strength!r}")
        elif (kind == "indicator") != (strength == "none"):
            p.add(f"{where}.strength", "an indicator has strength \"none\", and only an indicator does")
        start, end = r.get("from"), r.get("until")
        if not _is_date(start):
            p.add(f"{where}.from", f"expected a TOML date such as 2018-07-05, got {_kind(start)}")
            start = None
        if end is not None and (not _is_date(end) or (start is not None and end < start)):
            p.add(f"{where}.until", f"expected a TOML date on or after 'from', got {_kind(end)}")
            end = None
        area_types = None
        area_types_parameter = None
        if isinstance(r.get("area_types"), str):
            area_types_parameter = r["area_types"]
            par = parameters.get(area_types_parameter)
            if area_types_parameter not in (r.get("parameters") or []) or par is None:
                p.add(f"{where}.area_types", f"names parameter {area_types_parameter!r}, which the rule must list "
                                             "in its parameters")
            else:
                try:
                    for v in par.values:
                        if not isinstance(v.value, tuple) or not v.value:
                            raise ValueError(f"parameter {area_types_parameter} must hold lists of area types")
                        area_types = frozenset(AreaType.parse(a) for a in v.value)
                except ValueError as exc:
                    p.add(f"{where}.area_types", str(exc))
        elif "area_types" in r:
            try:
                if not isinstance(r["area_types"], list):
                    raise ValueError(f"expected a list of area types, got {_kind(r['area_types'])}")
                area_types = frozenset(AreaType.parse(a) for a in r["area_types"])
                if not area_types:
                    raise ValueError("an empty list would make the rule apply to nothing; omit the key for all")
            except (ValueError, TypeError) as exc:
                p.add(f"{where}.area_types", str(exc))
        scope = r.get("scope")
        if scope is not None:
            try:
                scope = normalize_code(scope)
                from ._codes import contains

                if jurisdiction and not any(contains(j, scope) for j in jurisdiction):
                    p.add(f"{where}.scope", f"scope {scope} is outside the policy's jurisdiction")
            except ValueError as exc:
                p.add(f"{where}.scope", str(exc))
                scope = None
        params = r.get("parameters", [])
        if not isinstance(params, list) or not all(isinstance(x, str) for x in params):
            p.add(f"{where}.parameters", f"expected a list of parameter names, got {_kind(params)}")
            params = []
        for pn in params:
            if pn not in parameters:
                p.add(f"{where}.parameters", f"unknown parameter {pn!r} (defined: {', '.join(parameters) or 'none'})")
            elif start is not None and parameters[pn].values and parameters[pn].values[0].start > start:
                p.add(f"{where}.parameters", f"parameter {pn!r} has no value on the rule's start date {start} "
                                             f"(its first value is from {parameters[pn].values[0].start})")
        cit = r.get("citation")
        citation = None
        if _check_keys(p, f"{where}.citation", cit if cit is not None else {}, _CITATION_KEYS, ("source", "quote")):
            if cit is not None:
                citation = _citation(p, f"{where}.citation", cit.get("source"), cit.get("quote"), sources)
        fn, inc, dec = bound.pop(rid, (None, (), ()))
        if fn is None:
            p.add(where, f"no function for this rule: decorate one with @formula({rid!r})")
        else:
            for msg in _formula_problems(fn, inc, dec, params, parameters):
                p.add(where, msg)
        if citation is None or level is None or start is None:
            continue
        rules.append(Rule(rid, tzh, ten, level, kind, strength, start, end if isinstance(end, dt.date) else None,
                          area_types, scope, tuple(params), citation, dzh, den, fn, inc, dec, pid,
                          area_types_parameter))
    for rid in bound:
        p.add(f"rules.{rid}", f"a @formula({rid!r}) function exists but the data file declares no such rule")
    p.raise_if_any(source, PolicyError)
    return Policy(pid, name[0], name[1], tuple(jurisdiction), sources, parameters, tuple(rules), desc[0], desc[1],
                  version or "0", distribution, source)


def _parse_value(p: Problems, where: str, val: Any, pname: str, unit: str, dimensional: bool,
                 by: str | None = None, unit_ok: bool = True) -> Any:
    """A parameter value from a data file or a reform, in the parameter's unit; ``None`` (and a
    problem added) when it is not one. The one place that says what a parameter value may be.

    With *by* (a categorical community field), a table with such a value for every key of its
    vocabulary, read as a :class:`ByCategory`. With *unit_ok* False (the parameter's unit is itself
    wrong, reported once) only the form is checked.
    """
    if by is not None:
        vocab = category_vocabulary(by)
        if not isinstance(val, Mapping):
            p.add(where, f"parameter {pname} is keyed by {by}: expected a table with a value for each of "
                         f"{', '.join(vocab)}, got {val!r}")
            return None
        bad = [f"unknown {by} {k!r}" for k in val if k not in vocab]
        bad += [f"no value for {by} {k!r}" for k in vocab if k not in val]
        if bad:
            p.add(where, "; ".join(bad))
            return None
        items = [(k, _parse_value(p, f"{where}.{k}", val[k], pname, unit, dimensional)) for k in vocab]
        if any(v is None or isinstance(v, tuple) for _, v in items):
            if not any(v is None for _, v in items):
                p.add(where, "a keyed parameter holds numbers or quantities, not lists")
            return None
        return ByCategory(by, tuple(items))
    if isinstance(val, Mapping):
        p.add(where, f"a table of values needs 'by' on parameter {pname} (the category it is keyed by, "
                     f"such as by = \"area_type\"), got {val!r}")
        return None
    if isinstance(val, (list, tuple)):
        if unit or not all(isinstance(x, str) and x for x in val):
            p.add(where, "a list value must be a list of keys (strings) with unit \"\"")
            return None
        return tuple(val)
    if isinstance(val, bool) or not (isinstance(val, (int, float, str)) or is_quantity(val)):
        p.add(where, f"expected a number, a quantity string or a list of keys, got {_kind(val)}")
        return None
    if not unit_ok:
        return None
    if isinstance(val, (int, float)) and dimensional:
        p.add(where, f"a value without a unit: parameter {pname} is in {unit}; write it as \"{val} {unit}\"")
        return None
    try:
        return canonical(val, unit)
    except ValueError as exc:
        p.add(where, str(exc))
        return None


def _is_dimensional(unit: str) -> bool:
    return bool(unit) and not parse_unit(unit).dimensionless


def _collect_formulas(formulas: Iterable[Any], p: Problems) -> dict[str, tuple[Callable, tuple, tuple]]:
    found: dict[str, tuple[Callable, tuple, tuple]] = {}
    items: list[Callable] = []
    for f in formulas:
        if isinstance(f, ModuleType):
            items += [v for v in vars(f).values() if callable(v) and hasattr(v, _FORMULA_ATTR)]
        elif callable(f) and hasattr(f, _FORMULA_ATTR):
            items.append(f)
        else:
            p.add("formulas", f"expected modules or @formula functions, got {f!r}")
    for fn in items:
        rid, inc, dec = getattr(fn, _FORMULA_ATTR)
        if rid in found and found[rid][0] is not fn:
            p.add(f"rules.{rid}", f"two functions for one rule: {found[rid][0].__qualname__} and {fn.__qualname__}")
        found[rid] = (fn, inc, dec)
    return found


def _formula_problems(fn: Callable, increasing: tuple, decreasing: tuple, declared: Iterable[str],
                      defined: Mapping[str, Parameter]) -> list[str]:
    """What is wrong with a rule's ``@formula`` function against its declarations in the data file.

    Checked: the function takes ``(c, p)``; every name of ``increasing``/``decreasing`` is a known
    input; and every parameter it reads directly (``p.name``, ``p["name"]``, ``p.get("name")``) is
    declared. Reads the source cannot show (through a helper) are checked when the rule runs.
    """
    from ._monotone import MONOTONE_INPUTS, input_problem

    out = []
    name = getattr(fn, "__qualname__", repr(fn))
    bad = [(n, input_problem(n)) for n in increasing + decreasing]
    bad = [(n, m) for n, m in bad if m is not None]
    if bad:
        out.append(f"@formula of {name}: " + "; ".join(m for _, m in bad) + " (known inputs: "
                   + ", ".join(MONOTONE_INPUTS) + ")")
    try:
        sig = inspect.signature(fn)
        sig.bind(None, None)
    except (TypeError, ValueError):
        out.append(f"{name} must take two arguments (c, p): the inputs and the parameters in force")
        return out
    names = [q.name for q in sig.parameters.values()
             if q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD)]
    if len(names) < 2:
        return out
    declared = set(declared)
    for pname in _parameters_read(fn, names[1]):
        if pname not in declared:
            where = "it does not declare" if pname in defined else "the policy does not define"
            out.append(f"{name} reads parameter {pname!r}, which {where} (declared: "
                       f"{', '.join(sorted(declared)) or 'none'}); list it in the rule's `parameters`")
    return out


_MAPPING_METHODS = frozenset(("get", "items", "keys", "values", "read", "for_rule"))


def _parameters_read(fn: Callable, p_name: str, _seen: set | None = None) -> list[str]:
    """Parameter names *fn* reads from its argument *p_name*, found in its source (empty if unavailable).

    Helpers of the same plug-in that *fn* hands the parameters to (``_helper(c, p)``) are read
    too, a few calls deep; anything subtler is caught when the rule runs.
    """
    import ast
    import textwrap

    seen = set() if _seen is None else _seen
    code = getattr(fn, "__code__", None)
    if code is None or code in seen or len(seen) > 8:
        return []
    seen.add(code)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return []
    found: dict[str, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == p_name:
            if node.attr not in _MAPPING_METHODS and not node.attr.startswith("_"):
                found[node.attr] = None
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == p_name:
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                found[node.slice.value] = None
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
              and isinstance(node.func.value, ast.Name) and node.func.value.id == p_name and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found[node.args[0].value] = None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            helper = getattr(fn, "__globals__", {}).get(node.func.id)
            positions = [i for i, a in enumerate(node.args) if isinstance(a, ast.Name) and a.id == p_name]
            same_package = getattr(helper, "__module__", "").split(".")[0] == str(fn.__module__).split(".")[0]
            if not positions or not inspect.isfunction(helper) or not same_package:
                continue
            names = [q.name for q in inspect.signature(helper).parameters.values()
                     if q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD)]
            for i in positions:
                if i < len(names):
                    found.update(dict.fromkeys(_parameters_read(helper, names[i], seen)))
    return list(found)
