"""A hierarchy that skips a level: streets directly under a city (东莞 4419, 中山 4420, 儋州 4604).

Decision (documented in ``RegionInputs`` and docs/evaluation): a unit below a skipped level
belongs to no region of that level. Such a city is not a district, so a district-level rule gives
it no verdict, and its communities and streets count in no district's aggregate.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov._vocab import S_ERROR
from shequ_gov.rules import Inputs
from shequ_gov.testing import document


def _mixed() -> sg.Dataset:
    """Two streets of Kaizhou district (500154) and two streets directly under 东莞 (4419)."""
    comms = [
        {"code": "500154001001", "area_type": "urban", "households": 900},
        {"code": "500154002001", "area_type": "rural", "households": 400},
        {"code": "441900003001", "area_type": "urban", "households": 1200},
        {"code": "441900004001", "area_type": "rural", "households": 300},
    ]
    regions = {"500154000000": {"incubation_base": True, "social_work_agencies": 4},
               "500154001000": {"incubation_base": True}, "500154002000": {"incubation_base": False},
               "441900003000": {"incubation_base": True}, "441900004000": {"incubation_base": True},
               "441900000000": {"average_annual_wage": "90000 yuan/year"}}
    return sg.Dataset.from_dict(document(comms, regions=regions))


def test_region_aggregates_leave_out_units_under_a_skipped_level():
    """Communities and streets of 东莞 count in no district; its city and province include them."""
    c = Inputs(_mixed()._st)
    district = c.regions("district")
    assert district.codes.tolist() == [500154000000]
    assert c.codes.tolist()[0] == 441900003001  # rows in code order: 东莞 first
    assert district.of_community.tolist() == [-1, -1, 0, 0]
    assert district.count(np.ones(4, bool)).tolist() == [2.0]
    assert district.children_count("street").tolist() == [2.0]
    low, high, total = district.share(sg.rules.Tri.true(4))
    assert (low.tolist(), high.tolist(), total.tolist()) == ([1.0], [1.0], [2.0])
    city = c.regions("city")
    assert city.count(np.ones(4, bool)).tolist() == [2.0, 2.0]
    # no district above 东莞's communities: a district value is missing, the city's is there
    assert np.isnan(c.ancestor_value("district", "average_annual_wage")).all()
    assert c.ancestor_value("city", "average_annual_wage")[:2].tolist() == [90000.0, 90000.0]


@pytest.mark.parametrize("mode", ["jurisdiction", "what-if"])
def test_district_rules_over_a_city_without_districts_give_no_error(mode):
    """Kaizhou's district rules judge 500154 only (its street 002 lacks a base: FAIL), 东莞 gets no verdict."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = sg.evaluate(_mixed(), "kaizhou", as_of="2024-06-30", mode=mode)
    assert report.status("500154", "kaizhou.social_orgs.incubation_bases") is sg.Status.FAIL
    f = report.finding("500154", "kaizhou.social_orgs.incubation_bases")
    assert f.status is sg.Status.FAIL
    for b in report._blocks:
        assert not (b.status == S_ERROR).any(), b.rule.id
        if b.rule.level is sg.Level.DISTRICT:
            assert b.codes.tolist() == [500154000000]
    with pytest.raises(KeyError):
        report.status("441900000000", "kaizhou.social_orgs.incubation_bases")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["jurisdiction", "what-if"])
def test_the_real_division_list_evaluates_without_error_verdicts(china, mode):
    """Every installed policy over all 620,572 real communities (77 streets under cities without
    districts among them): no rule raises, no ERROR verdict."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = sg.evaluate(china, as_of="2024-06-30", mode=mode)
    errors = {b.rule.id: int(((b.status == S_ERROR) & b.included).sum()) for b in report._blocks}
    assert {k: v for k, v in errors.items() if v} == {}
    assert not [w for w in caught if issubclass(w.category, sg.RuleErrorWarning)]
    assert len(report._blocks) == sum(len(sg.policies.load(p).rules) for p in sg.policies.available())
