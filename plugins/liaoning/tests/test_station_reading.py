"""The open reading of Liaoning's station rules: which area types 城市社区 covers is a parameter."""

import attrs

import shequ_gov as sg
from shequ_gov_liaoning import policy

RULE = "liaoning.facilities.service_station_area"


def _dataset(area_type):
    regions = [{"code": "21", "name": "辽宁省"}, {"code": "2102", "name": "大连市"},
               {"code": "210203", "name": "西岗区"}, {"code": "210203001", "name": "街道"}]
    comms = [{"code": "210203001001", "name": "社区", "area_type": area_type,
              "facilities": [{"kind": "service_housing", "area": 300}]}]
    return sg.Dataset.from_dict({"schema": "shequ-gov/1", "regions": regions, "communities": comms})


def _with_area_types(types):
    par = policy.parameters["station_area_types"]
    value = attrs.evolve(par.values[0], value=tuple(types))
    return attrs.evolve(policy, parameters={**policy.parameters, "station_area_types": attrs.evolve(
        par, values=(value,))})


def test_township_communities_are_not_urban_by_default():
    """By default a township community is outside the station rules, an urban one inside."""
    assert sg.evaluate(_dataset("township"), policy, as_of="2021-01-01").status("210203001001", RULE).value == \
        "not_applicable"
    assert sg.evaluate(_dataset("urban"), policy, as_of="2021-01-01").status("210203001001", RULE).value == "fail"


def test_the_parameter_brings_township_communities_in():
    """With township among station_area_types, a township community's 300 m² station fails the 400 m² standard."""
    changed = _with_area_types(["central_urban", "urban", "township"])
    r = sg.evaluate(_dataset("township"), changed, as_of="2021-01-01")
    assert r.status("210203001001", RULE).value == "fail"
    assert "station_area_types = central_urban, urban, township" in r.explain("210203001001", RULE)


def test_the_area_types_are_listed_among_the_parameters_in_force():
    """The explanation of a station verdict lists the reading in force."""
    text = sg.evaluate(_dataset("urban"), policy, as_of="2021-01-01").explain("210203001001", RULE)
    assert "station_area_types = central_urban, urban" in text
