"""The Report: findings, explanations, summaries and byte-identical exports."""

import csv
import io
import json

import pytest

import shequ_gov as sg


@pytest.fixture
def report(example_doc, toy_policy):
    example_doc["communities"][0]["facilities"][0]["area"] = 330
    return sg.evaluate(sg.Dataset.from_dict(example_doc), toy_policy, as_of="2023-01-01")


class TestFinding:
    def test_shortfall_of_a_failed_threshold(self, report):
        """A failed threshold carries measured, required, unit and shortfall."""
        f = report.finding("431302001001", "toy.area")
        assert (f.status, f.measured, f.required, f.unit, f.shortfall) == (sg.Status.FAIL, 330, 450, "m**2", 120)
        assert "needs 120 m² more" in f.message

    def test_unknown_names_the_missing_input(self, report):
        """An UNKNOWN verdict says which input is missing."""
        f = report.finding("431302001002", "toy.area")
        assert f.status is sg.Status.UNKNOWN and "service housing area" in f.message

    def test_unknown_rule_or_code(self, report):
        """Asking for an unknown rule suggests the closest; an unknown code is a KeyError."""
        with pytest.raises(KeyError, match="did you mean 'toy.area'"):
            report.status("431302001001", "toy.aera")
        with pytest.raises(KeyError, match="no region or community"):
            report.status("431302001099", "toy.area")


class TestExplain:
    def test_explains_a_failure_with_numbers_parameters_and_source(self, report):
        """explain() shows the inputs, the parameter in force with its reference, the shortfall and the quote."""
        text = report.explain("431302001001", "toy.area")
        for part in ("FAIL", "330 m²", "min_area = 450 m² (from 2022-01-01)", "“面积不低于450平方米”",
                     "needs 120 m² more", "测〔2020〕1号", "面积达标 / Area meets the standard"):
            assert part in text, part

    def test_names_each_offending_item(self, report):
        """A list rule's explanation names every offending record."""
        text = report.explain("431302001001", "toy.banned_tasks")
        assert "task “城市管理” / urban management" in text


class TestTables:
    def test_findings_table(self, report):
        """The findings table has one row per verdict with the documented columns."""
        t = report.findings
        assert len(t) == len(report) == 7
        assert list(t.columns) == ["code", "level", "policy", "rule", "strength", "status", "measured", "required",
                                   "unit", "shortfall"]
        row = next(r for r in t.rows() if r["rule"] == "toy.area" and r["code"] == "431302001001")
        assert row["status"] == "fail" and row["shortfall"] == 120

    def test_summary_counts_and_pass_rate(self, report):
        """summary() counts statuses per rule; per region with level=."""
        rows = {r["rule"]: r for r in report.summary().rows()}
        assert rows["toy.area"]["fail"] == 1 and rows["toy.area"]["unknown"] == 1
        assert rows["toy.area"]["pass_rate"] == 0.0
        by_district = list(report.summary(level="district").rows())
        assert {r["region"] for r in by_district} == {"431302000000"}
        assert {r["region_name"] for r in by_district} == {"娄星区"}


class TestExports:
    def test_json_is_versioned_and_deterministic(self, report, example_doc, toy_policy, tmp_path):
        """The JSON report has a schema and metadata, and identical input gives identical bytes."""
        doc = json.loads(report.to_json())
        assert doc["schema"] == "shequ-gov-report/1"
        meta = doc["metadata"]
        assert meta["as_of"] == "2023-01-01" and meta["mode"] == "jurisdiction"
        assert set(meta) >= {"library", "policies", "dataset_sha256"}
        assert meta["policies"]["toy"]["parameters_sha256"]
        example_doc["communities"][0]["facilities"][0]["area"] = 330
        again = sg.evaluate(sg.Dataset.from_dict(example_doc), toy_policy, as_of="2023-01-01")
        report.to_json(tmp_path / "a.json")
        again.to_json(tmp_path / "b.json")
        assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()

    def test_parameter_hash_changes_with_the_date(self, toy_policy):
        """The parameters' hash differs when another value is in force."""
        assert toy_policy.parameter_hash("2021-01-01") != toy_policy.parameter_hash("2023-01-01")

    def test_csv(self, report, tmp_path):
        """to_csv writes every verdict, atomically, readable back."""
        report.to_csv(tmp_path / "f.csv")
        rows = list(csv.DictReader(io.StringIO((tmp_path / "f.csv").read_text(encoding="utf-8"))))
        assert len(rows) == 7 and rows[0].keys() >= {"code", "rule", "status"}


def test_table_format_shows_rates_as_percentages(report):
    """Pass rates print as percentages, 100 % included."""
    from shequ_gov import Table

    text = Table({"rule": ["a", "b", "c"], "pass_rate": [0.0, 1.0, float("nan")]}).format()
    assert text.splitlines()[2:] == ["a     0.0%     ", "b     100.0%   ", "c              "]


def test_not_applicable_verdicts_carry_no_numbers(example_doc, toy_policy):
    """A verdict the rule did not reach (outside its area types) shows no measured or required value."""
    example_doc["communities"][0]["area_type"] = "rural"
    r = sg.evaluate(sg.Dataset.from_dict(example_doc), toy_policy, as_of="2023-01-01")
    f = r.finding("431302001001", "toy.area")
    assert f.status is sg.Status.NOT_APPLICABLE and f.measured is None and f.required is None
