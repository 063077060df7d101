"""Tests of the jiangsu policy plug-in: the kit's checks (one line) and its case files
(cases/*.cases.yaml), then behaviour a case file cannot state: the village / community split of
the one-shoulder indicator and the parameters in force.
"""

from __future__ import annotations


import pytest

import shequ_gov as sg
from shequ_gov.testing import plugin_tests
from shequ_gov_jiangsu import policy

test_plugin = plugin_tests(policy)


def test_every_rule_starts_on_the_replys_date():
    """The reply of 2022-06-24 dates every rule (the text gives no other date)."""
    assert {r.start.isoformat() for r in policy.rules} == {"2022-06-24"}


def _province(communities: list[dict]) -> sg.Dataset:
    regions = [{"code": "320000000000", "name": "江苏省", "level": "province"},
               {"code": "320100000000", "name": "南京市", "level": "city", "parent": "320000000000"},
               {"code": "320102000000", "name": "玄武区", "level": "district", "parent": "320100000000"},
               {"code": "320102001000", "name": "街道", "level": "street", "parent": "320102000000"}]
    comms = [{"code": f"320102001{i + 1:03d}", "name": f"社区{i + 1}", "parent": "320102001000", **c}
             for i, c in enumerate(communities)]
    return sg.Dataset.from_dict({"schema": "shequ-gov/1", "regions": regions, "communities": comms})


ONE = [{"roles": ["secretary", "director"]}]
TWO = [{"roles": ["secretary"]}, {"roles": ["director"]}]


class TestOneShoulderShare:
    def test_villages_and_communities_are_shown_apart(self):
        """The explanation splits the share into villages and communities beside the reported figures."""
        ds = _province([{"area_type": "rural", "staff": ONE}, {"area_type": "rural", "staff": TWO},
                        {"area_type": "urban", "staff": ONE}, {"area_type": "township", "staff": ONE}])
        report = sg.evaluate(ds, policy, as_of="2023-01-01")
        assert report.finding("32", "jiangsu.leadership.one_shoulder_share").measured == pytest.approx(0.75)
        text = report.explain("32", "jiangsu.leadership.one_shoulder_share")
        assert "share among villages / 村“一肩挑”比例: 0.5" in text
        assert "share among communities / 社区“一肩挑”比例: 1" in text
        assert "reported, villages / 来源报告村比例: 0.975" in text
        assert "reported, communities / 来源报告社区比例: 0.946" in text

    def test_communities_without_staff_are_left_out_and_bound_the_share(self):
        """A community without a staff list is left out of the share; the explanation gives the bounds."""
        ds = _province([{"area_type": "urban", "staff": ONE}, {"area_type": "urban", "staff": TWO},
                        {"area_type": "urban"}])
        report = sg.evaluate(ds, policy, as_of="2023-01-01")
        assert report.finding("32", "jiangsu.leadership.one_shoulder_share").measured == pytest.approx(0.5)
        text = report.explain("32", "jiangsu.leadership.one_shoulder_share")
        for line in ("communities counted / 村(社区)数: 3",
                     "communities with a staff list / 有工作人员名单的村(社区)数: 2",
                     "share if the others had none / 比例下限: 0.3333",
                     "share if the others all had it / 比例上限: 0.6667"):
            assert line in text

    def test_a_community_without_area_type_is_in_neither_part(self):
        """The village / community split leaves out a community whose area type is missing."""
        ds = _province([{"area_type": "rural", "staff": ONE}, {"staff": TWO}])
        report = sg.evaluate(ds, policy, as_of="2023-01-01")
        assert report.finding("32", "jiangsu.leadership.one_shoulder_share").measured == pytest.approx(0.5)
        text = report.explain("32", "jiangsu.leadership.one_shoulder_share")
        assert "share among villages / 村“一肩挑”比例: 1" in text
        assert "share among communities / 社区“一肩挑”比例: missing" in text


class TestParameters:
    def test_negative_list_defaults_to_the_eight_kinds(self):
        """The negative list, which the source does not spell out, defaults to the eight listed task kinds."""
        assert set(policy.params("2023-01-01").negative_list_task_kinds) == {
            "law_enforcement", "demolition", "environmental_rectification", "urban_management",
            "investment_attraction", "tax_assistance", "revenue_generation", "production_safety"}

    def test_scale_and_circles_are_parameters(self):
        """The 3 posts, 18 grades, 15 minutes and 3 km are parameters with units, not literals."""
        p = policy.params("2023-01-01")
        assert (p.salary_posts, p.salary_grades) == (3, 18)
        assert p.life_circle_max_minutes == 15
        assert policy.parameters["life_circle_max_minutes"].unit == "minute"
        assert p.life_circle_max_distance_rural == 3
        assert policy.parameters["life_circle_max_distance_rural"].unit == "km"


class TestExplanations:
    def test_offending_tasks_are_named(self):
        """A negative-list failure names the offending task."""
        ds = _province([{"area_type": "urban", "tasks": [{"kind": "urban_management", "role": "responsible"},
                                                          {"kind": "民政统计", "role": "self"}]}])
        report = sg.evaluate(ds, policy, as_of="2023-01-01")
        text = report.explain("320102001001", "jiangsu.tasks.negative_list")
        offending = text.split("offending")[-1].split("Source / 依据")[0]
        assert "城市管理" in offending and "民政统计" not in offending

    def test_staff_off_the_scale_are_named(self):
        """A salary-scale failure names the staff member who is not placed."""
        ds = _province([{"area_type": "urban", "staff": [{"roles": ["secretary", "director"], "post": 1, "grade": 3},
                                                          {"roles": ["worker"], "post": 0, "grade": 0}]}])
        report = sg.evaluate(ds, policy, as_of="2023-01-01")
        text = report.explain("320102001001", "jiangsu.staffing.salary_scale")
        assert "staff member #2" in text and "staff member #1" not in text



def _policy_with(tmp_path, old: str, new: str) -> sg.Policy:
    """The jiangsu policy loaded from a copy of its data file with one value written differently."""
    from shequ_gov.testing import edited_policy

    return edited_policy(policy, old, new, tmp_path)


class TestThresholdsFromTheDataFile:
    def test_grades_of_the_scale_are_read_from_policy_toml(self, tmp_path):
        """With 12 grades instead of 18, a worker at grade 15 is off the scale."""
        changed = _policy_with(tmp_path, "value = 18\n", "value = 12\n")
        ds = _province([{"area_type": "urban", "staff": [{"roles": ["worker"], "post": 2, "grade": 15}]}])
        rid = "jiangsu.staffing.salary_scale"
        assert sg.evaluate(ds, policy, as_of="2023-01-01").status("320102001001", rid) is sg.Status.PASS
        assert sg.evaluate(ds, changed, as_of="2023-01-01").status("320102001001", rid) is sg.Status.FAIL

    def test_walking_time_is_read_from_policy_toml(self, tmp_path):
        """With a 10-minute circle, 12 minutes' walk fails."""
        changed = _policy_with(tmp_path, 'value = "15 minute"', 'value = "10 minute"')
        ds = _province([{"area_type": "urban", "convenience_minutes": 12}])
        rid = "jiangsu.services.life_circle"
        assert sg.evaluate(ds, policy, as_of="2023-01-01").status("320102001001", rid) is sg.Status.PASS
        assert sg.evaluate(ds, changed, as_of="2023-01-01").status("320102001001", rid) is sg.Status.FAIL

    def test_negative_list_is_read_from_policy_toml(self, tmp_path):
        """Taking urban management off the negative list lets a community be responsible for it."""
        changed = _policy_with(tmp_path, '"environmental_rectification", "urban_management", "investment_attraction"',
                               '"environmental_rectification", "investment_attraction"')
        ds = _province([{"area_type": "urban", "tasks": [{"kind": "urban_management", "role": "responsible"}]}])
        rid = "jiangsu.tasks.negative_list"
        assert sg.evaluate(ds, policy, as_of="2023-01-01").status("320102001001", rid) is sg.Status.FAIL
        assert sg.evaluate(ds, changed, as_of="2023-01-01").status("320102001001", rid) is sg.Status.PASS


class TestWholeColumns:
    def test_every_community_rule_passes_fails_and_is_unknown_somewhere_on_generated_data(self):
        """On the kit's sample data no rule raises, and each community rule meets PASS, FAIL and UNKNOWN."""
        from shequ_gov.testing import check_every_verdict_reached

        check_every_verdict_reached(policy)

    def test_a_batch_gives_each_community_its_own_circle(self):
        """One evaluation over mixed area types applies the minutes to urban and the distance to the others."""
        batch = [{"area_type": "central_urban", "convenience_minutes": 14, "convenience_distance": 9},
                 {"area_type": "urban", "convenience_minutes": 16, "convenience_distance": 1},
                 {"area_type": "township", "convenience_minutes": 40, "convenience_distance": 2.9},
                 {"area_type": "rural", "convenience_minutes": 5, "convenience_distance": 3.1},
                 {"convenience_minutes": 5, "convenience_distance": 1},
                 {"convenience_minutes": 5, "convenience_distance": 4}]
        r = sg.evaluate(_province(batch), policy, as_of="2023-01-01")
        got = [r.status(f"320102001{i + 1:03d}", "jiangsu.services.life_circle").value for i in range(len(batch))]
        assert got == ["pass", "fail", "pass", "fail", "pass", "unknown"]
