"""Reforms (Policy.with_parameters), comparisons of two reports, parameter sweeps, case-file reforms."""

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, strategies as st

import shequ_gov as sg
from shequ_gov.testing import load_cases, run_case
from shequ_gov.testing import datasets

AS_OF = "2024-01-01"


@pytest.fixture(scope="module")
def city():
    return sg.synth.generate(600, seed=5)


@pytest.fixture(scope="module")
def loudi():
    return sg.policies.load("loudi")


def _counts(report, rule_id):
    """Status counts of the subjects the report judges (as its summary counts them)."""
    return {st.value: n for st, n in report.verdicts(rule_id).counts().items()}


class TestWithParameters:
    def test_new_policy_original_untouched(self, loudi):
        """A reform is a new policy; the original keeps its values and its parameter objects."""
        before = loudi.parameters["service_housing_min_area"]
        reform = loudi.with_parameters({"service_housing_min_area": "350 m**2"}, reason="why not")
        assert reform is not loudi
        assert loudi.parameters["service_housing_min_area"] is before
        assert loudi.params(AS_OF).service_housing_min_area == 400
        assert reform.params(AS_OF).service_housing_min_area == 350
        assert reform.params(AS_OF).staff_min == loudi.params(AS_OF).staff_min

    def test_cheap_everything_else_shared(self, loudi):
        """Rules, sources and unchanged parameters are the same objects: no deep copy."""
        reform = loudi.with_parameters({"service_housing_min_area": "350 m**2"}, reason="r")
        assert reform.rules is loudi.rules and reform.sources is loudi.sources
        assert all(reform.parameters[n] is p for n, p in loudi.parameters.items() if n != "service_housing_min_area")

    def test_units_converted(self, loudi):
        """A value in another unit of the same dimension is converted to the parameter's unit."""
        reform = loudi.with_parameters({"service_housing_min_area": "0.035 hectare"}, reason="r")
        assert reform.params(AS_OF).service_housing_min_area == 350
        q = sg.ureg.Quantity(20, "万元/year")
        reform = loudi.with_parameters({"benefit_project_funds_min": q}, reason="r")
        assert reform.params(AS_OF).benefit_project_funds_min == 200000
        keyed = {"central_urban": "26 万元/year", "urban": "20 万元/year", "township": q, "rural": "8 万元/year"}
        reform = loudi.with_parameters({"operating_funds_min": keyed}, reason="r")  # a value per area type
        assert dict(reform.params(AS_OF).operating_funds_min) == {"central_urban": 260000, "urban": 200000,
                                                                   "township": 200000, "rural": 80000}

    def test_from_date_keeps_earlier_values(self, toy_policy):
        """With from_, earlier dated values stay in force before it; the reform applies from it on."""
        reform = toy_policy.with_parameters({"min_area": "500 m**2"}, from_="2023-01-01", reason="r")
        par = reform.parameters["min_area"]
        assert par.at("2021-06-01") == 400 and par.at("2022-06-01") == 450 and par.at("2023-01-01") == 500
        always = toy_policy.with_parameters({"min_area": "500 m**2"}, reason="r")
        assert always.parameters["min_area"].at("2020-06-01") == 500

    def test_unknown_parameter_and_wrong_dimension_all_at_once(self, loudi):
        """Every problem is named in one PolicyError, an unknown name with a did-you-mean."""
        with pytest.raises(sg.PolicyError) as info:
            loudi.with_parameters({"service_housing_min_aera": "350 m**2", "staff_min": "3 m**2",
                                   "grid_households": 200, "allowed_plaques": 3}, reason="r")
        text = str(info.value)
        assert len(info.value.problems) == 4
        assert "did you mean 'service_housing_min_area'" in text
        assert "wrong dimension" in text and "staff_min" in text
        assert 'write it as "200 household"' in text
        assert "allowed_plaques" in text

    def test_a_reason_is_required(self, loudi):
        """A reform without a reason is refused."""
        with pytest.raises(sg.PolicyError, match="needs a reason"):
            loudi.with_parameters({"service_housing_min_area": "350 m**2"}, reason=" ")

    def test_list_parameter_takes_a_list(self, loudi):
        """A list-valued parameter takes a list of keys."""
        reform = loudi.with_parameters({"allowed_plaques": ["party_org"]}, reason="r")
        assert reform.params(AS_OF).allowed_plaques == ("party_org",)

    def test_reforms_stack_and_remember_the_source(self, loudi):
        """A reform of a reform still shows the plug-in's own value as the source's."""
        twice = loudi.with_parameters({"service_housing_min_area": "350 m**2"}, reason="a") \
            .with_parameters({"service_housing_min_area": "300 m**2"}, reason="b", label="second")
        (r,) = twice.reforms.values()
        assert r.label == "second" and r.replaces is loudi.parameters["service_housing_min_area"]

    def test_explanation_says_the_value_comes_from_the_reform(self, city, loudi):
        """The explanation names the reform and its reason, and still shows what the source says."""
        reform = loudi.with_parameters({"service_housing_min_area": "350 m**2"}, reason="a cheaper standard",
                                       label="350")
        rep = sg.evaluate(city, reform, as_of=AS_OF, mode="what-if")
        rid = "loudi.facilities.service_housing_area"
        code = next(r["code"] for r in rep.findings if r["rule"] == rid and r["status"] == "pass")
        text = rep.explain(code, rid)
        assert "service_housing_min_area = 350 m² (always" in text
        assert "a cheaper standard" in text and "not from the source" in text
        assert "the source says / 原文: 400 m²" in text
        other = rep.explain(code, "loudi.staffing.ratio")
        assert "Under a reform" in other

    def test_report_metadata_names_the_reform(self, city, loudi):
        """The report's metadata lists the reformed parameters; a baseline report has none."""
        reform = loudi.with_parameters({"service_housing_min_area": "350 m**2"}, reason="why", label="l",
                                       from_="2020-01-01")
        meta = sg.evaluate(city, reform, as_of=AS_OF).metadata()["policies"]["loudi"]
        assert meta["reforms"] == {"service_housing_min_area": {"label": "l", "reason": "why", "from": "2020-01-01"}}
        assert "reforms" not in sg.evaluate(city, loudi, as_of=AS_OF).metadata()["policies"]["loudi"]


@pytest.fixture(scope="module")
def cmp(city, loudi):
    reform = loudi.with_parameters({"service_housing_min_area": "350 m**2"}, reason="r")
    return sg.compare(sg.evaluate(city, loudi, as_of=AS_OF, mode="what-if"),
                      sg.evaluate(city, reform, as_of=AS_OF, mode="what-if"))


class TestCompare:

    def test_transitions_columns_and_totals(self, cmp):
        """transitions() has rule/from/to/count; per rule the counts add up to the subjects judged."""
        t = cmp.transitions()
        assert list(t.columns) == ["rule", "from", "to", "count"]
        rid = "loudi.facilities.service_housing_area"
        rows = [r for r in t if r["rule"] == rid]
        assert sum(r["count"] for r in rows) == len(cmp.baseline.dataset)  # what-if: every community
        base = _counts(cmp.baseline, rid)
        assert sum(r["count"] for r in rows if r["from"] == "fail") == base["fail"]

    def test_lowering_a_minimum_only_moves_fail_towards_pass(self, cmp):
        """With a lower minimum only FAIL verdicts change (to PASS, or to UNKNOWN where the community's
        new-build status decides), and only in the rule reading it."""
        t = cmp.transitions(changed_only=True)
        assert set(t.columns["rule"]) == {"loudi.facilities.service_housing_area"}
        assert set(t.columns["from"]) == {"fail"} and set(t.columns["to"]) <= {"pass", "unknown"}
        assert dict(zip(t.columns["to"], t.columns["count"]))["pass"] > 0

    def test_changed_lists_exactly_the_changed_subjects(self, cmp):
        """changed() has code/rule/from/to, one row per verdict that differs, with both explanations."""
        ch = cmp.changed()
        assert list(ch.columns) == ["code", "rule", "from", "to"]
        assert len(ch) == sum(cmp.transitions(changed_only=True).columns["count"])
        for row in ch:
            assert cmp.baseline.status(row["code"], row["rule"]).value == row["from"]
            assert cmp.reform.status(row["code"], row["rule"]).value == row["to"]
        text = cmp.explain(row["code"], row["rule"])
        assert "baseline" in text and "reform" in text and "400 m²" in text and "350 m²" in text
        assert len(cmp.changed("loudi.staffing.ratio")) == 0

    def test_summary_by_region_adds_up(self, cmp):
        """Per-district changes add up to the rule's total; pass rates rise where anything changed."""
        rid = "loudi.facilities.service_housing_area"
        whole = next(r for r in cmp.summary() if r["rule"] == rid)
        per = [r for r in cmp.summary(level="district") if r["rule"] == rid]
        assert sum(r["changed"] for r in per) == whole["changed"] >= whole["fail_to_pass"] > 0
        assert sum(r["fail_to_pass"] for r in per) == whole["fail_to_pass"]
        assert sum(r["reform_pass"] for r in per) == whole["reform_pass"]
        assert all(r["pass_rate_change"] >= 0 for r in per)

    def test_json_is_deterministic_and_complete(self, cmp, tmp_path):
        """to_json gives the same bytes twice and holds transitions, summary and every change."""
        text = cmp.to_json()
        assert text == cmp.to_json()
        doc = json.loads(text)
        assert doc["schema"] == "shequ-gov-comparison/1"
        assert len(doc["changed"]) == len(cmp.changed())
        cmp.to_json(tmp_path / "c.json")
        assert (tmp_path / "c.json").read_text(encoding="utf-8") == text

    def test_different_datasets_are_refused(self, city, loudi):
        """Comparing reports over different datasets is an error."""
        other = sg.synth.generate(600, seed=6)
        with pytest.raises(ValueError, match="different datasets"):
            sg.compare(sg.evaluate(city, loudi, as_of=AS_OF), sg.evaluate(other, loudi, as_of=AS_OF))

    def test_unknown_rule_has_a_hint(self, cmp):
        """An unknown rule id gets a did-you-mean."""
        with pytest.raises(KeyError, match="did you mean"):
            cmp.transitions("loudi.facilities.service_housing_aera")

    def test_equal_reports_compare_unchanged(self, city, loudi):
        """A report compared with an equal one has no change."""
        a = sg.evaluate(city, loudi, as_of=AS_OF)
        c = sg.compare(a, sg.evaluate(sg.Dataset.from_dict(city.to_dict()), loudi, as_of=AS_OF))
        assert len(c.changed()) == 0 and len(c.transitions(changed_only=True)) == 0


class TestSweep:
    def test_columns_and_monotone_curve(self, city):
        """A sweep of a minimum area gives a non-increasing pass count over increasing values."""
        t = sg.sweep(city, "loudi", "service_housing_min_area", "300..600 step 50 m**2", as_of=AS_OF, mode="what-if")
        assert list(t.columns) == ["value", "rule", "pass", "fail", "unknown", "not_applicable", "pass_rate"]
        assert t.columns["value"] == [300.0, 350.0, 400.0, 450.0, 500.0, 550.0, 600.0]
        assert set(t.columns["rule"]) == {"loudi.facilities.service_housing_area"}
        p = np.asarray(t.columns["pass"])
        assert (np.diff(p) <= 0).all() and p[0] > p[-1]

    def test_each_row_equals_a_full_evaluation_under_the_reform(self, city, loudi):
        """Every row's counts equal those of evaluating the whole reformed policy."""
        t = sg.sweep(city, loudi, "service_housing_min_area", ["350 m**2", "0.045 hectare"], as_of=AS_OF)
        for row, v in zip(t, ("350 m**2", "450 m**2")):
            rep = sg.evaluate(city, loudi.with_parameters({"service_housing_min_area": v}, reason="r"), as_of=AS_OF)
            c = _counts(rep, row["rule"])
            assert (row["pass"], row["fail"], row["unknown"], row["not_applicable"]) == \
                (c["pass"], c["fail"], c["unknown"], c["not_applicable"])

    def test_only_rules_reading_the_parameter_run(self, toy_policy, city):
        """A parameter read by a community rule and a district rule re-runs exactly those two."""
        t = sg.sweep(city, toy_policy, "min_area", ["400 m**2", "450 m**2"], as_of=AS_OF, mode="what-if")
        assert t.columns["rule"] == ["toy.area", "toy.area_share"] * 2
        only = sg.sweep(city, toy_policy, "min_area", ["400 m**2"], as_of=AS_OF, rules=["toy.area_share"])
        assert only.columns["rule"] == ["toy.area_share"]

    def test_per_region_rows_add_up(self, city):
        """With a level, the per-region rows of a value add up to the value's total."""
        whole = sg.sweep(city, "loudi", "service_housing_min_area", ["350 m**2"], as_of=AS_OF, mode="what-if")
        per = sg.sweep(city, "loudi", "service_housing_min_area", ["350 m**2"], as_of=AS_OF, mode="what-if",
                       level="city")
        assert list(per.columns)[:4] == ["value", "rule", "region", "region_name"]
        for k in ("pass", "fail", "unknown", "not_applicable"):
            assert sum(per.columns[k]) == whole.columns[k][0]

    def test_bad_values_named_at_once(self, city):
        """Every bad value is named with its position; an unknown parameter gets a did-you-mean."""
        with pytest.raises(sg.PolicyError) as info:
            sg.sweep(city, "loudi", "service_housing_min_area", ["350 m**2", "3 worker", 400], as_of=AS_OF)
        assert [loc.split(":")[0] for loc, _ in info.value.problems] == ["values[1] ('3 worker')", "values[2] (400)"]
        with pytest.raises(sg.PolicyError, match="did you mean 'service_housing_min_area'"):
            sg.sweep(city, "loudi", "service_housing_min_aera", ["350 m**2", "400 m**2"], as_of=AS_OF)

    def test_rule_not_reading_the_parameter_is_refused(self, city):
        """Naming a rule that does not read the parameter is an error listing those that do."""
        with pytest.raises(ValueError, match="loudi.facilities.service_housing_area"):
            sg.sweep(city, "loudi", "service_housing_min_area", ["350 m**2"], rules=["loudi.staffing.ratio"])

    def test_range_syntax(self):
        """START..STOP step STEP includes both ends, exactly (no float drift)."""
        from shequ_gov._scenario import parse_values

        assert parse_values("300..600 step 25 m**2")[-1] == "600 m**2"
        assert len(parse_values("300..600 step 25 m**2")) == 13
        assert parse_values("0.1..0.3 step 0.1") == ["0.1", "0.2", "0.3"]
        assert parse_values("350 m**2, 400 m**2") == ["350 m**2", "400 m**2"]
        with pytest.raises(ValueError, match="START"):
            parse_values("600..300 step 25")

    @given(ds=datasets(max_communities=6), a=st.integers(0, 900), b=st.integers(0, 900))
    def test_a_higher_minimum_never_turns_fail_into_pass(self, ds, a, b):
        """Raising the minimum area never adds a PASS nor removes a FAIL (a sweep over generated data)."""
        lo, hi = sorted((a, b))
        t = sg.sweep(ds, "loudi", "service_housing_min_area", [f"{lo} m**2", f"{hi} m**2"], as_of=AS_OF,
                     mode="what-if")
        assert t.columns["pass"][1] <= t.columns["pass"][0]
        assert t.columns["fail"][1] >= t.columns["fail"][0]


class TestCaseParameters:
    def test_case_overrides_a_parameter(self, tmp_path, toy_policy):
        """A case's parameters: run it under that reform; the next case is back to the source."""
        p = tmp_path / "r.cases.yaml"
        p.write_text("""
policy: toy
defaults: {as_of: 2023-01-01, community: {area_type: urban, facilities: [{kind: service_housing, area: 420}]}}
cases:
  - name: under 400 m² it passes
    parameters: {min_area: "400 m**2"}
    expect: {toy.area: pass}
  - name: without the override it fails
    expect: {toy.area: fail}
""", encoding="utf-8")
        a, b = load_cases(p)
        assert a.parameters == {"min_area": "400 m**2"} and b.parameters == {}
        assert run_case(a) == [] and run_case(b) == []

    def test_bad_parameter_in_a_case_is_named(self, tmp_path, toy_policy):
        """An unknown parameter or a wrong unit in a case is reported with a hint, not a traceback."""
        p = tmp_path / "r.cases.yaml"
        p.write_text("""
policy: toy
cases:
  - name: typo
    as_of: 2023-01-01
    parameters: {min_aera: "400 m**2", share_target: "3 m**2"}
    community: {area_type: urban}
    expect: {toy.area: pass}
  - name: not a mapping
    as_of: 2023-01-01
    parameters: [min_area]
    community: {area_type: urban}
    expect: {toy.area: pass}
""", encoding="utf-8")
        with pytest.raises(sg.ValidationError, match=r"cases\[1\] \(not a mapping\)\.parameters"):
            load_cases(p)
        p.write_text(p.read_text(encoding="utf-8").split("  - name: not a mapping")[0], encoding="utf-8")
        (case,) = load_cases(p)
        problems = run_case(case)
        assert any("min_aera" in x and "did you mean 'min_area'" in x for x in problems)
        assert any("share_target" in x and "wrong dimension" in x for x in problems)


@pytest.fixture(scope="module")
def data(tmp_path_factory, city):
    p = tmp_path_factory.mktemp("cli") / "city.json"
    city.write(p)
    return str(p)


class TestCommandLine:
    def test_compare(self, data, capsys, tmp_path):
        """`compare --set` prints the verdicts that change; JSON and CSV go to files."""
        from shequ_gov.cli import main

        args = ["compare", data, "--policy", "loudi", "--set", 'service_housing_min_area="350 m**2"', "--as-of", AS_OF,
                "--mode", "what-if"]
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "loudi.facilities.service_housing_area  fail  pass" in out
        assert main(args + ["--format", "json", "-o", str(tmp_path / "c.json")]) == 0
        assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["changed"]
        assert main(args + ["--format", "csv"]) == 0
        assert capsys.readouterr().out.startswith("code,rule,from,to\n")

    def test_compare_bad_input_exits_2(self, data, capsys):
        """A misspelled parameter, a bare number for a quantity, or a --set without '=' exit 2 with the reason."""
        from shequ_gov.cli import main

        assert main(["compare", data, "--policy", "loudi", "--set", "service_housing_min_aera=350 m**2",
                     "--set", "staff_min=3"]) == 2
        err = capsys.readouterr().err
        assert "did you mean 'service_housing_min_area'" in err and 'write it as "3 worker"' in err
        assert main(["compare", data, "--policy", "loudi", "--set", "service_housing_min_area"]) == 2
        assert "NAME=VALUE" in capsys.readouterr().err

    def test_sweep(self, data, capsys):
        """`sweep --values START..STOP step STEP` prints one row per value (CSV on request)."""
        from shequ_gov.cli import main

        assert main(["sweep", data, "--policy", "loudi", "--parameter", "service_housing_min_area",
                     "--values", "300..600 step 25 m**2", "--as-of", AS_OF, "--format", "csv"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == "value,rule,pass,fail,unknown,not_applicable,pass_rate"
        assert len(lines) == 14 and lines[1].startswith("300,loudi.facilities.service_housing_area,")


def test_evaluate_reads_a_path(tmp_path):
    """evaluate() takes the path of a dataset file as well as a Dataset."""
    ds = sg.synth.generate(50, seed=1)
    ds.write(tmp_path / "d.json")
    assert sg.evaluate(tmp_path / "d.json", "loudi", as_of=AS_OF).to_json() == \
        sg.evaluate(ds, "loudi", as_of=AS_OF).to_json()


def _with_dongguan(doc):
    """*doc* plus a city whose streets sit directly under it (no districts), as Dongguan's do."""
    doc["regions"] += [{"code": "440000000000", "name": "广东省", "level": "province"},
                       {"code": "441900000000", "name": "东莞市", "level": "city", "parent": "440000000000"},
                       {"code": "441900003000", "name": "东城街道", "level": "street", "parent": "441900000000"}]
    for i, c in enumerate(doc["communities"][:4]):
        doc["communities"].append({**c, "code": f"441900003{i + 1:03d}", "parent": "441900003000"})
    return sg.Dataset.from_dict(doc)


def test_a_city_without_districts_does_not_break_district_rules(toy_policy):
    """District aggregates skip communities with no district above them instead of failing the rule."""
    ds = _with_dongguan(sg.synth.generate(100, seed=2).to_dict())
    rep = sg.evaluate(ds, toy_policy, as_of=AS_OF, mode="what-if")
    assert rep._block("toy.area_share").error is None
    assert "error" not in set(rep.findings.columns["status"])


class TestHtml:
    def test_comparison_page(self, cmp, tmp_path):
        """The comparison's HTML page names the changed rule and both verdicts' messages, self-contained."""
        text = cmp.to_html()
        assert text.startswith("<!DOCTYPE html>") and "loudi.facilities.service_housing_area" in text
        assert "required ≥ 400 m²" in text and "≥ 350 m²" in text
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        cmp.to_html(tmp_path / "c.html")
        assert (tmp_path / "c.html").read_text(encoding="utf-8") == text

    def test_sweep_page_has_a_chart(self, data, capsys, tmp_path):
        """`sweep --format html` writes a page with the sweep's curve as an SVG chart and its table."""
        from shequ_gov.cli import main

        out = tmp_path / "s.html"
        assert main(["sweep", data, "--policy", "loudi", "--parameter", "service_housing_min_area",
                     "--values", "300..600 step 100 m**2", "--as-of", AS_OF, "--format", "html", "-o", str(out)]) == 0
        text = out.read_text(encoding="utf-8")
        assert "<polyline" in text and text.count("<circle") == 4 and "pass_rate" in text
        assert main(["compare", data, "--policy", "loudi", "--set", "service_housing_min_area=350 m**2",
                     "--as-of", AS_OF, "--format", "html", "-o", str(tmp_path / "c.html")]) == 0
        assert "结论变化" in (tmp_path / "c.html").read_text(encoding="utf-8")
