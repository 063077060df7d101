"""Tests of the liaoning policy plug-in: the kit's checks (one line) and its case files
(cases/*.cases.yaml), then what a case file cannot express."""

from __future__ import annotations

import pytest

import shequ_gov as sg
from shequ_gov.testing import document, plugin_tests, sample_document
from shequ_gov_liaoning import policy

test_plugin = plugin_tests(policy)


def test_the_registry_gives_the_distribution_s_version():
    """The registry loads liaoning with the distribution's name and version."""
    loaded = sg.policies.load("liaoning")
    assert loaded.distribution == "shequ-gov-liaoning" and loaded.version == "0.2.0"


class TestMetadata:
    """What policy.toml declares, as the engine reads it."""

    def test_shenyang_rules_are_scoped_to_shenyang(self):
        """The three Shenyang caps carry scope 2101 and no other rule has a scope."""
        scoped = {r.id: r.scope for r in policy.rules if r.scope}
        assert scoped == {f"liaoning.shenyang.{k}": "210100000000" for k in ("ledgers", "certificates", "inspections")}

    def test_station_rules_apply_to_urban_communities(self):
        """Both service-station rules are limited to central urban and urban communities."""
        for rid in ("liaoning.facilities.service_station_area", "liaoning.facilities.service_station_share"):
            assert {a.value for a in policy.rule(rid).area_types} == {"central_urban", "urban"}

    def test_parameters_in_force(self):
        """The thresholds in force on the reply's date are the source's numbers, in canonical units."""
        p = policy.params("2020-11-16")
        assert p.service_station_min_area == 400.0
        assert (p.shenyang_max_ledgers, p.shenyang_max_certificates, p.shenyang_max_inspections) == (22, 22, 10)
        assert p.permanently_cancelled_certificates == 41
        assert p.reported_station_share == pytest.approx(0.872)


def _doc(communities, regions=None):
    """A document with *communities* (default codes 210101001001, …002) and the regions above them."""
    return document(communities, regions=regions, under="210101001")


class TestPay:
    """liaoning.staffing.pay_vs_average_wage beyond its case file."""

    def test_annual_pay_is_twelve_months_from_the_unit_registry(self):
        """Monthly pay is turned into annual pay with the registry's 12 months a year."""
        from shequ_gov_liaoning.staffing import MONTHLY_TO_ANNUAL

        assert MONTHLY_TO_ANNUAL == pytest.approx(12.0)

    def test_explanation_names_the_city_wage_and_the_lowest_pay(self):
        """A failing community's explanation shows the lowest annual pay and the city's wage."""
        ds = sg.Dataset.from_dict(_doc(
            [{"code": "210102001001", "staff": [{"roles": ["worker"], "monthly_pay": "4000 yuan/month"},
                                                {"roles": ["director"], "monthly_pay": "7000 yuan/month"}]}],
            {"2101": {"average_annual_wage": "60000 yuan/year"}}))
        report = sg.evaluate(ds, policy, as_of="2021-06-30")
        text = report.explain("210102001001", "liaoning.staffing.pay_vs_average_wage")
        assert "FAIL" in text and "48,000 yuan/year" in text and "60,000 yuan/year" in text

    def test_each_city_is_judged_against_its_own_wage(self):
        """Communities of two cities with the same pay get verdicts from their own city's wage."""
        staff = [{"roles": ["worker"], "monthly_pay": "5500 yuan/month"}]
        ds = sg.Dataset.from_dict(_doc(
            [{"code": "210102001001", "staff": staff}, {"code": "210203001001", "staff": staff},
             {"code": "210302001001", "staff": staff}],
            {"2101": {"average_annual_wage": "60000 yuan/year"}, "2102": {"average_annual_wage": "70000 yuan/year"}}))
        report = sg.evaluate(ds, policy, as_of="2021-06-30")
        rid = "liaoning.staffing.pay_vs_average_wage"
        assert [report.status(c, rid).value for c in ("210102001001", "210203001001", "210302001001")] == \
            ["pass", "fail", "unknown"]


class TestStationShare:
    """liaoning.facilities.service_station_share beyond its case file."""

    def test_share_matches_a_plain_count_on_a_large_sample(self):
        """On a varied sample the measured share equals meeting / urban counted, where every input is known."""
        doc = sample_document(("21",), n=400, seed=11)
        # make every urban community's station area known, so the share is certain
        for c in doc["communities"]:
            c["area_type"] = c.get("area_type") or "rural"
            c["facilities"] = [f for f in (c.get("facilities") or []) if f.get("kind") != "service_housing"]
            c["facilities"].append({"kind": "service_housing", "area": 300 + (int(c["code"][-3:]) * 37) % 250})
        ds = sg.Dataset.from_dict(doc)
        report = sg.evaluate(ds, policy, as_of="2022-01-01")
        inside = [c for c in doc["communities"] if c["code"].startswith("21")
                  and c["area_type"] in ("central_urban", "urban")]
        expected = sum(f["area"] >= 400 for c in inside for f in c["facilities"] if f["kind"] == "service_housing") \
            / len(inside)
        f = report.finding("21", "liaoning.facilities.service_station_share")
        assert f.status is sg.Status.MEASURED
        assert f.measured == pytest.approx(expected)

    def test_missing_areas_are_left_out_and_the_bounds_shown(self):
        """A station whose area is missing is left out of the share; the explanation counts it and gives both bounds."""
        ds = sg.Dataset.from_dict(_doc([
            {"area_type": "urban", "facilities": [{"kind": "service_housing", "area": 500}]},
            {"code": "210101001002", "area_type": "urban", "facilities": [{"kind": "service_housing"}]},
        ]))
        report = sg.evaluate(ds, policy, as_of="2022-01-01")
        text = report.explain("21", "liaoning.facilities.service_station_share")
        f = report.finding("21", "liaoning.facilities.service_station_share")
        assert f.status is sg.Status.MEASURED and f.measured == 1
        assert "lower bound" in text and "upper bound" in text and "data missing / 数据缺失未计入: 1" in text


class TestTasks:
    """Task rules and whole-dataset runs."""

    def test_explanation_names_the_offending_task(self):
        """A failing task rule names the task that offends, in Chinese and English."""
        ds = sg.Dataset.from_dict(_doc([{"tasks": [
            {"kind": "elderly_visits", "role": "self"},
            {"kind": "urban_management", "role": "responsible"}]}]))
        report = sg.evaluate(ds, policy, as_of="2021-01-01")
        text = report.explain("210101001001", "liaoning.tasks.not_responsible_subject")
        offending = text.split("offending tasks")[1].split("Source")[0]
        assert "城市管理" in offending and "urban management" in offending and "elderly" not in offending

    def test_rules_run_once_over_many_communities(self):
        """A 2,000-community sample is judged by every rule with no ERROR verdict."""
        ds = sg.Dataset.from_dict(sample_document(("21",), n=2000, seed=3))
        report = sg.evaluate(ds, policy, as_of="2022-01-01", mode="what-if")
        statuses = set(report.findings.columns["status"].tolist())
        assert "error" not in statuses and {"pass", "fail", "unknown"} <= statuses
