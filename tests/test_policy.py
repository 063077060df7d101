"""Loading policies from data files: every problem named with its file and key."""

import datetime as dt
import tomllib
from pathlib import Path

import pytest

import shequ_gov as sg
import toy_rules

TOY_TOML = Path(__file__).parent / "data" / "toy_policy.toml"


def load_text(text, formulas=(toy_rules,)):
    return sg._policy.policy_from_data(tomllib.loads(text), formulas, source="p.toml")


def problems(text, formulas=(toy_rules,)):
    with pytest.raises(sg.PolicyError) as info:
        load_text(text, formulas)
    return info.value.problems


@pytest.fixture
def toml():
    return TOY_TOML.read_text(encoding="utf-8")


class TestParameters:
    def test_value_in_force_by_date(self, toy_policy):
        """The value in force is the last one started on or before the date."""
        p = toy_policy.parameters["min_area"]
        assert p.at("2019-12-31") is None
        assert p.at(dt.date(2021, 6, 1)) == 400
        assert p.at("2022-01-01") == 450
        assert p.entry(dt.date(2030, 1, 1)).citation.quote == "面积不低于450平方米"

    def test_list_values_are_tuples(self, toy_policy):
        """A list parameter holds a tuple of keys."""
        assert toy_policy.params("2024-01-01").banned == ("urban_management", "demolition")

    def test_typo_in_parameter_name(self, toy_policy):
        """p.<typo> suggests the parameter meant."""
        with pytest.raises(AttributeError, match="did you mean 'min_area'"):
            toy_policy.params("2024-01-01").min_aera


class TestLoadingErrors:
    def test_unknown_key(self, toml):
        """An unknown key is named with its table and the closest key."""
        (loc, msg), = problems(toml.replace('unit = "m**2"', 'unit = "m**2"\nunits = "m**2"', 1))
        assert loc == "parameters.min_area.units" and "did you mean 'unit'" in msg

    def test_value_without_unit(self, toml):
        """A dimensional parameter's value must carry its unit."""
        (loc, msg), *_ = problems(toml.replace('value = "400 m**2"', "value = 400"))
        assert loc == "parameters.min_area.values[0].value" and "without a unit" in msg

    def test_wrong_dimension(self, toml):
        """A value of the wrong dimension is refused."""
        (loc, msg), *_ = problems(toml.replace('value = "400 m**2"', 'value = "400 yuan"'))
        assert loc == "parameters.min_area.values[0].value" and "wrong dimension" in msg

    def test_unsorted_or_duplicate_dates(self, toml):
        """Values must be in strictly increasing date order."""
        probs = problems(toml.replace("from = 2022-01-01", "from = 2020-01-01"))
        assert ("parameters.min_area.values", probs[0][1]) in probs and "strictly increasing" in probs[0][1]

    def test_value_without_citation(self, toml):
        """Every value needs a source and a quote."""
        (loc, msg), = problems(toml.replace('quote = "面积不低于450平方米"', 'quote = ""'))
        assert loc == "parameters.min_area.values[1].quote"

    def test_rule_without_citation(self, toml):
        """Every rule needs a citation."""
        text = toml.replace('citation = { source = "doc", quote = "户数" }', "")
        assert ("rules.toy.households.citation", "required key is missing") in problems(text)

    def test_duplicate_rule_id(self, toml):
        """The same rule twice is refused (TOML itself forbids the repeated table)."""
        text = toml + '\n[rules."toy.area"]\ntitle = { zh = "x", en = "x" }\n'
        (loc, msg), = [(l, m) for l, m in _toml_problems(text)]
        assert "malformed TOML" in msg and "toy.area" in msg

    def test_rule_without_function_and_function_without_rule(self, toml):
        """Data and code must match: a missing @formula and a stray one are both named."""
        text = toml.replace('[rules."toy.households"]', '[rules."toy.households_x"]').replace(
            'citation = { source = "doc", quote = "户数" }', 'citation = { source = "doc", quote = "户数" }', 1)
        locs = {loc for loc, _ in problems(text)}
        assert {"rules.toy.households_x", "rules.toy.households"} <= locs

    def test_all_problems_at_once(self, toml):
        """Several problems are reported together."""
        text = toml.replace('level = "district"', 'level = "county"').replace('strength = "mandatory"',
                                                                              'strength = "strict"')
        locs = [loc for loc, _ in problems(text)]
        assert "rules.toy.area_share.level" in locs and "rules.toy.banned_tasks.strength" in locs

    def test_scope_outside_jurisdiction(self, toml):
        """A rule's scope must lie inside the policy's jurisdiction."""
        text = toml.replace('area_types = ["central_urban", "urban"]', 'area_types = ["central_urban", "urban"]\n'
                                                                      'scope = "2101"')
        assert any("outside the policy's jurisdiction" in m for _, m in problems(text))

    def test_file_errors_name_the_file(self, tmp_path):
        """A missing or malformed file is a PolicyError naming it."""
        with pytest.raises(sg.PolicyError, match="cannot read"):
            sg.Policy.from_toml(tmp_path / "none.toml")
        bad = tmp_path / "bad.toml"
        bad.write_text("[policy\n")
        with pytest.raises(sg.PolicyError, match="malformed TOML"):
            sg.Policy.from_toml(bad)


def _toml_problems(text):
    p = Path(__import__("tempfile").mkdtemp()) / "p.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(sg.PolicyError) as info:
        sg.Policy.from_toml(p, [toy_rules])
    return info.value.problems
