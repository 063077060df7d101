"""Statistical division codes (统计用区划代码): 12 digits, 2 province, 2 city, 2 district,
3 street and 3 community digits.

A unit's level follows from its digits: a province ends in ten zeros, a city in eight, a district
in six, a street in three; any other code is a community. A parent's code is the child's code cut
to the parent's digits, so every prefix test is an integer division. The NBS placeholders (市辖区,
县, 省直辖县级行政区划) and development zones are ordinary codes here and need no special case.
"""

from __future__ import annotations

import numpy as np

from ._vocab import Level

__all__ = ["code_level", "normalize_code", "parent_code", "contains"]

_LEVELS = list(Level)
_DIGITS = (2, 4, 6, 9, 12)
_ZEROS = {2: "0" * 10, 4: "0" * 8, 6: "0" * 6, 9: "000", 12: ""}
#: 10 ** (12 - digits) for each level, for prefix arithmetic on int64 codes.
SCALE = np.array([10 ** (12 - d) for d in _DIGITS], dtype=np.int64)


def normalize_code(code: object) -> str:
    """Return the 12-digit form of a division code.

    Accepts 2, 4, 6, 9 or 12 digits (as ``str`` or ``int``); shorter forms are padded with
    zeros. Raises ``ValueError`` saying what was expected.

    >>> normalize_code("210203")
    '210203000000'
    >>> normalize_code(21)
    '210000000000'
    """
    if isinstance(code, bool):
        raise ValueError(f"expected a division code of 2, 4, 6, 9 or 12 digits, got {code!r}")
    if isinstance(code, (int, np.integer)):
        s = str(int(code))
    elif isinstance(code, str):
        s = code.strip()
    else:
        raise ValueError(f"expected a division code of 2, 4, 6, 9 or 12 digits, got {type(code).__name__} {code!r}")
    if not (s.isascii() and s.isdigit()) or len(s) not in _ZEROS:
        raise ValueError(f"expected a division code of 2, 4, 6, 9 or 12 ASCII digits, got {code!r}")
    s = s + _ZEROS[len(s)]
    if s[:2] == "00":
        raise ValueError(f"a division code cannot start with province digits 00, got {code!r}")
    return s


def code_level(code: str) -> Level:
    """The level a 12-digit code denotes.

    >>> code_level("431302001000")
    <Level.STREET: 'street'>
    """
    if code[2:] == "0000000000":
        return Level.PROVINCE
    if code[4:] == "00000000":
        return Level.CITY
    if code[6:] == "000000":
        return Level.DISTRICT
    if code[9:] == "000":
        return Level.STREET
    return Level.COMMUNITY


def parent_code(code: str) -> str | None:
    """The code of the unit directly above (cut to the parent level's digits), ``None`` for a province.

    >>> parent_code("431302001001")
    '431302001000'
    """
    level = code_level(code)
    if level is Level.PROVINCE:
        return None
    d = _DIGITS[level.depth - 1]
    return code[:d] + _ZEROS[d]


def contains(outer: str, inner: str) -> bool:
    """Whether the unit *outer* contains *inner* (or is it), both 12-digit codes."""
    d = code_level(outer).digits
    return inner[:d] == outer[:d]


def prefix_of(code: str) -> str:
    """The significant digits of a code: ``'210203'`` for ``'210203000000'``."""
    return code[: code_level(code).digits]


def levels_of(codes: np.ndarray) -> np.ndarray:
    """Vectorised :func:`code_level`: the depth (0-4) of each int64 code."""
    out = np.full(codes.shape, 4, dtype=np.int8)
    for depth in (3, 2, 1, 0):
        out[codes % SCALE[depth] == 0] = depth
    return out


def truncate(codes: np.ndarray, depth: int) -> np.ndarray:
    """Vectorised cut of int64 codes to the digits of level *depth*."""
    s = SCALE[depth]
    return (codes // s) * s
