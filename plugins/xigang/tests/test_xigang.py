"""Tests of the xigang policy plug-in: the kit's checks (one line) and its case files
(cases/*.cases.yaml), then what a case file cannot express."""

from __future__ import annotations

import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov.testing import document, normalise_text, plugin_tests, sample_document, source_dirs
from shequ_gov_xigang import policy

test_plugin = plugin_tests(policy)


def test_the_appeal_sentence_named_in_the_description_is_in_the_seed():
    """The appeal-period sentence that resident_weight's description names is verbatim in the source too."""
    name = policy.sources["xigang_2021"].file
    seed = normalise_text(next(d / name for d in source_dirs(policy) if (d / name).is_file()).read_text(encoding="utf-8"))
    assert normalise_text("公示期间，应考虑给予被考核人申诉的权利、途径与时间") in seed
    assert "公示期间，应考虑给予被考核人申诉的权利、途径与时间" in policy.rule("xigang.assessment.resident_weight").description_en


def test_the_registry_gives_the_distribution_s_version():
    """The registry loads xigang with the distribution's name and version."""
    loaded = sg.policies.load("xigang")
    assert loaded.distribution == "shequ-gov-xigang" and loaded.version == "0.1.0"


def test_jurisdiction_is_xigang_inside_liaoning():
    """The jurisdiction is Xigang District (210203), inside Liaoning's (21)."""
    assert policy.jurisdiction == ("210203000000",)
    assert sg.policies.load("liaoning").jurisdiction == ("210000000000",)


def test_parameters_in_force():
    """The thresholds in force on the reply's date are the source's numbers, in canonical units."""
    p = policy.params("2021-06-10")
    assert p.access_list_max_items == 66
    assert p.group_leader_subsidy_min == 60.0
    assert p.reported_admin_work_share == pytest.approx(0.7)
    assert policy.params("2021-06-09").group_leader_subsidy_min is None


class TestDistinctKinds:
    """The distinct-items count of xigang.tasks.access_list_size, against a plain Python oracle."""

    def test_matches_a_per_community_count_on_a_sample(self):
        """On a varied sample, the vectorised count equals len(set(kinds)) community by community."""
        from shequ_gov_xigang.tasks import distinct_kinds
        from shequ_gov.rules import Inputs

        doc = sample_document(("210203",), n=300, seed=5)
        rng = np.random.default_rng(1)
        for c in doc["communities"]:
            if c.get("tasks") is not None:  # repeat some kinds, add some of the region's own
                c["tasks"] += [dict(t) for t in c["tasks"] if rng.random() < 0.5]
                c["tasks"] += [{"kind": f"本区事项{int(k)}"} for k in rng.integers(0, 80, size=rng.integers(0, 6))]
        ds = sg.Dataset.from_dict(doc)
        got = distinct_kinds(Inputs(ds._st))
        by_code = {c["code"]: c.get("tasks") for c in doc["communities"]}
        codes = [f"{int(x):012d}" for x in ds._st.communities["code"]]
        want = [np.nan if by_code[k] is None else len({t["kind"] for t in by_code[k]}) for k in codes]
        np.testing.assert_array_equal(got, np.asarray(want, dtype=float))

    def test_an_empty_dataset_of_tasks_gives_zeros(self):
        """Communities with empty task lists have 0 items (and no crash on an empty task table)."""
        from shequ_gov_xigang.tasks import distinct_kinds
        from shequ_gov.rules import Inputs

        ds = sg.Dataset.from_dict(_doc([{"tasks": []}, {"tasks": []}]))
        np.testing.assert_array_equal(distinct_kinds(Inputs(ds._st)), [0.0, 0.0])


def _doc(communities, regions=None):
    """A document with *communities* (default codes 210203001001, …002) and the regions above them."""
    return document(communities, regions=regions, under="210203001")


class TestExplanations:
    """What a user reads when asking why."""

    def test_resources_follow_names_the_task_without_funding(self):
        """A failing resources_follow explanation names the handed-down task and its flags."""
        ds = sg.Dataset.from_dict(_doc([{"tasks": [
            {"kind": "垃圾分类督导", "role": "assisting", "funded": False, "legal_basis": True},
            {"kind": "邻里节", "role": "self", "funded": False, "legal_basis": False}]}]))
        text = sg.evaluate(ds, policy, as_of="2022-01-01").explain("210203001001", "xigang.tasks.resources_follow")
        offending = text.split("offending tasks")[1].split("Source")[0]
        assert "垃圾分类督导" in offending and "funded=no" in offending and "邻里节" not in offending

    def test_admin_share_shows_the_source_estimate(self):
        """The admin-share indicator shows the community's value beside the source's 0.7."""
        ds = sg.Dataset.from_dict(_doc([{"burden": {"admin_work_share": 0.55}}]))
        report = sg.evaluate(ds, policy, as_of="2022-01-01")
        f = report.finding("210203001001", "xigang.burden.admin_share")
        assert f.status is sg.Status.MEASURED and f.measured == pytest.approx(0.55)
        assert "0.7" in report.explain("210203001001", "xigang.burden.admin_share")


class TestStacking:
    """Xigang's communities are judged by liaoning and xigang together."""

    def test_both_policies_judge_a_xigang_community_and_only_liaoning_a_shenyang_one(self):
        """Evaluating both policies gives a Xigang community verdicts from each, a Shenyang one from liaoning only."""
        ds = sg.Dataset.from_dict(_doc([{"group_leader_subsidy": 40, "burden": {"ledgers": 30}},
                                        {"code": "210102001001", "group_leader_subsidy": 40,
                                         "burden": {"ledgers": 30}}]))
        report = sg.evaluate(ds, ["liaoning", "xigang"], as_of="2022-01-01")
        rows = [r for r in report.findings if r["status"] != "not_applicable"]
        judged = {(r["code"], r["policy"]) for r in rows if r["level"] == "community"}
        assert ("210203001001", "liaoning") in judged and ("210203001001", "xigang") in judged
        assert ("210102001001", "liaoning") in judged and ("210102001001", "xigang") not in judged

    def test_a_large_sample_runs_without_error(self):
        """A 2,000-community sample under Xigang and elsewhere is judged by both policies with no ERROR."""
        ds = sg.Dataset.from_dict(sample_document(("210203", "2101"), n=2000, seed=9))
        report = sg.evaluate(ds, ["liaoning", "xigang"], as_of="2022-01-01")
        statuses = set(report.findings.columns["status"].tolist())
        assert "error" not in statuses and {"pass", "fail", "unknown", "measured"} <= statuses
