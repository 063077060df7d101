"""Tests of the loudi policy plug-in: the kit's checks (one line) and its case files (cases/*.cases.yaml),
then what a case file cannot say: explanations naming offenders, thresholds read from the data
file, the run-length helper, and whole-column evaluation of many communities at once.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np

import shequ_gov as sg
from shequ_gov.testing import normalise_text, plugin_tests, source_dirs
from shequ_gov_loudi import facilities, funding, governance, grid, pay, plaques, policy, staffing
from shequ_gov_loudi.staffing import run_lengths

POLICY_TOML = Path(__file__).resolve().parents[1] / "src" / "shequ_gov_loudi" / "policy.toml"
MODULES = [grid, facilities, plaques, staffing, funding, pay, governance]

test_plugin = plugin_tests(policy)


class TestMetadata:
    def test_the_document_number_is_as_printed(self):
        """The reply's number is found in its text."""
        src = policy.sources["loudi_2018"]
        text = next(d / src.file for d in source_dirs(policy) if (d / src.file).is_file()).read_text(encoding="utf-8")
        assert normalise_text(src.number) in normalise_text(text)

    def test_villages_are_outside_the_rules_the_source_limits_to_communities(self):
        """Grid, dismissal and pay rules exclude rural areas (SOURCE_NOTES: the source wins over "all")."""
        for rid in ("loudi.grid.size", "loudi.staffing.incompetent_dismissed", "loudi.pay.base"):
            assert sg.AreaType.RURAL not in policy.rule(rid).area_types
        assert policy.rule("loudi.funding.operating").area_types is None


def _dataset(*communities, street="431302001"):
    regions = [{"code": "43", "name": "湖南省"}, {"code": "4313", "name": "娄底市"},
               {"code": street[:6], "name": "娄星区"}, {"code": street, "name": "街道"}]
    comms = [{"code": f"{street}{i + 1:03d}", "name": f"社区{i + 1}", **c} for i, c in enumerate(communities)]
    return sg.Dataset.from_dict({"schema": "shequ-gov/1", "regions": regions, "communities": comms})


class TestExplanations:
    def test_offending_plaques_are_named(self):
        """The explanation of a plaque failure names the other organisation's plaque."""
        ds = _dataset({"area_type": "urban", "plaques": ["party_org", "老年协会"]})
        text = sg.evaluate(ds, "loudi", as_of="2024-01-01").explain("431302001001", "loudi.plaques.only_three")
        assert "FAIL" in text and "老年协会" in text and "party organisation" not in text.split("offending")[-1]

    def test_underpaid_members_are_named_with_their_pay(self):
        """The explanation of a pay failure names the member below the floor and their pay."""
        ds = _dataset({"area_type": "urban", "staff": [
            {"roles": ["secretary", "director"], "monthly_pay": 1600},
            {"roles": ["committee_member"], "monthly_pay": 1100},
            {"roles": ["worker"], "monthly_pay": 900}]})
        text = sg.evaluate(ds, "loudi", as_of="2024-01-01").explain("431302001001", "loudi.pay.base")
        offending = text.split("offending staff")[-1]
        assert "委员" in offending and "1,100 yuan/month" in offending
        assert "1,600" not in offending and "900" not in offending

    def test_incompetent_members_are_named(self):
        """The explanation of a dismissal failure names the member rated incompetent twice running."""
        ds = _dataset({"area_type": "urban", "staff": [
            {"roles": ["director"], "ratings": {"2020": "competent", "2021": "competent"}},
            {"roles": ["deputy_director"], "ratings": {"2020": "incompetent", "2021": "incompetent"}}]})
        text = sg.evaluate(ds, "loudi", as_of="2024-01-01").explain(
            "431302001001", "loudi.staffing.incompetent_dismissed")
        assert "staff member #2 (副主任)" in text and "#1" not in text.split("offending staff")[-1]

    def test_unknown_housing_names_the_missing_new_build_flag(self):
        """Between 400 and 600 m² with new_build missing, the message names the missing flag."""
        ds = _dataset({"area_type": "urban", "facilities": [{"kind": "service_housing", "area": 500}]})
        f = sg.evaluate(ds, "loudi", as_of="2024-01-01").finding(
            "431302001001", "loudi.facilities.service_housing_area")
        assert f.status is sg.Status.UNKNOWN and "新建社区" in f.message

    def test_staffing_shortfall_shows_required_number(self):
        """A staffing failure reports the staff count and the required number."""
        ds = _dataset({"area_type": "central_urban", "households": 1500, "staff": [{"roles": ["worker"]}] * 7})
        f = sg.evaluate(ds, "loudi", as_of="2024-01-01").finding("431302001001", "loudi.staffing.ratio")
        assert (f.status, f.measured, f.required) == (sg.Status.FAIL, 7.0, 8.0)


def _policy_with(tmp_path, **changes):
    """The loudi policy with some parameter values replaced (first dated value), loaded from a copy of its data file."""
    text = POLICY_TOML.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for name, value in changes.items():
        old = data["parameters"][name]["values"][0]["value"]
        pattern = re.compile(rf"(\[\[parameters\.{name}\.values\]\]\nfrom = [0-9-]+\nvalue = ){re.escape(_toml(old))}")
        text, n = pattern.subn(lambda m: m.group(1) + _toml(value), text)
        assert n == 1, name
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return sg.Policy.from_toml(path, MODULES)


def _toml(v):
    return f'"{v}"' if isinstance(v, str) else repr(v)


class TestParameters:
    def test_thresholds_come_from_the_data_file(self, tmp_path):
        """Changing staff_max and households_per_worker in policy.toml changes the staffing verdicts."""
        changed = _policy_with(tmp_path, staff_max="10 worker", households_per_worker="150 household")
        ds = _dataset({"area_type": "urban", "households": 1500, "staff": [{"roles": ["worker"]}] * 10},
                      {"area_type": "urban", "households": 1500, "staff": [{"roles": ["worker"]}] * 8})
        before = sg.evaluate(ds, policy, as_of="2024-01-01")
        after = sg.evaluate(ds, changed, as_of="2024-01-01")
        rid = "loudi.staffing.ratio"
        assert [before.status(c, rid).value for c in ("431302001001", "431302001002")] == ["fail", "pass"]
        assert [after.status(c, rid).value for c in ("431302001001", "431302001002")] == ["pass", "fail"]

    def test_three_incompetent_years_when_the_parameter_says_three(self, tmp_path):
        """With incompetent_consecutive_years = 3, two incompetent years pass and three fail."""
        changed = _policy_with(tmp_path, incompetent_consecutive_years=3)
        ds = _dataset(
            {"area_type": "urban", "staff": [{"ratings": {"2020": "incompetent", "2021": "incompetent"}}]},
            {"area_type": "urban", "staff": [{"ratings": {"2019": "incompetent", "2020": "incompetent",
                                                          "2021": "incompetent"}}]})
        r = sg.evaluate(ds, changed, as_of="2024-01-01")
        rid = "loudi.staffing.incompetent_dismissed"
        assert [r.status(c, rid).value for c in ("431302001001", "431302001002")] == ["pass", "fail"]

    def test_grid_tolerance_is_a_parameter(self, tmp_path):
        """With no tolerance, 210 households and 630 people a grid fail; with 0.25 they pass."""
        changed = _policy_with(tmp_path, grid_tolerance=0.0)
        ds = _dataset({"area_type": "urban", "households": 2100, "population": 6300, "grids": 10})
        rid = "loudi.grid.size"
        assert sg.evaluate(ds, policy, as_of="2024-01-01").status("431302001001", rid) is sg.Status.PASS
        assert sg.evaluate(ds, changed, as_of="2024-01-01").status("431302001001", rid) is sg.Status.FAIL


class TestHelpers:
    def test_runs_restart_on_a_gap_or_a_new_owner(self):
        """Run lengths count consecutive years of flagged rows per owner."""
        owner = np.array([0, 0, 0, 0, 1, 1, 2, 2])
        year = np.array([2015, 2016, 2017, 2019, 2016, 2017, 2016, 2018])
        assert run_lengths(owner, year).tolist() == [1, 2, 3, 1, 1, 2, 1, 1]

    def test_empty_table_has_no_runs(self):
        """An empty ratings table has no runs."""
        assert run_lengths(np.zeros(0, np.int32), np.zeros(0, np.int16)).tolist() == []

    def test_keys_present_counts_each_key_once_per_community(self):
        """Duplicate rooms count once; unlisted kinds are ignored; a missing list has none."""
        ds = _dataset({"facilities": [{"kind": "office"}, {"kind": "office"}, {"kind": "elderly_care"}]},
                      {"facilities": [{"kind": "police_room"}, {"kind": "office"}]},
                      {})
        from shequ_gov.rules import Inputs

        c = Inputs(ds._st)
        got = c.facilities.keys_present(["office", "police_room", "charity_supermarket"])
        assert got.tolist() == [[True, False, False], [True, True, False], [False, False, False]]


class TestWholeColumns:
    def test_many_communities_at_once_match_their_cases(self):
        """One evaluation over a mixed batch gives each community the verdict it gets alone."""
        batch = [
            {"area_type": "central_urban", "households": 1500, "staff": [{"roles": ["worker"]}] * 8},
            {"area_type": "central_urban", "households": 1500, "staff": [{"roles": ["worker"]}] * 7},
            {"area_type": "urban", "households": 2400, "staff": [{"roles": ["worker"]}] * 10},
            {"area_type": "rural", "households": 600, "staff": []},
            {"area_type": "township", "staff": [{"roles": ["worker"]}] * 9},
            {"area_type": "urban", "households": 600},
        ]
        r = sg.evaluate(_dataset(*batch), "loudi", as_of="2024-01-01")
        got = [r.status(f"431302001{i + 1:03d}", "loudi.staffing.ratio").value for i in range(len(batch))]
        assert got == ["pass", "fail", "fail", "not_applicable", "pass", "unknown"]

    def test_every_rule_passes_fails_and_is_unknown_somewhere_on_generated_data(self):
        """On the conformance kit's sample data no rule raises, and each meets PASS, FAIL and UNKNOWN."""
        from shequ_gov.testing import check_every_verdict_reached

        assert all(r.level is sg.Level.COMMUNITY for r in policy.rules)
        check_every_verdict_reached(policy)
