"""The one unit registry of the library, and conversion of inputs to each field's canonical unit.

Units are data: the domain's units are defined in ``units.txt`` beside this module, loaded once
on top of pint's defaults. Nothing else in the library creates a registry.

Text from outside (data files, policy files) is never handed to pint's expression parser: a
quantity is a number followed by an optional unit expression of a small, bounded grammar
(:func:`parse_unit`), and every failure is a ``ValueError`` saying what was expected.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from importlib import resources
from typing import Any

__all__ = ["MAX_UNIT_DEPTH", "MAX_UNIT_LENGTH", "MAX_UNIT_POWER", "Quantity", "canonical", "is_quantity",
           "parse_unit", "registry", "ureg"]


@functools.cache
def registry() -> Any:
    """The library's one pint registry, built on first use (importing pint and loading the units
    costs half a second, which reading and evaluating numbers in canonical units never needs)."""
    import pint

    reg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    reg.load_definitions(str(resources.files("shequ_gov").joinpath("units.txt")))
    reg.formatter.default_format = "~"
    return reg


def __getattr__(name: str) -> Any:  # ``ureg`` and ``Quantity`` are made when first asked for
    if name == "ureg":
        return registry()
    if name == "Quantity":
        return registry().Quantity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_quantity(value: Any) -> bool:
    """Whether *value* is a pint quantity (of any registry); never imports pint to find out."""
    pint = sys.modules.get("pint")
    return pint is not None and isinstance(value, pint.Quantity)


def quantity(magnitude: Any, unit: Any) -> Any:
    """``Quantity(magnitude, unit)`` of the library's registry."""
    return registry().Quantity(magnitude, unit)

#: Longest unit expression accepted (characters), deepest parenthesis nesting, largest power.
MAX_UNIT_LENGTH = 100
MAX_UNIT_DEPTH = 3
MAX_UNIT_POWER = 4
#: Longest quantity text accepted (number, space and unit).
MAX_QUANTITY_LENGTH = 200

# \d as before: full-width digits (１５００) are numbers too, as float() reads them
_NUMBER_UNIT = re.compile(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*", re.S)
_TOKEN = re.compile(r"\s*(?:(?P<name>[^\W\d][\w]*)|(?P<pow>\*\*|\^)|(?P<op>[*/·])|(?P<int>[-+]?[0-9]+)"
                    r"|(?P<paren>[()]))")
_GRAMMAR = ("a unit expression: unit names joined by *, / or spaces, small integer powers (m**2) "
            "and parentheses, e.g. 'm**2', '万元/year', 'yuan/(household*month)'")


def parse_unit(text: str) -> Any:
    """The pint unit a unit expression denotes (``''`` is dimensionless).

    The grammar is bounded: known unit names and aliases (``m``, ``平方米``, ``万元``, ``year``),
    ``*``, ``/``, juxtaposition, integer powers ``**n`` or ``^n`` with ``|n| <=``
    :data:`MAX_UNIT_POWER`, the number ``1`` (``1/year``) and parentheses nested at most
    :data:`MAX_UNIT_DEPTH` deep, in at most :data:`MAX_UNIT_LENGTH` characters. Nothing is
    evaluated. Raises ``ValueError`` saying what was wrong.

    >>> parse_unit("万元/year")
    <Unit('wan_yuan / year')>
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a unit as text, got {type(text).__name__}")
    try:
        return _parse_unit(text)
    except ValueError as exc:
        raise ValueError(f"unknown unit {text[:MAX_UNIT_LENGTH]!r}{'…' if len(text) > MAX_UNIT_LENGTH else ''}: "
                         f"{exc}") from None


@functools.lru_cache(maxsize=512)
def _parse_unit(text: str) -> Any:
    if len(text) > MAX_UNIT_LENGTH:
        raise ValueError(f"too long ({len(text)} characters, at most {MAX_UNIT_LENGTH})")
    if not text.strip():
        return registry().dimensionless
    tokens: list[tuple[str, str]] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"unexpected {text[pos:].strip()[:10]!r}: expected {_GRAMMAR}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    unit, i = _expr(text, tokens, 0, 0)
    if i != len(tokens):
        raise ValueError(f"unexpected {tokens[i][1]!r}: expected {_GRAMMAR}")
    return unit


def _expr(text: str, toks: list[tuple[str, str]], i: int, depth: int) -> tuple[Any, int]:
    unit, i = _term(text, toks, i, depth)
    while i < len(toks) and not (toks[i] == ("paren", ")")):
        if toks[i][0] == "op":
            divide = toks[i][1] == "/"
            i += 1
        else:  # juxtaposition: 'kg m'
            divide = False
        rhs, i = _term(text, toks, i, depth)
        unit = unit / rhs if divide else unit * rhs
    return unit, i


def _term(text: str, toks: list[tuple[str, str]], i: int, depth: int) -> tuple[Any, int]:
    if i >= len(toks):
        raise ValueError(f"ends too early: expected {_GRAMMAR}")
    kind, tok = toks[i]
    if kind == "name":
        if not registry().parse_unit_name(tok):
            import difflib

            hint = difflib.get_close_matches(tok, [str(u) for u in _KNOWN_HINTS], n=1)
            raise ValueError((f"{tok!r} is not a unit name" if tok != text.strip() else "not a unit name")
                             + (f"; did you mean {hint[0]!r}?" if hint else ""))
        unit = registry().Unit(tok)
        i += 1
    elif kind == "int" and tok == "1":
        unit = registry().dimensionless
        i += 1
    elif tok == "(":
        if depth >= MAX_UNIT_DEPTH:
            raise ValueError(f"nests parentheses more than {MAX_UNIT_DEPTH} deep")
        unit, i = _expr(text, toks, i + 1, depth + 1)
        if i >= len(toks) or toks[i] != ("paren", ")"):
            raise ValueError("unbalanced parentheses")
        i += 1
    else:
        raise ValueError(f"unexpected {tok!r}: expected {_GRAMMAR}")
    if i < len(toks) and toks[i][0] == "pow":
        if i + 1 >= len(toks) or toks[i + 1][0] != "int":
            raise ValueError("a power must be a small integer such as **2")
        n = int(toks[i + 1][1])
        if n == 0 or abs(n) > MAX_UNIT_POWER:
            raise ValueError(f"power {n} out of range (a non-zero integer of at most "
                             f"{MAX_UNIT_POWER} in size)")
        unit = unit ** n
        i += 2
    return unit, i


_KNOWN_HINTS = ("m", "km", "m**2", "平方米", "yuan", "元", "万元", "year", "month", "household", "户", "person",
                "人", "worker", "minute", "hour", "day")
_factor_cache: dict[tuple[str, str], float] = {}


def _factor(unit: str, target: str) -> float:
    """The number to multiply a magnitude in *unit* by to get it in *target* (cached)."""
    key = (unit, target)
    f = _factor_cache.get(key)
    if f is None:
        f = _convert(1.0, parse_unit(unit), target)
        if len(_factor_cache) > 4096:  # bounded: hostile data cannot grow it without limit
            _factor_cache.clear()
        _factor_cache[key] = f
    return f


def _convert(magnitude: float, unit: Any, target: str) -> float:
    tgt = parse_unit(target)
    try:
        return float(registry().Quantity(magnitude, unit).to(tgt).magnitude)
    except _pint_errors().DimensionalityError:
        src_dim = registry().Quantity(1, unit).dimensionality
        raise ValueError(
            f"wrong dimension: expected {_describe(target)}, got {_fmt_unit(unit)} ({_dim(src_dim)})"
        ) from None
    except (_pint_errors().PintError, ArithmeticError) as exc:  # e.g. an offset unit such as degC
        raise ValueError(f"cannot convert {_fmt_unit(unit)} to {_describe(target)}: {exc}") from None


def _fmt_unit(unit: Any) -> str:
    s = f"{registry().Unit(unit):~}" if not isinstance(unit, str) else unit
    return s or "a plain number"


def _dim(d: Any) -> str:
    s = str(d)
    return "dimensionless" if s == "dimensionless" else s


def _describe(target: str) -> str:
    if not target:
        return "a plain number"
    return f"a quantity in {target} ({_dim(parse_unit(target).dimensionality)})"


def _tidy(v: float) -> float:
    # Conversion factors such as km**2 -> m**2 leave binary noise (450.00000000000006); twelve
    # significant digits are far below any standard's precision and make unit choice invisible.
    return float(f"{v:.12g}")


def canonical(value: Any, target: str) -> float:
    """Return *value* as a float in the canonical unit *target*.

    A plain number is taken as already in *target*; a string (``"26 万元/year"``: a number, then
    an optional unit expression of the grammar of :func:`parse_unit`) or a pint quantity is
    converted. A wrong dimension, an unknown unit, a malformed or over-long text, a non-finite
    number or a non-number raises ``ValueError`` with a message saying what was expected.

    >>> canonical("26 万元/year", "yuan/year")
    260000.0
    >>> canonical(450, "m**2")
    450.0
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {_describe(target)}, got a boolean {value!r}")
    if isinstance(value, (int, float)):
        try:
            v = float(value)
        except OverflowError:
            raise ValueError(f"expected a finite number, got an integer too large for a float "
                             f"({value.bit_length()} bits)") from None
    elif isinstance(value, str):
        if len(value) > MAX_QUANTITY_LENGTH:
            raise ValueError(f"expected {_describe(target)}, got a text of {len(value)} characters "
                             f"(at most {MAX_QUANTITY_LENGTH})")
        m = _NUMBER_UNIT.fullmatch(value)
        if m is None:
            raise ValueError(f"expected {_describe(target)}, e.g. '12 {target}', got {value!r}")
        number, unit = float(m.group(1)), m.group(2)
        v = _tidy(number * _factor(unit, target)) if unit else number
    elif is_quantity(value):
        if value._REGISTRY is not registry():
            raise ValueError("quantity from another unit registry: use shequ_gov.ureg")
        try:
            v = _tidy(_convert(float(value.magnitude), value.units, target))
        except TypeError:
            raise ValueError(f"expected a quantity with a single number, got {value!r}") from None
    else:
        raise ValueError(f"expected {_describe(target)}, got {type(value).__name__} {value!r:.60}")
    if math.isnan(v) or math.isinf(v):
        raise ValueError(f"expected a finite number, got {value!r:.60}")
    return v


def _pint_errors() -> Any:
    registry()
    import pint

    return pint.errors
