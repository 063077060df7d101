"""The conformance kit: it passes a good policy and catches each defect of a broken one."""

import attrs
import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov import testing as T
from shequ_gov.rules import Tri, at_least, condition


@T.parametrize_with_checks([__import__("conftest").TOY])
def test_the_toy_policy_conforms(policy, check):
    """Every named check passes on the toy policy."""
    check(policy)


def _with_rule(policy, rule_id, **changes):
    rules = [attrs.evolve(r, **changes) if r.id == rule_id else r for r in policy.rules]
    return policy.with_rules(rules)


def _fn(body, doc="a broken rule"):
    body.__doc__ = doc
    return body


@attrs.frozen(eq=False)
class _AlwaysInForce(sg.Rule):
    def in_force(self, as_of):
        return True


def _broken(toy):
    """One broken variant of the toy policy per check, each with the defect that check must catch."""
    area = toy.rule("toy.area")
    param = toy.parameters["min_area"]
    bad_value = attrs.evolve(param.values[0], citation=attrs.evolve(param.values[0].citation, quote=""))
    return {
        "check_metadata": _with_rule(toy, "toy.area", title_en=""),
        "check_parameters_read": _with_rule(toy, "toy.area", parameters=("min_area", "share_target")),
        "check_parameters": attrs.evolve(toy, parameters={**toy.parameters, "min_area": attrs.evolve(
            param, values=(bad_value,) + param.values[1:])}),
        "check_determinism": _with_rule(toy, "toy.households", function=_fn(
            lambda c, p: condition(Tri(np.random.default_rng().random(c.n) < 0.5)))),
        "check_order_invariance": _with_rule(toy, "toy.area", function=_fn(
            lambda c, p: condition(c.facilities.any(Tri(_first_record(c.facilities) & c.facilities.kind_in(
                ["service_housing"]))), unit="m**2"))),
        "check_batch_invariance": _with_rule(toy, "toy.households", kind="requirement", strength="standard",
                                             function=_fn(lambda c, p: at_least(
                                                 c.number("households"), np.nanmean(c.number("households"))))),
        "check_not_applicable_before_start": toy.with_rules(
            [_AlwaysInForce(**{a.name: getattr(r, a.name) for a in attrs.fields(sg.Rule)}) if r.id == "toy.households"
             else r for r in toy.rules]),
        "check_missing_input_gives_unknown": _with_rule(toy, "toy.area", function=_fn(
            lambda c, p: at_least(np.nan_to_num(c.facility_area("service_housing"), nan=1e9), p.min_area,
                                  unit="m**2"))),
        "check_unit_invariance": _with_rule(toy, "toy.area", function=_fn(
            lambda c, p: at_least(c.facility_area("service_housing"), p.min_area, unit="yuan/month"))),
        "check_monotonicity": _with_rule(toy, "toy.area", increasing=("households",), function=_fn(
            lambda c, p: at_least(-c.number("households"), -1000.0, unit="m**2"))),
    }


def _first_record(child):
    first = np.zeros(len(child), bool)
    starts = np.flatnonzero(np.r_[True, child.owner[1:] != child.owner[:-1]]) if len(child) else []
    first[starts] = True
    return first


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
@pytest.mark.parametrize("check_name", [c.__name__ for c in T.all_checks()])
def test_each_check_catches_its_defect(toy_policy, check_name):
    """A policy broken in the way a check guards against fails that check, by name."""
    broken = _broken(toy_policy)[check_name]
    with pytest.raises(AssertionError):
        getattr(T, check_name)(broken)
    with pytest.raises(sg.PolicyError) as info:
        T.check_policy(broken)
    assert check_name in [name for name, _ in info.value.problems]


def test_check_policy_passes_a_good_policy(toy_policy):
    """check_policy returns quietly on a conforming policy."""
    T.check_policy(toy_policy)


def test_expected_failures_are_declared_with_a_reason(toy_policy):
    """A declared known failure is tolerated; one that unexpectedly passes is reported."""
    broken = _broken(toy_policy)["check_metadata"]
    T.check_policy(broken, expected_failures={"check_metadata": "titles pending translation"})
    with pytest.raises(sg.PolicyError, match="expected to fail"):
        T.check_policy(toy_policy, expected_failures={"check_metadata": "no reason"})


def test_unknown_monotonicity_input_is_named(toy_policy):
    """A monotonicity declaration naming an unknown input fails the metadata check."""
    bad = _with_rule(toy_policy, "toy.area", increasing=("square_feet",))
    with pytest.raises(AssertionError, match="unknown input 'square_feet'"):
        T.check_metadata(bad)
