"""Hostile quantity text: one bounded parser (shequ_gov._units.parse_unit) answers every input
with a value or a ValueError saying what was expected — never another exception, never eval."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ_gov._units import MAX_UNIT_LENGTH, canonical, parse_unit

ACCEPTED = [
    ("620 平方米", "m**2", 620.0), ("26 万元/year", "yuan/year", 260000.0), ("1500 yuan/month", "yuan/month", 1500.0),
    ("450 m**2", "m**2", 450.0), ("0.45 km**2", "m**2", 450000.0), ("3 km^2", "m**2", 3e6),
    ("2 yuan/(household*month)", "yuan/(household*month)", 2.0), ("12 1/year", "1/year", 12.0),
    ("  7  ", "", 7.0), ("+1e3 m**2", "m**2", 1000.0), (".5 万元", "yuan", 5000.0), ("5 m * m", "m**2", 5.0),
    ("5 m m", "m**2", 5.0), ("5 ((m))**2", "m**2", 5.0), ("1 公里", "m", 1000.0),
    ("１５００ yuan/month", "yuan/month", 1500.0),
]

#: (text, target, words the ValueError must contain)
REJECTED = [
    ("5 m**(1/0)", "m**2", "small integer"),
    ("1500 __import__('os')", "yuan/month", "unexpected"),
    ("1500 __import__", "yuan/month", "unknown unit '__import__'"),
    ("5 " + "m*" * 60 + "m", "m**2", "too long"),
    ("5 " + "(" * 30 + "m" + ")" * 30, "m", "nests parentheses"),
    ("5 m**99999999999999", "m**2", "out of range"),
    ("5 m**0", "m**2", "out of range"),
    ("5 m**-9", "1/m**9", "out of range"),
    ("5 m**2.5", "m**2", "unexpected"),
    ("5 m**", "m**2", "small integer"),
    ("5 (m", "m", "unbalanced"),
    ("5 m)", "m", "unexpected"),
    ("5 m/", "m", "ends too early"),
    ("5 /m", "1/m", "unexpected"),
    ("5 zorkmid", "m", "unknown unit 'zorkmid'"),
    ("5 m", "m**2", "wrong dimension"),
    ("5 degC", "m**2", "wrong dimension"),
    ("1e999 m**2", "m**2", "finite"),
    ("nan", "", "expected"),
    ("inf m", "m", "expected"),
    ("5 m;import os", "m", "unexpected"),
    ("5 m\x00", "m", "unexpected"),
    ("5 m" + " " * 300, "m", "characters"),
    ("", "m**2", "expected"),
    ("五 m", "m", "expected"),
    ("5 m**2", "zorkmid", "unknown unit 'zorkmid'"),
    ("5 m**2", "m**(1/0)", "small integer"),
]


@pytest.mark.parametrize("text, target, value", ACCEPTED)
def test_documented_quantity_forms_are_accepted(text, target, value):
    assert canonical(text, target) == pytest.approx(value)


@pytest.mark.parametrize("text, target, words", REJECTED, ids=[repr(t[0])[:30] for t in REJECTED])
def test_hostile_quantity_text_is_a_value_error_saying_what(text, target, words):
    with pytest.raises(ValueError) as info:
        canonical(text, target)
    assert type(info.value) is ValueError
    assert words in str(info.value)


@pytest.mark.parametrize("value, words", [
    (10**400, "too large"), (-(10**5000), "too large"), (float("inf"), "finite"), (float("nan"), "finite"),
    (True, "boolean"), (None, "NoneType"), ([1], "list"), ({"a": 1}, "dict"), (b"5 m", "bytes"),
], ids=["10**400", "-10**5000", "inf", "nan", "bool", "None", "list", "dict", "bytes"])
def test_hostile_values_that_are_not_text(value, words):
    with pytest.raises(ValueError, match=words):
        canonical(value, "m**2")


def test_the_parser_never_evaluates(tmp_path):
    """Text that pint's full expression parser would evaluate is only ever tokenised."""
    marker = tmp_path / "evaluated"
    for text in (f"1 __import__('pathlib').Path({str(marker)!r}).touch()",
                 f"1 m*__import__('pathlib').Path({str(marker)!r}).touch()"):
        with pytest.raises(ValueError):
            canonical(text, "")
    assert not marker.exists()


_PIECES = st.sampled_from(["m", "km", "平方米", "万元", "yuan", "year", "month", "household", "(", ")", "*", "/",
                           "**", "^", " ", "2", "-1", "0", "1", "99", "(1/0)", "__import__", "'", ".", "e", "x",
                           "degC", "%", "\\", "\x00", "😀"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=40), st.text(max_size=20))
def test_fuzz_unit_parser_gives_a_unit_or_a_value_error(pieces, noise):
    """Law: for any text, parse_unit returns a unit or raises ValueError (no other exception)."""
    text = "".join(pieces) + noise
    try:
        u = parse_unit(text)
    except ValueError:
        assert True
    else:
        assert len(text) <= MAX_UNIT_LENGTH and u is not None


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.floats(allow_nan=True), st.integers(min_value=-(10**500), max_value=10**500)),
       st.lists(_PIECES, max_size=12), st.sampled_from(["", "m**2", "yuan/year", "1/year"]))
def test_fuzz_quantity_text_gives_a_finite_float_or_a_value_error(number, pieces, target):
    """Law: canonical(number + unit text) is a finite float or a ValueError."""
    try:
        v = canonical(f"{number} {''.join(pieces)}", target)
    except ValueError:
        return
    assert v == v and abs(v) != float("inf")
