"""The one unit registry of the library, and conversion of inputs to each field's canonical unit.

Units are data: the domain's units are defined in ``units.txt`` beside this module, loaded once
on top of pint's defaults. Nothing else in the library creates a registry.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from typing import Any

import pint

__all__ = ["Quantity", "canonical", "ureg"]

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.load_definitions(str(resources.files("shequ_gov").joinpath("units.txt")))
ureg.formatter.default_format = "~"
Quantity = ureg.Quantity

_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_factor_cache: dict[tuple[str, str], float] = {}


def _factor(unit: str, target: str) -> float:
    """The number to multiply a magnitude in *unit* by to get it in *target* (cached)."""
    key = (unit, target)
    f = _factor_cache.get(key)
    if f is None:
        try:
            src = ureg.Unit(unit)
        except Exception as exc:  # pint's parser fails in many ways on arbitrary text (even AssertionError)
            raise ValueError(f"unknown unit {unit!r} ({exc})") from None
        f = _convert(1.0, src, target)
        _factor_cache[key] = f
    return f


def _convert(magnitude: float, unit: Any, target: str) -> float:
    tgt = ureg.Unit(target) if target else ureg.dimensionless
    try:
        return float(ureg.Quantity(magnitude, unit).to(tgt).magnitude)
    except pint.errors.DimensionalityError:
        src_dim = ureg.Quantity(1, unit).dimensionality
        raise ValueError(
            f"wrong dimension: expected {_describe(target)}, got {_fmt_unit(unit)} ({_dim(src_dim)})"
        ) from None


def _fmt_unit(unit: Any) -> str:
    s = f"{ureg.Unit(unit):~}" if not isinstance(unit, str) else unit
    return s or "a plain number"


def _dim(d: Any) -> str:
    s = str(d)
    return "dimensionless" if s == "dimensionless" else s


def _describe(target: str) -> str:
    if not target:
        return "a plain number"
    return f"a quantity in {target} ({_dim(ureg.Unit(target).dimensionality)})"


def _tidy(v: float) -> float:
    # Conversion factors such as km**2 -> m**2 leave binary noise (450.00000000000006); twelve
    # significant digits are far below any standard's precision and make unit choice invisible.
    return float(f"{v:.12g}")


def canonical(value: Any, target: str) -> float:
    """Return *value* as a float in the canonical unit *target*.

    A plain number is taken as already in *target*; a string (``"26 万元/year"``) or a pint
    quantity is converted. A wrong dimension, an unknown unit or a non-number raises
    ``ValueError`` with a message saying what was expected.

    >>> canonical("26 万元/year", "yuan/year")
    260000.0
    >>> canonical(450, "m**2")
    450.0
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {_describe(target)}, got a boolean {value!r}")
    if isinstance(value, (int, float)):
        v = float(value)
    elif isinstance(value, str):
        m = _NUMBER_UNIT.match(value)
        if m is None:
            raise ValueError(f"expected {_describe(target)}, e.g. '12 {target}', got {value!r}")
        number, unit = float(m.group(1)), m.group(2)
        v = _tidy(number * _factor(unit, target)) if unit else number
    elif isinstance(value, pint.Quantity):
        if value._REGISTRY is not ureg:
            raise ValueError("quantity from another unit registry: use shequ_gov.ureg")
        v = _tidy(_convert(float(value.magnitude), value.units, target))
    else:
        raise ValueError(f"expected {_describe(target)}, got {type(value).__name__} {value!r}")
    if math.isnan(v) or math.isinf(v):
        raise ValueError(f"expected a finite number, got {value!r}")
    return v
