"""Tests of the kaizhou policy plug-in: the kit's checks (one line) and its case files
(cases/*.cases.yaml), then behaviour a case file cannot state: the dated values of the district target, the bounds logic
of a share with missing data, and what the explanations of the district rules show.
"""

from __future__ import annotations

import datetime as dt

import pytest

import shequ_gov as sg
from shequ_gov.testing import plugin_tests
from shequ_gov_kaizhou import policy

test_plugin = plugin_tests(policy)


class TestMetadata:
    def test_district_rules_are_judged_on_the_district(self):
        """The target, agency and incubation-base rules judge the district, the others each community."""
        district = {r.id for r in policy.rules if r.level is sg.Level.DISTRICT}
        assert district == {"kaizhou.facilities.area_share_target", "kaizhou.social_work.agencies",
                            "kaizhou.social_orgs.incubation_bases"}

    def test_strive_rules_are_advisory(self):
        """Both 力争 targets are advisory (the source wins over the catalogue's 'standard')."""
        assert policy.rule("kaizhou.facilities.area_share_target").strength == "advisory"
        assert policy.rule("kaizhou.social_work.agencies").strength == "advisory"


class TestShareTarget:
    @pytest.mark.parametrize("day, target", [("2021-12-30", None), ("2021-12-31", 0.7), ("2022-12-30", 0.7),
                                             ("2022-12-31", 0.8), ("2023-12-30", 0.8), ("2023-12-31", 1.0),
                                             ("2030-01-01", 1.0)])
    def test_target_in_force(self, day, target):
        """The target is one parameter with three dated values, none before the end of 2021."""
        assert policy.params(day).facility_area_share_target == target

    def test_districts_are_judged_apart_in_what_if_mode(self):
        """In what-if mode each district's share counts only its own communities."""
        regions = [{"code": "500000000000", "name": "重庆市", "level": "province"},
                   {"code": "500100000000", "name": "市辖区", "level": "city", "parent": "500000000000"},
                   {"code": "500154000000", "name": "开州区", "level": "district", "parent": "500100000000"},
                   {"code": "500154001000", "name": "汉丰街道", "level": "street", "parent": "500154000000"},
                   {"code": "500101000000", "name": "万州区", "level": "district", "parent": "500100000000"},
                   {"code": "500101001000", "name": "高笋塘街道", "level": "street", "parent": "500101000000"}]
        ok = {"area_type": "urban", "households": 100, "facilities": [{"kind": "service_housing", "area": 30}]}
        short = {**ok, "facilities": [{"kind": "service_housing", "area": 10}]}
        comms = [{"code": "500154001001", "name": "a", "parent": "500154001000", **ok},
                 {"code": "500154001002", "name": "b", "parent": "500154001000", **ok},
                 {"code": "500101001001", "name": "c", "parent": "500101001000", **short},
                 {"code": "500101001002", "name": "d", "parent": "500101001000", **ok}]
        ds = sg.Dataset.from_dict({"schema": "shequ-gov/1", "regions": regions, "communities": comms})
        rid = "kaizhou.facilities.area_share_target"
        whatif = sg.evaluate(ds, policy, as_of=dt.date(2022, 6, 1), mode="what-if")
        assert whatif.status("500154", rid) is sg.Status.PASS
        assert whatif.status("500101", rid) is sg.Status.FAIL
        assert whatif.finding("500101", rid).measured == pytest.approx(0.5)
        own = sg.evaluate(ds, policy, as_of=dt.date(2022, 6, 1))
        assert own.status("500101", rid) is sg.Status.NOT_APPLICABLE

    def test_explanation_shows_counts_and_bounds(self):
        """The explanation gives the communities counted, those meeting the standard and the share's bounds."""
        regions = [{"code": "500000000000", "name": "重庆市", "level": "province"},
                   {"code": "500100000000", "name": "市辖区", "level": "city", "parent": "500000000000"},
                   {"code": "500154000000", "name": "开州区", "level": "district", "parent": "500100000000"},
                   {"code": "500154001000", "name": "汉丰街道", "level": "street", "parent": "500154000000"}]
        ok = {"area_type": "urban", "households": 100, "facilities": [{"kind": "service_housing", "area": 30}]}
        comms = [{"code": f"500154001{i:03d}", "name": str(i), "parent": "500154001000", **ok} for i in (1, 2, 3)]
        comms.append({"code": "500154001004", "name": "4", "parent": "500154001000", "area_type": "urban"})
        ds = sg.Dataset.from_dict({"schema": "shequ-gov/1", "regions": regions, "communities": comms})
        text = sg.evaluate(ds, policy, as_of="2023-06-01").explain("500154", "kaizhou.facilities.area_share_target")
        assert "UNKNOWN" in text
        for line in ("communities counted / 社区数: 4", "communities meeting the standard / 达标社区数: 3",
                     "share, lower bound / 达标比例下限: 0.75", "share, upper bound / 达标比例上限: 1",
                     "facility_area_share_target = 0.8 (from 2022-12-31)"):
            assert line in text


class TestIncubationBases:
    def test_explanation_counts_streets(self):
        """The explanation counts the district's streets, those without a base and those not reporting."""
        regions = [{"code": "500000000000", "name": "重庆市", "level": "province"},
                   {"code": "500100000000", "name": "市辖区", "level": "city", "parent": "500000000000"},
                   {"code": "500154000000", "name": "开州区", "level": "district", "parent": "500100000000",
                    "incubation_base": True}]
        regions += [{"code": f"500154{s:03d}000", "name": f"街道{s}", "level": "street", "parent": "500154000000",
                     **({"incubation_base": b} if b is not None else {})}
                    for s, b in ((1, True), (2, False), (3, None))]
        ds = sg.Dataset.from_dict({"schema": "shequ-gov/1", "regions": regions, "communities": []})
        report = sg.evaluate(ds, policy, as_of="2022-01-01")
        assert report.status("500154", "kaizhou.social_orgs.incubation_bases") is sg.Status.FAIL
        text = report.explain("500154", "kaizhou.social_orgs.incubation_bases")
        for line in ("district's own base / 区级孵化基地: 1", "streets / 镇乡(街道)数: 3",
                     "streets without a base / 无孵化基地的镇乡(街道): 1", "streets not reported / 未报告的镇乡(街道): 1"):
            assert line in text



def _policy_with(tmp_path, old: str, new: str) -> sg.Policy:
    """The kaizhou policy loaded from a copy of its data file with one value written differently."""
    from shequ_gov.testing import edited_policy

    return edited_policy(policy, old, new, tmp_path)


def _kaizhou(*communities, regions=()):
    base = [{"code": "500000000000", "name": "重庆市", "level": "province"},
            {"code": "500100000000", "name": "市辖区", "level": "city", "parent": "500000000000"},
            {"code": "500154000000", "name": "开州区", "level": "district", "parent": "500100000000"},
            {"code": "500154001000", "name": "汉丰街道", "level": "street", "parent": "500154000000"}]
    comms = [{"code": f"500154001{i + 1:03d}", "name": f"社区{i + 1}", "parent": "500154001000", **c}
             for i, c in enumerate(communities)]
    return sg.Dataset.from_dict({"schema": "shequ-gov/1", "regions": base + list(regions), "communities": comms})


class TestThresholdsFromTheDataFile:
    def test_urban_minimum_is_read_from_policy_toml(self, tmp_path):
        """With an urban minimum of 3, two certified social workers fail."""
        changed = _policy_with(tmp_path, 'central_urban = "2 worker", urban = "2 worker"',
                               'central_urban = "3 worker", urban = "3 worker"')
        ds = _kaizhou({"area_type": "urban", "staff": [{"certified_social_worker": True}] * 2})
        rid = "kaizhou.staffing.social_workers"
        assert sg.evaluate(ds, policy, as_of="2022-01-01").status("500154001001", rid) is sg.Status.PASS
        f = sg.evaluate(ds, changed, as_of="2022-01-01").finding("500154001001", rid)
        assert (f.status, f.measured, f.required, f.shortfall) == (sg.Status.FAIL, 2.0, 3.0, 1.0)

    def test_target_is_read_from_policy_toml(self, tmp_path):
        """With the 2022 target written as 75 %, a district at 75 % passes in mid-2023."""
        changed = _policy_with(tmp_path, "value = 0.8\n", "value = 0.75\n")
        ok = {"area_type": "urban", "households": 100, "facilities": [{"kind": "service_housing", "area": 30}]}
        short = {**ok, "facilities": [{"kind": "service_housing", "area": 29}]}
        ds = _kaizhou(ok, ok, ok, short)
        rid = "kaizhou.facilities.area_share_target"
        assert sg.evaluate(ds, policy, as_of="2023-06-01").status("500154", rid) is sg.Status.FAIL
        assert sg.evaluate(ds, changed, as_of="2023-06-01").status("500154", rid) is sg.Status.PASS

    def test_agency_minimum_is_read_from_policy_toml(self, tmp_path):
        """With a minimum of 5 agencies, a district with 4 fails."""
        changed = _policy_with(tmp_path, "value = 3\n", "value = 5\n")
        ds = _kaizhou({"area_type": "urban"}, regions=[])
        doc = ds.to_dict()
        for r in doc["regions"]:
            if r["code"] == "500154000000":
                r["social_work_agencies"] = 4
        ds = sg.Dataset.from_dict(doc)
        rid = "kaizhou.social_work.agencies"
        assert sg.evaluate(ds, policy, as_of="2024-01-01").status("500154", rid) is sg.Status.PASS
        assert sg.evaluate(ds, changed, as_of="2024-01-01").status("500154", rid) is sg.Status.FAIL


class TestExplanations:
    def test_offending_plaque_is_named(self):
        """A plaque failure names the service-centre plaque and not the permitted ones."""
        ds = _kaizhou({"area_type": "urban", "plaques": ["party_org", "residents_committee", "service_center"]})
        text = sg.evaluate(ds, policy, as_of="2022-01-01").explain("500154001001", "kaizhou.plaques.allowed")
        offending = text.split("offending")[-1].split("Source / 依据")[0]
        assert "社区服务中心" in offending and "党组织" not in offending

    def test_unfunded_assisting_task_is_named(self):
        """An assistance failure names the unfunded assisting task only."""
        ds = _kaizhou({"area_type": "urban", "tasks": [{"kind": "民政统计", "role": "assisting", "funded": False},
                                                        {"kind": "垃圾分类督导", "role": "assisting", "funded": True}]})
        text = sg.evaluate(ds, policy, as_of="2022-01-01").explain("500154001001", "kaizhou.tasks.assist_funded")
        offending = text.split("offending")[-1].split("Source / 依据")[0]
        assert "民政统计" in offending and "垃圾分类督导" not in offending

    def test_social_worker_shortfall_is_reported(self):
        """A village without a certified social worker needs one more."""
        ds = _kaizhou({"area_type": "rural", "staff": [{"roles": ["worker"], "certified_social_worker": False}]})
        f = sg.evaluate(ds, policy, as_of="2022-01-01").finding("500154001001", "kaizhou.staffing.social_workers")
        assert (f.status, f.measured, f.required, f.shortfall) == (sg.Status.FAIL, 0.0, 1.0, 1.0)


class TestWholeColumns:
    def test_every_community_rule_passes_fails_and_is_unknown_somewhere_on_generated_data(self):
        """On the kit's sample data no rule raises, and each community rule meets PASS, FAIL and UNKNOWN."""
        from shequ_gov.testing import check_every_verdict_reached

        check_every_verdict_reached(policy)

    def test_a_batch_gives_each_community_its_own_minimum(self):
        """One evaluation over mixed area types requires 2 certified in urban communities and 1 elsewhere."""
        two = [{"certified_social_worker": True}] * 2
        one = [{"certified_social_worker": True}]
        batch = [{"area_type": "central_urban", "staff": two}, {"area_type": "urban", "staff": one},
                 {"area_type": "township", "staff": one}, {"area_type": "rural", "staff": []}, {"staff": two},
                 {"staff": one}]
        r = sg.evaluate(_kaizhou(*batch), policy, as_of="2022-01-01")
        got = [r.status(f"500154001{i + 1:03d}", "kaizhou.staffing.social_workers").value for i in range(len(batch))]
        assert got == ["pass", "fail", "pass", "fail", "pass", "unknown"]
