"""The rule contract: a rule gets only the parameters it declares, its selection as an input, and
its ``@formula`` declarations are checked when the policy loads."""

from __future__ import annotations

import warnings
from importlib.resources import files

import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov import formula
from shequ_gov import testing as T
from shequ_gov._monotone import MONOTONE_INPUTS, RECORD_INPUTS
from shequ_gov.rules import CommunityInputs, Parameters, Tri, at_least, condition, measure

LOUDI_TOML = files("shequ_gov_loudi") / "policy.toml"
BENEFIT = "loudi.funding.benefit_projects"


def _loudi_functions(without: str) -> list:
    import shequ_gov_loudi as pkg
    from shequ_gov._policy import _FORMULA_ATTR

    mods = [getattr(pkg, m) for m in ("grid", "facilities", "plaques", "staffing", "funding", "pay", "governance")]
    return [f for m in mods for f in vars(m).values()
            if callable(f) and hasattr(f, _FORMULA_ATTR) and getattr(f, _FORMULA_ATTR)[0] != without]


def _doc(**community):
    return sg.Dataset.from_dict(T.document([{"area_type": "central_urban", **community}], under="431302001"))


def _staff_limit(c, params):
    """A helper of the kind plug-ins write: it reads a parameter its caller may not declare."""
    return params.staff_max


class TestUndeclaredParameters:
    def test_the_swap_of_the_issue_cannot_load(self):
        """benefit_projects swapped for a function comparing yuan/year funds with staff_max is refused
        at load, naming the rule and the parameter."""

        @formula(BENEFIT, increasing=["funding.benefit_projects"])
        def swapped(c: CommunityInputs, p: Parameters):
            """惠民项目资金: compared with the wrong parameter."""
            return at_least(c.number("funding.benefit_projects"), p.staff_max, unit="yuan/year")

        with pytest.raises(sg.PolicyError) as info:
            sg.Policy.from_toml(LOUDI_TOML, _loudi_functions(BENEFIT) + [swapped])
        (where, msg), = info.value.problems
        assert where == f"rules.{BENEFIT}"
        assert "'staff_max'" in msg and "does not declare" in msg
        assert sg.policies.load("loudi").rule(BENEFIT).parameters[0] in msg  # the declared one is named

    def test_a_parameter_the_policy_does_not_define_is_named(self):
        """Reading p["nothing"] is refused at load too, as a parameter the policy does not define."""

        @formula(BENEFIT)
        def swapped(c, p):
            """惠民项目资金."""
            return at_least(c.number("funding.benefit_projects"), p["nothing"])

        with pytest.raises(sg.PolicyError, match="'nothing', which the policy does not define"):
            sg.Policy.from_toml(LOUDI_TOML, _loudi_functions(BENEFIT) + [swapped])

    def test_a_read_in_a_helper_given_the_parameters_cannot_load(self):
        """A helper of the same package handed ``p`` is read too: its undeclared parameter is named at load."""

        @formula(BENEFIT)
        def swapped(c, p):
            """惠民项目资金."""
            return at_least(c.number("funding.benefit_projects"), _staff_limit(c, p))

        with pytest.raises(sg.PolicyError, match="reads parameter 'staff_max', which it does not declare"):
            sg.Policy.from_toml(LOUDI_TOML, _loudi_functions(BENEFIT) + [swapped])

    def test_a_read_through_a_helper_fails_at_the_first_evaluation(self):
        """A read the loader cannot see (through a helper) gives ERROR verdicts naming rule and parameter."""

        def threshold(p, name):
            return getattr(p, name)

        @formula(BENEFIT)
        def swapped(c, p):
            """惠民项目资金."""
            return at_least(c.number("funding.benefit_projects"), threshold(p, "staff_max"))

        pol = sg.Policy.from_toml(LOUDI_TOML, _loudi_functions(BENEFIT) + [swapped])
        with pytest.warns(sg.RuleErrorWarning, match=f"{BENEFIT}.*'staff_max'.*does not declare"):
            report = sg.evaluate(_doc(funding={"benefit_projects": 300000}), pol, as_of="2024-01-01")
        assert report.status("431302001001", BENEFIT) is sg.Status.ERROR
        with warnings.catch_warnings(), pytest.raises(sg.PolicyError, match="staff_max"):
            warnings.simplefilter("ignore", sg.RuleErrorWarning)
            T.check_policy(pol)

    def test_the_rule_sees_only_its_parameters(self):
        """The view a rule receives holds exactly its declared parameters."""
        pol = sg.policies.load("loudi")
        p = pol.params("2024-01-01").for_rule(pol.rule(BENEFIT))
        (name,) = pol.rule(BENEFIT).parameters
        assert list(p) == [name] and p.read == ()
        assert p[name] == 200000.0 and p.read == (name,)
        assert not hasattr(p, "_repr_html_") and p.read == (name,)  # a tool probing is not a read


class TestExplanationParameters:
    def test_the_explanation_lists_exactly_the_parameters_read(self, toy_policy):
        """A rule declaring two parameters and reading one shows only that one; the kit flags the other."""
        import attrs

        rules = [attrs.evolve(r, parameters=("min_area", "share_target")) if r.id == "toy.area" else r
                 for r in toy_policy.rules]
        pol = toy_policy.with_rules(rules)
        ds = sg.Dataset.from_dict(T.document([{"facilities": [{"kind": "service_housing", "area": 500}]}]))
        text = sg.evaluate(ds, pol, as_of="2024-01-01", mode="what-if").explain("110101001001", "toy.area")
        params = text.split("Parameters in force")[1].split("Computation")[0]
        assert "min_area" in params and "share_target" not in params
        with pytest.raises(AssertionError, match="toy.area: declares share_target but never reads it"):
            T.check_parameters_read(pol)

    def test_a_rule_that_did_not_run_lists_its_declared_parameters(self, toy_policy):
        """Before its start date a rule did not run: its explanation shows the parameters it declares."""
        ds = sg.Dataset.from_dict(T.document([{"facilities": [{"kind": "service_housing", "area": 500}]}]))
        text = sg.evaluate(ds, toy_policy, as_of="1990-01-01", mode="what-if").explain("110101001001", "toy.area")
        assert "min_area" in text


class TestFormulaDeclarations:
    def _load(self, fn):
        return sg.Policy.from_toml(LOUDI_TOML, _loudi_functions(BENEFIT) + [fn])

    def test_an_unknown_monotone_input_fails_at_load_with_one_message(self):
        """increasing=["staff"] is refused when the policy loads, suggesting staff.count, the known inputs listed once."""

        @formula(BENEFIT, increasing=["staff"], decreasing=["facility_area:garage"])
        def fn(c, p):
            """惠民项目资金."""
            return at_least(c.number("funding.benefit_projects"), 1.0)

        with pytest.raises(sg.PolicyError) as info:
            self._load(fn)
        (where, msg), = info.value.problems
        assert where == f"rules.{BENEFIT}"
        assert "unknown input 'staff'; did you mean 'staff.count'?" in msg and "'garage'" in msg
        assert str(info.value).count("funding.operating") == 1

    def test_a_function_without_two_arguments_fails_at_load(self):
        """A formula must take (c, p)."""

        @formula(BENEFIT)
        def fn(c):
            """惠民项目资金."""
            return measure(c.number("funding.benefit_projects"))

        with pytest.raises(sg.PolicyError, match=r"must take two arguments \(c, p\)"):
            self._load(fn)

    def test_every_monotone_input_has_a_perturbation(self):
        """Each name the loader accepts is one the kit can perturb (one list for both)."""
        from shequ_gov.testing._checks import _RECORD_PERTURBATIONS, perturbation

        assert set(_RECORD_PERTURBATIONS) == set(RECORD_INPUTS)
        assert T.PERTURBATIONS == MONOTONE_INPUTS
        for name in MONOTONE_INPUTS:
            perturbation(name.replace("<kind>", "service_housing" if name.startswith("facility") else "x"))

    def test_staff_count_perturbation_adds_a_member(self):
        """staff.count adds one member to each community with a staff list, none where it is missing."""
        from shequ_gov.testing._checks import perturbation

        doc = T.document([{"staff": [{"roles": ["worker"]}]}, {}])
        perturbation("staff.count")(doc)
        assert len(doc["communities"][0]["staff"]) == 2 and "staff" not in doc["communities"][1]

    def test_staff_count_monotonicity_is_checked(self, toy_policy):
        """A staff-minimum rule declared increasing in staff.count passes; a staff maximum declared so fails."""
        import attrs

        def minimum(c, p):
            """at least 3 staff."""
            return at_least(c.staff_count(), 3.0, unit="worker")

        def maximum(c, p):
            """at most 3 staff."""
            from shequ_gov.rules import at_most

            return at_most(c.staff_count(), 3.0, unit="worker")

        def with_area(fn):
            return toy_policy.with_rules([attrs.evolve(r, function=fn, increasing=("staff.count",), parameters=())
                                          if r.id == "toy.households" else r for r in toy_policy.rules])

        T.check_monotonicity(with_area(minimum))
        with pytest.raises(AssertionError, match="more staff.count turned pass into fail"):
            T.check_monotonicity(with_area(maximum))


class TestSelection:
    def test_a_region_rule_gets_its_selection_and_the_inputs_are_not_changed(self, toy_policy):
        """Each region-level rule sees the communities its area types select; the shared inputs keep theirs."""
        import attrs

        seen = []

        def count_selected(c, p):
            """the number of selected communities."""
            seen.append(c)
            d = c.regions("district")
            return measure(d.count(c.selected.is_true))

        rule = toy_policy.rule("toy.area_share")
        urban = attrs.evolve(rule, id="toy.urban_count", function=count_selected, parameters=(),
                             area_types=frozenset({sg.AreaType.URBAN}), kind="indicator", strength="none")
        everyone = attrs.evolve(urban, id="toy.all_count", area_types=None)
        pol = toy_policy.with_rules([urban, everyone])
        ds = sg.Dataset.from_dict(T.document([{"area_type": "urban"}, {"area_type": "rural"}, {}]))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            r = sg.evaluate(ds, pol, as_of="2024-01-01", mode="what-if")
        assert r.finding("110101", "toy.urban_count").measured == 1
        assert r.finding("110101", "toy.all_count").measured == 3
        a, b = seen
        assert a is not b and a.selected.states() == ["true", "false", "unknown"]
        assert a.regions("district").share(Tri(np.ones(3, bool)))[0].tolist() == [0.5]  # 1 of 1, 1 maybe

    def test_with_selection_leaves_the_original_alone(self, example_doc):
        """with_selection returns a view; the inputs it came from keep selecting everything."""
        c = CommunityInputs(sg.Dataset.from_dict(example_doc)._st)
        view = c.with_selection(Tri(np.array([True, False])))
        assert view.selected.states() == ["true", "false"] and c.selected.states() == ["true", "true"]
        with pytest.raises(AttributeError):
            c.selected = Tri.true(2)
        with pytest.raises(ValueError, match="a selection of 1 communities for 2"):
            c.with_selection(Tri.true(1))

    def test_rule_functions_can_be_typed(self):
        """The types a rule function is annotated with are the ones the engine passes."""
        pol = sg.policies.load("loudi")
        ds = _doc(funding={"benefit_projects": 300000})
        got = []

        def spy(c: CommunityInputs, p: Parameters):
            got.append((type(c), type(p)))
            return condition(Tri.true(c.n))

        import attrs

        sg.evaluate(ds, pol.with_rules([attrs.evolve(pol.rule(BENEFIT), function=spy)]), as_of="2024-01-01")
        assert got == [(CommunityInputs, Parameters)]
