"""The structured explanation (Report.explanation) and its text (Report.explain)."""

import datetime as dt
import json

import pytest

import shequ_gov as sg


@pytest.fixture
def report(example_doc, toy_policy):
    example_doc["communities"][0]["facilities"][0]["area"] = 330
    return sg.evaluate(sg.Dataset.from_dict(example_doc), toy_policy, as_of="2023-01-01")


class TestExplanation:
    def test_a_failure_as_data(self, report):
        """A failed threshold: status, inputs, the parameter in force with date and quote, shortfall, source."""
        e = report.explanation("431302001001", "toy.area")
        assert isinstance(e, sg.Explanation)
        assert (e.status, e.measured, e.required, e.shortfall, e.unit) == (sg.Status.FAIL, 330, 450, 120, "m**2")
        assert [(i.value, i.unit) for i in e.inputs] == [(330, "m**2")]
        (p,) = e.parameters
        assert (p.name, p.value, p.start, p.shown) == ("min_area", 450, dt.date(2022, 1, 1), "450 m²")
        assert p.citation.quote == "面积不低于450平方米"
        assert e.citation == report.policies[0].rule("toy.area").citation
        assert e.computed and any("needs 120 m² more" in line for line in e.computation)

    def test_text_is_what_explain_returns_and_is_built_from_the_fields(self, report):
        """explain() is .text; the text shows the status, each input, parameter quote and computation line."""
        for code in ("431302001001", "431302001002"):
            for rule in ("toy.area", "toy.banned_tasks", "toy.households"):
                e = report.explanation(code, rule)
                assert report.explain(code, rule) == e.text == str(e)
                assert f"Status / 结论: {e.status.value.upper()}" in e.text
                for i in e.inputs:
                    assert i.label in e.text
                for p in e.parameters:
                    assert (p.citation is None) or str(p.citation) in e.text
                for line in e.computation:
                    assert line in e.text
                assert e.text.endswith(f"Source / 依据: {e.citation}")

    def test_offending_items_are_named(self, report):
        """A list rule's offending records are listed per table."""
        e = report.explanation("431302001001", "toy.banned_tasks")
        assert e.status is sg.Status.FAIL
        assert any("城市管理" in t for t in e.offending["tasks"])

    def test_missing_input_is_none_and_nothing_computed(self, report):
        """An UNKNOWN verdict: the missing input is None, there is no computation and no shortfall."""
        e = report.explanation("431302001002", "toy.area")
        assert e.status is sg.Status.UNKNOWN
        assert [i.value for i in e.inputs] == [None] and not e.computed and e.computation == ()
        assert e.shortfall is None and "missing / 缺失" in e.text

    def test_to_dict_is_plain_json_with_the_text(self, report):
        """to_dict() holds only JSON values and carries the same text."""
        d = report.explanation("431302001001", "toy.area").to_dict()
        assert json.loads(json.dumps(d, ensure_ascii=False, allow_nan=False)) == d
        assert d["status"] == "fail" and d["parameters"][0]["citation"]["quote"] == "面积不低于450平方米"
        assert d["text"] == report.explain("431302001001", "toy.area")

    def test_parameter_without_a_value_on_the_date(self, example_doc, toy_policy):
        """Before a parameter's first date its entry has no value, and the text says so."""
        r = sg.evaluate(sg.Dataset.from_dict(example_doc), toy_policy, as_of="2019-01-01")
        e = r.explanation("431302001001", "toy.area")
        assert all(p.value is None and p.start is None for p in e.parameters)
        assert "min_area: no value on 2019-01-01" in e.text
