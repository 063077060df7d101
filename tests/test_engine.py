"""The engine: statuses, applicability, dates, errors, modes, and no mutation of input."""

import copy
import warnings

import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov.rules import Tri


@pytest.fixture
def ds(example_doc):
    return sg.Dataset.from_dict(example_doc)


class TestStatuses:
    def test_pass_fail_unknown(self, ds, toy_policy):
        """A complete community is judged; one without data is UNKNOWN, never PASS."""
        r = sg.evaluate(ds, toy_policy, as_of="2023-01-01")
        assert r.status("431302001001", "toy.area") is sg.Status.PASS
        assert r.status("431302001001", "toy.banned_tasks") is sg.Status.FAIL
        assert r.status("431302001002", "toy.area") is sg.Status.UNKNOWN
        assert r.status("431302001002", "toy.banned_tasks") is sg.Status.UNKNOWN

    def test_before_the_start_date(self, ds, toy_policy):
        """Before a rule's start date its verdicts are NOT_APPLICABLE."""
        r = sg.evaluate(ds, toy_policy, as_of="2019-12-31")
        assert {r.status(c, "toy.area") for c in ("431302001001", "431302001002")} == {sg.Status.NOT_APPLICABLE}

    def test_dated_parameter_follows_as_of(self, example_doc, toy_policy):
        """The threshold in force on as_of is used: 420 m² passes in 2021 and fails in 2022."""
        example_doc["communities"][0]["facilities"][0]["area"] = 420
        ds = sg.Dataset.from_dict(example_doc)
        assert sg.evaluate(ds, toy_policy, as_of="2021-12-31").status("431302001001", "toy.area") is sg.Status.PASS
        assert sg.evaluate(ds, toy_policy, as_of="2022-01-01").status("431302001001", "toy.area") is sg.Status.FAIL

    def test_area_types(self, example_doc, toy_policy):
        """Outside the rule's area types: NOT_APPLICABLE; area type missing: UNKNOWN."""
        example_doc["communities"][0]["area_type"] = "rural"
        ds = sg.Dataset.from_dict(example_doc)
        r = sg.evaluate(ds, toy_policy, as_of="2023-01-01")
        assert r.status("431302001001", "toy.area") is sg.Status.NOT_APPLICABLE
        example_doc["communities"][0].pop("area_type")
        r = sg.evaluate(sg.Dataset.from_dict(example_doc), toy_policy, as_of="2023-01-01")
        assert r.status("431302001001", "toy.area") is sg.Status.UNKNOWN

    def test_indicator_is_measured(self, ds, toy_policy):
        """An indicator reports its value with status MEASURED."""
        r = sg.evaluate(ds, toy_policy, as_of="2023-01-01")
        f = r.finding("431302001001", "toy.households")
        assert f.status is sg.Status.MEASURED and f.measured == 1500


class TestModes:
    def test_outside_the_jurisdiction(self, ds, toy_policy):
        """A policy does not judge communities outside its jurisdiction."""
        import attrs

        far = attrs.evolve(toy_policy, jurisdiction=("210000000000",))
        r = sg.evaluate(ds, far, as_of="2023-01-01")
        assert len(r) == 0
        assert r.status("431302001001", "toy.area") is sg.Status.NOT_APPLICABLE
        w = sg.evaluate(ds, far, as_of="2023-01-01", mode="what-if")
        assert w.status("431302001001", "toy.area") is sg.Status.PASS

    def test_bad_mode(self, ds, toy_policy):
        """An unknown mode is refused with the choices."""
        with pytest.raises(ValueError, match="'jurisdiction', 'what-if'"):
            sg.evaluate(ds, toy_policy, mode="everywhere")


class TestRobustness:
    def test_a_raising_rule_gives_error_and_the_rest_run(self, ds, toy_policy):
        """ERROR verdicts and a warning for the broken rule; the other rules still judge."""
        import attrs

        def boom(c, p):
            """broken."""
            raise RuntimeError("no database")

        broken = toy_policy.with_rules([attrs.evolve(r, function=boom) if r.id == "toy.area" else r
                                        for r in toy_policy.rules])
        with pytest.warns(sg.RuleErrorWarning, match="toy.area.*no database"):
            r = sg.evaluate(ds, broken, as_of="2023-01-01")
        assert r.status("431302001001", "toy.area") is sg.Status.ERROR
        assert r.status("431302001001", "toy.banned_tasks") is sg.Status.FAIL
        assert "no database" in r.explain("431302001001", "toy.area")

    def test_a_rule_cannot_change_the_dataset(self, ds, toy_policy, example_doc):
        """Columns are read-only: a rule writing into one gets ERROR; the dataset is unchanged."""
        import attrs

        def scribble(c, p):
            """writes into its input."""
            a = c.number("households")
            a[:] = 0
            return sg.rules.measure(a)

        before = ds.fingerprint()
        bad = toy_policy.with_rules([attrs.evolve(r, function=scribble) if r.id == "toy.households" else r
                                     for r in toy_policy.rules])
        with pytest.warns(sg.RuleErrorWarning, match="read-only"):
            sg.evaluate(ds, bad, as_of="2023-01-01")
        assert ds.fingerprint() == before and ds.community("431302001001").households == 1500

    def test_wrong_length_outcome(self, ds, toy_policy):
        """A rule returning the wrong number of verdicts is an ERROR, not a crash."""
        import attrs

        def short(c, p):
            """too short."""
            return sg.rules.condition(Tri(np.ones(1, bool)))

        bad = toy_policy.with_rules([attrs.evolve(r, function=short) if r.id == "toy.area" else r
                                     for r in toy_policy.rules])
        with pytest.warns(sg.RuleErrorWarning, match="1 verdicts for 2 subjects"):
            r = sg.evaluate(ds, bad, as_of="2023-01-01")
        assert r.status("431302001002", "toy.area") is sg.Status.ERROR


class TestTri:
    def test_kleene_logic(self):
        """false & unknown is false; true | unknown is true; otherwise unknown stays unknown."""
        t = Tri([True, False, False], [True, True, False])
        u = Tri([False, False, False], [False, False, False])
        assert (t & u).states() == ["unknown", "false", "unknown"]
        assert (t | u).states() == ["true", "unknown", "unknown"]
        assert (~t).states() == ["false", "true", "unknown"]


def test_between_reports_the_nearer_bound(example_doc, toy_policy):
    """A two-sided range fails with the distance to the bound it misses."""
    import attrs

    from shequ_gov.rules import between

    def staff_range(c, p):
        """5–9 staff."""
        return between(c.staff_count(), 5.0, 9.0, unit="worker")

    pol = toy_policy.with_rules([attrs.evolve(r, function=staff_range) if r.id == "toy.households" else r
                                 for r in toy_policy.rules])
    r = sg.evaluate(sg.Dataset.from_dict(example_doc), pol, as_of="2023-01-01")
    f = r.finding("431302001001", "toy.households")
    assert f.measured == 1 and f.required == 5 and f.shortfall == 4
    assert "required 5–9 worker — needs 4 worker more" in f.message


def test_a_null_rating_is_a_year_without_rating(example_doc):
    """A rating written as null records nothing for that year (no crash)."""
    example_doc["communities"][0]["staff"][0]["ratings"] = {"2016": None, "2017": "competent"}
    ds = sg.Dataset.from_dict(example_doc)
    assert ds.community("431302001001").staff[0].ratings == ((2017, "competent"),)


def test_distinct_count_of_task_kinds(example_doc):
    """distinct_count counts each key once per community; NaN where the list is missing."""
    from shequ_gov.rules import Inputs

    example_doc["communities"][0]["tasks"] = [{"kind": "a"}, {"kind": "a"}, {"kind": "b", "role": "self"}]
    c = Inputs(sg.Dataset.from_dict(example_doc)._st)
    got = c.tasks.distinct_count()
    assert got[0] == 2 and np.isnan(got[1])
    assert c.tasks.distinct_count(mask=c.task_role_is("self").is_true)[0] == 1


def test_distinct_count_and_presence_beyond_64_kinds(example_doc):
    """With more than 64 distinct task kinds in the data the same answers come from the fallback path."""
    from shequ_gov.rules import Inputs

    kinds = [f"事项{i}" for i in range(70)]
    example_doc["communities"][0]["tasks"] = [{"kind": k} for k in kinds + kinds[:5]]
    example_doc["communities"][1]["tasks"] = [{"kind": "urban_management"}]
    c = Inputs(sg.Dataset.from_dict(example_doc)._st)
    assert c.tasks.distinct_count().tolist() == [70.0, 1.0]
    present = c.tasks.keys_present(["事项69", "urban_management", "no_such"])
    assert present.tolist() == [[True, False, False], [False, True, False]]


def test_present_count_counts_listed_keys_and_says_unknown(example_doc):
    """present_count counts how many listed keys each community has; NaN where its list is missing."""
    from shequ_gov.rules import Inputs

    c = Inputs(sg.Dataset.from_dict(example_doc)._st)
    got = c.bodies.present_count(["mediation_committee", "security_committee", "residents_council"], "key")
    assert got[0] == 2 and np.isnan(got[1])
