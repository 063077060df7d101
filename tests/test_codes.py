"""Division codes: normalisation, levels, parents and prefixes."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import shequ_gov as sg
from shequ_gov._codes import contains, levels_of, truncate


class TestNormalize:
    @pytest.mark.parametrize("short, full", [
        ("21", "210000000000"), (21, "210000000000"), ("2101", "210100000000"),
        ("210203", "210203000000"), ("210203001", "210203001000"), ("210203001001", "210203001001"),
        (" 4313 ", "431300000000"),
    ])
    def test_short_forms_pad_to_twelve_digits(self, short, full):
        """2, 4, 6, 9 and 12 digit codes normalise to 12 digits."""
        assert sg.normalize_code(short) == full

    @pytest.mark.parametrize("bad", ["", "123", "2101x", "00", "１２", None, 3.5, True, "21010300100123"])
    def test_bad_codes_are_rejected(self, bad):
        """Wrong lengths, non-ASCII digits, province 00 and non-strings are errors."""
        with pytest.raises(ValueError, match="division code"):
            sg.normalize_code(bad)


class TestLevels:
    @pytest.mark.parametrize("code, level", [
        ("210000000000", "province"), ("500100000000", "city"), ("500154000000", "district"),
        ("431302001000", "street"), ("431302001001", "community"),
        ("469000000000", "city"),  # 省直辖县级行政区划: a placeholder city
    ])
    def test_level_follows_from_digits(self, code, level):
        """The level is read off the zero runs, placeholders included."""
        assert sg.code_level(code) == level

    def test_parent_is_the_code_cut_to_the_level_above(self):
        """A parent's code is a prefix of its child's."""
        assert sg.parent_code("431302001001") == "431302001000"
        assert sg.parent_code("500154000000") == "500100000000"
        assert sg.parent_code("210000000000") is None

    def test_contains(self):
        """A unit contains its descendants and itself, not its siblings."""
        assert contains("210200000000", "210203001001")
        assert contains("210203000000", "210203000000")
        assert not contains("210203000000", "210204001001")

    @given(st.integers(11, 65), st.integers(0, 99), st.integers(0, 99), st.integers(0, 999), st.integers(0, 999))
    def test_vectorised_levels_agree_with_scalar_levels(self, p, c, d, s, v):
        """levels_of over int64 arrays gives the depth of code_level for every code."""
        code = f"{p:02d}{c:02d}{d:02d}{s:03d}{v:03d}"
        assert levels_of(np.array([int(code)]))[0] == sg.code_level(code).depth

    @given(st.integers(11, 65), st.integers(1, 99), st.integers(1, 99), st.integers(1, 999), st.integers(1, 999))
    def test_walking_parents_reaches_the_province_through_every_level(self, p, c, d, s, v):
        """Parents of a community go street, district, city, province, each a prefix of the last."""
        code = f"{p:02d}{c:02d}{d:02d}{s:03d}{v:03d}"
        chain = []
        while code is not None:
            chain.append(sg.code_level(code).value)
            parent = sg.parent_code(code)
            if parent is not None:
                assert code.startswith(parent.rstrip("0")[: len(parent.rstrip("0"))])
                assert truncate(np.array([int(code)]), sg.code_level(parent).depth)[0] == int(parent)
            code = parent
        assert chain == ["community", "street", "district", "city", "province"]
