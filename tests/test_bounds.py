"""Verdicts decided by every possible value of a missing input: ranges, keyed parameters, the laws over every rule."""

import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shequ_gov as sg
from shequ_gov.rules import Inputs, Range, Tri, at_least, at_most, compare, when
from shequ_gov.testing._fill import (
    check_known_verdicts_hold_for_every_missing_value, check_unknown_only_where_a_missing_category_could_change_it,
)

KEYED = '''
[policy]
id = "demo"
name = { zh = "示例", en = "demo" }
jurisdiction = ["4313"]

[sources.s]
title = "示例文件"

[parameters.funds_min]
description = { zh = "经费最低额", en = "minimum funds" }
unit = "yuan/year"
by = "area_type"
[[parameters.funds_min.values]]
from = 2016-01-01
value = { central_urban = "25 万元/year", urban = "20 万元/year", township = "10 万元/year", rural = "8 万元/year" }
source = "s"
quote = "经费"

[rules."demo.funds"]
title = { zh = "经费", en = "funds" }
level = "community"
kind = "requirement"
strength = "standard"
from = 2016-01-01
parameters = ["funds_min"]
[rules."demo.funds".citation]
source = "s"
quote = "经费"
'''


@sg.formula("demo.funds", increasing=["funding.operating"])
def _funds(c, p):
    """经费."""
    return at_least(c.number("funding.operating"), c.by_category(p.funds_min), unit="yuan/year")


def _keyed(text=KEYED):
    return sg._policy.policy_from_data(tomllib.loads(text), [_funds], source="p.toml")


def _dataset(*communities):
    regions = [{"code": "43", "name": "湖南省"}, {"code": "4313", "name": "娄底市"},
               {"code": "431302", "name": "娄星区"}, {"code": "431302001", "name": "街道"}]
    comms = [{"code": f"431302001{i + 1:03d}", "name": f"社区{i + 1}", **c} for i, c in enumerate(communities)]
    return sg.Dataset.from_dict({"schema": "shequ-gov/1", "regions": regions, "communities": comms})


class TestRange:
    def test_known_where_the_whole_range_agrees(self):
        """≥ a range: true above its top, false below its bottom, unknown inside or with NaN."""
        got = compare(np.array([26.0, 7.0, 12.0, 25.0, 8.0, np.nan]), Range(8.0, 25.0), ">=")
        assert got.states() == ["true", "false", "unknown", "true", "unknown", "unknown"]

    def test_a_measured_range_against_a_number(self):
        """A share known within bounds reaches a target where even the low bound does (the boundary included)."""
        low = np.array([0.8, 0.6, 0.6, np.nan, 0.79999999999])
        high = np.array([0.9, 0.7, 0.8, np.nan, 0.79999999999])
        assert at_least(Range(low, high), 0.8).result.states() == ["true", "false", "unknown", "unknown", "true"]

    def test_at_most_with_a_range_limit(self):
        """≤ a range: true below its bottom, false above its top."""
        assert at_most(np.array([5.0, 30.0, 15.0]), Range(10.0, 20.0)).result.states() == ["true", "false", "unknown"]

    def test_reported_values_are_the_bounds_the_verdict_rests_on(self):
        """A PASS shows the highest possible requirement, a FAIL the lowest, an unknown none."""
        o = at_least(np.array([26.0, 7.0, 12.0]), Range(np.array([8.0, 8.0, 8.0]), np.array([25.0, 25.0, 25.0])))
        assert o.required[:2].tolist() == [25.0, 8.0] and np.isnan(o.required[2])

    def test_either_spans_both_values_where_the_flag_is_missing(self):
        """Range.either picks by a known flag and spans both values where it is unknown."""
        flag = Tri(np.array([True, False, False]), np.array([True, True, False]))
        r = Range.either(flag, 600.0, 400.0)
        assert (r.low.tolist(), r.high.tolist()) == ([600.0, 400.0, 400.0], [600.0, 400.0, 600.0])

    @given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(0, 100)), min_size=1, max_size=20))
    def test_a_known_comparison_with_a_range_holds_for_every_value_in_it(self, rows):
        """Law: where measured ≥ Range(lo, hi) is known, measured ≥ v gives the same answer for lo, hi and between."""
        m = np.array([r[0] for r in rows])
        lo = np.array([min(r[1], r[2]) for r in rows])
        hi = np.array([max(r[1], r[2]) for r in rows])
        got = compare(m, Range(lo, hi), ">=")
        for v in (lo, hi, (lo + hi) / 2):
            exact = compare(m, v, ">=")
            assert np.all(~got.known | (got.value == exact.value))


class TestTri:
    def test_float_round_trip(self):
        """Tri → 1/0/NaN → Tri is the identity."""
        t = Tri(np.array([True, False, True]), np.array([True, True, False]))
        assert t.as_float().tolist()[:2] == [1.0, 0.0] and np.isnan(t.as_float()[2])
        assert Tri.from_float(t.as_float()).states() == t.states()

    def test_when_is_known_where_both_branches_agree(self):
        """when(unknown, a, b) is a where a and b are known and equal, unknown otherwise."""
        cond = Tri(np.array([True, False, False, False]), np.array([True, True, False, False]))
        a = Tri(np.array([True, True, True, True]))
        b = Tri(np.array([False, False, True, False]))
        assert when(cond, a, b).states() == ["true", "false", "true", "unknown"]


class TestKeyedParameter:
    def test_loaded_with_a_value_per_category(self):
        """A keyed parameter holds a ByCategory in its unit; its lookup gives each community its type's value."""
        pol = _keyed()
        v = pol.params("2024-01-01").funds_min
        assert isinstance(v, sg.ByCategory) and v["township"] == 100000 and (v.low, v.high) == (80000, 250000)
        r = Inputs(_dataset({"area_type": "rural"}, {}, {"area_type": "central_urban"})._st).by_category(v)
        assert r.low.tolist() == [80000, 80000, 250000] and r.high.tolist() == [80000, 250000, 250000]

    @pytest.mark.parametrize("funds, status", [(260000, "pass"), (250000, "pass"), (70000, "fail"),
                                               (100000, "unknown"), (None, "unknown")])
    def test_missing_category_decided_where_every_threshold_agrees(self, funds, status):
        """Without an area type, funds above every minimum pass, below every one fail, in between are unknown."""
        community = {"funding": {"operating": funds}} if funds is not None else {}
        r = sg.evaluate(_dataset(community), _keyed(), as_of="2024-01-01")
        assert r.status("431302001001", "demo.funds").value == status

    def test_explanation_lists_every_categorys_value(self):
        """The explanation's parameters in force show the value of each area type."""
        r = sg.evaluate(_dataset({"funding": {"operating": 260000}}), _keyed(), as_of="2024-01-01")
        text = r.explain("431302001001", "demo.funds")
        assert "funds_min = central_urban 250,000 yuan/year; urban 200,000 yuan/year" in text
        assert "260,000 yuan/year ≥ 250,000 yuan/year" in text

    def test_parse_takes_an_override_per_category(self):
        """Parameter.parse reads a value per category, as in the data file (for overrides)."""
        par = _keyed().parameters["funds_min"]
        v = par.parse({"central_urban": "30 万元/year", "urban": "20 万元/year", "township": "10 万元/year",
                       "rural": "8 万元/year"})
        assert v["central_urban"] == 300000 and v.by == "area_type"
        with pytest.raises(ValueError, match="no value for area_type 'rural'"):
            par.parse({"central_urban": "30 万元/year", "urban": "20 万元/year", "township": "10 万元/year"})

    @pytest.mark.parametrize("value, message", [
        ('{ urban = "20 万元/year" }', "no value for area_type 'central_urban'"),
        ('{ central_urban = 1, urban = 1, township = 1, rural = 1, city = 1 }', "unknown area_type 'city'"),
        ('"20 万元/year"', "expected a table with a value for each of"),
        ('{ central_urban = "2 m**2", urban = "1 yuan/year", township = "1 yuan/year", rural = "1 yuan/year" }',
         "central_urban"),
        ('{ central_urban = 1, urban = "1 yuan/year", township = "1 yuan/year", rural = "1 yuan/year" }',
         "without a unit"),
    ])
    def test_bad_keyed_values_are_named(self, value, message):
        """A keyed value missing a category, with an unknown one, not a table or in the wrong unit is a PolicyError."""
        text = KEYED.replace('value = { central_urban = "25 万元/year", urban = "20 万元/year", township = "10 万元/year", '
                             'rural = "8 万元/year" }', f"value = {value}")
        with pytest.raises(sg.PolicyError) as info:
            _keyed(text)
        (loc, msg), = info.value.problems
        assert loc.startswith("parameters.funds_min.values[0].value") and message in loc + msg

    def test_by_must_name_a_category(self):
        """by names a categorical community field."""
        with pytest.raises(sg.PolicyError, match="categorical community field"):
            _keyed(KEYED.replace('by = "area_type"', 'by = "households"'))

    def test_a_table_without_by_is_refused(self):
        """A table of values needs by."""
        with pytest.raises(sg.PolicyError, match="needs 'by'"):
            _keyed(KEYED.replace('by = "area_type"\n', ""))


class TestShares:
    def test_share_known_counts_only_known_values_and_share_range_bounds_the_rest(self):
        """Of 4 communities, 2 true, 1 false, 1 unknown: 2/3 among the known, between 1/2 and 3/4 in all."""
        c = Inputs(_dataset({}, {}, {}, {})._st)
        t = Tri(np.array([True, True, False, False]), np.array([True, True, True, False]))
        street = c.regions("street")
        share, n_known = street.share_known(t)
        assert share.tolist() == [pytest.approx(2 / 3)] and n_known.tolist() == [3.0]
        r = street.share_range(t)
        assert (r.low.tolist(), r.high.tolist()) == ([0.5], [0.75])
        assert at_least(r, 0.5).result.states() == ["true"] and at_least(r, 0.7).result.states() == ["unknown"]


class TestRegionRollUp:
    def test_count_children_by_code_level(self):
        """Streets are counted into the district whose code they extend, whatever its digits."""
        ds = sg.Dataset.from_dict({"schema": "shequ-gov/1", "regions": [
            {"code": "50", "name": "重庆市"}, {"code": "5001", "name": "市辖区"},
            {"code": "500154", "name": "开州区"}, {"code": "500101", "name": "万州区"},
            {"code": "500154001", "name": "a"}, {"code": "500154002", "name": "b"},
            {"code": "500101001", "name": "c"}], "communities": []})
        c = Inputs(ds._st)
        district = c.regions("district")
        got = dict(zip(district.codes.tolist(), district.children_count("street").tolist()))
        assert got == {500101000000: 1.0, 500154000000: 2.0}


@pytest.mark.parametrize("name", sg.policies.available())
@settings(max_examples=2, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_known_verdicts_hold_for_every_value_of_a_missing_input(name, seed):
    """Law, for every installed rule: filling missing inputs with values they could take never changes a known verdict."""
    check_known_verdicts_hold_for_every_missing_value(sg.policies.load(name), seed=seed, n=100)


@pytest.mark.parametrize("name", sg.policies.available())
@settings(max_examples=2, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_unknown_only_where_some_value_of_a_missing_category_changes_the_verdict(name, seed):
    """Law, for every installed rule: if every area type (or both values of a flag) gives one verdict, that is the verdict."""
    check_unknown_only_where_a_missing_category_could_change_it(sg.policies.load(name), seed=seed, n=100)
