"""Units: one registry, Chinese aliases, canonical conversion and dimension errors."""

import pint
import pytest

import shequ_gov as sg
from shequ_gov._units import canonical


class TestRegistry:
    def test_one_registry(self):
        """Quantity belongs to the library's one registry."""
        assert sg.Quantity(1, "m**2")._REGISTRY is sg.ureg

    @pytest.mark.parametrize("text, unit, expected", [
        ("26 万元/year", "yuan/year", 260_000),
        ("20 万元/年", "yuan/year", 200_000),
        ("450 平方米", "m**2", 450),
        ("1500 yuan/month", "yuan/month", 1500),
        ("1500 元/月", "yuan/month", 1500),
        ("1500 yuan/month", "yuan/year", 18_000),
        ("3 公里", "km", 3),
        ("15 分钟", "minute", 15),
        ("200 户", "household", 200),
        ("600 人", "person", 600),
        ("0.00045 km**2", "m**2", 450),
    ])
    def test_domain_units_parse(self, text, unit, expected):
        """Domain units and their Chinese aliases convert to the canonical unit."""
        assert canonical(text, unit) == pytest.approx(expected)

    def test_household_and_person_are_distinct_dimensions(self):
        """A count of households is never taken for a count of people."""
        with pytest.raises(ValueError, match="wrong dimension"):
            canonical("600 person", "household")


class TestCanonical:
    def test_plain_number_is_taken_in_the_canonical_unit(self):
        """A bare number means the field's canonical unit."""
        assert canonical(450, "m**2") == 450.0

    def test_wrong_dimension_names_both(self):
        """A wrong dimension says what was expected and what was given."""
        with pytest.raises(ValueError, match=r"expected a quantity in yuan/year.*got m \*\* 2"):
            canonical("20 m**2", "yuan/year")

    def test_unknown_unit(self):
        """An unknown unit is reported by name."""
        with pytest.raises(ValueError, match="unknown unit 'blorps'"):
            canonical("3 blorps", "km")

    @pytest.mark.parametrize("unit", ["».", "m**", "((", "1/"])
    def test_unit_text_that_breaks_the_parser_is_a_value_error(self, unit):
        """Any unit text pint cannot parse is an unknown unit, never another exception."""
        with pytest.raises(ValueError, match="unknown unit"):
            canonical(f"1{unit}", "m**2")

    @pytest.mark.parametrize("bad", ["abc", True, [1], float("nan")])
    def test_non_numbers_are_rejected(self, bad):
        """Text without a number, booleans, lists and NaN are not quantities."""
        with pytest.raises(ValueError):
            canonical(bad, "m**2")

    def test_foreign_registry_rejected(self):
        """Quantities from another registry are refused rather than silently mixed."""
        other = pint.UnitRegistry()
        with pytest.raises(ValueError, match="another unit registry"):
            canonical(other.Quantity(3, "m**2"), "m**2")

    def test_quantity_objects_convert(self):
        """A pint quantity of the library's registry converts like a string."""
        assert canonical(sg.Quantity(2, "wan_yuan/year"), "yuan/year") == 20_000
