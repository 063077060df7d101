"""Hostile rule outcomes: the engine checks every outcome once; a malformed one is ERROR for that
rule with a RuleErrorWarning naming it, the other rules still run and the report stays valid."""

from __future__ import annotations

import json
import sys

import attrs
import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov.rules import Outcome, Tri, at_least, condition, measure

CODE = "431302001001"


def _outcomes(n):
    """(name, a function of (c, p) returning a malformed outcome, words the warning must contain)."""
    t = Tri.true(n)
    return [
        ("plain array", lambda c, p: np.ones(n, bool), "ndarray, expected an Outcome"),
        ("list", lambda c, p: [True] * n, "list, expected an Outcome"),
        ("None", lambda c, p: None, "NoneType"),
        ("array result", lambda c, p: Outcome(np.ones(n, bool)), "result is ndarray"),
        ("list result", lambda c, p: Outcome([True] * n), "result is list"),
        ("2-D Tri", lambda c, p: condition(Tri(np.ones((n, 2), bool))), "result.value"),
        ("short Tri", lambda c, p: condition(Tri(np.ones(n + 1, bool))), f"{n + 1} verdicts for {n} subjects"),
        ("0-d Tri", lambda c, p: condition(Tri(np.bool_(True))), "result.value"),
        ("known of other length", lambda c, p: _tri_parts(np.ones(n, bool), np.ones(n + 3, bool)), f"{n + 3} verdicts for {n}"),
        ("measured wrong length", lambda c, p: at_least(np.ones(n + 1), 1.0, result=t), "measured"),
        ("measured strings", lambda c, p: condition(t, measured=np.array(["a"] * n)), "measured"),
        ("measured objects", lambda c, p: condition(t, measured=[None] * n), "measured"),
        ("measured ragged", lambda c, p: condition(t, measured=[[1], [1, 2]] + [0] * (n - 2)), "measured"),
        ("measured 2-D", lambda c, p: condition(t, measured=np.ones((n, 2))), "measured"),
        ("measured +inf", lambda c, p: at_least(np.full(n, np.inf), 1.0), "infinite"),
        ("measured -inf", lambda c, p: measure(np.full(n, -np.inf)), "infinite"),
        ("required inf", lambda c, p: at_least(np.ones(n), np.inf), "infinite"),
        ("required 1e308", lambda c, p: at_least(np.ones(n), -1e308), "out-of-range"),
        ("required text", lambda c, p: condition(t, required="ten"), "required"),
        ("input of wrong length", lambda c, p: condition(t, inputs={"x": (np.ones(n + 2), "")}), "inputs['x']"),
        ("input not a pair", lambda c, p: condition(t, inputs={"x": np.ones(n)}), "inputs['x']"),
        ("input of strings", lambda c, p: condition(t, inputs={"x": (np.array(["a"] * n), "m")}), "inputs['x']"),
        ("violations of unknown table", lambda c, p: condition(t, violations={"nope": np.ones(1, bool)}), "unknown table"),
        ("violations of wrong length", lambda c, p: condition(t, violations={"tasks": np.ones(99, bool)}), "violations"),
        ("unit not text", lambda c, p: condition(t, unit=5), "unit"),
        ("sys.exit in the rule", lambda c, p: sys.exit(3), "SystemExit"),
    ]


def _no_constant(token):
    raise AssertionError(f"non-JSON number {token} in the report")


def _tri_parts(value, known):
    t = Tri(value)
    t.known = known
    return condition(t)


@pytest.fixture
def ds(example_doc):
    return sg.Dataset.from_dict(example_doc)


@pytest.mark.parametrize("index", range(26))
def test_malformed_outcome_is_error_with_a_warning_and_the_report_stays_valid(ds, toy_policy, index):
    name, fn, words = _outcomes(len(ds))[index]
    bad = toy_policy.with_rules([attrs.evolve(r, function=fn) if r.id == "toy.area" else r
                                 for r in toy_policy.rules])
    with pytest.warns(sg.RuleErrorWarning) as record:
        report = sg.evaluate(ds, bad, as_of="2024-01-01")
    msg = " ".join(str(w.message) for w in record)
    assert "toy.area" in msg and words in msg, (name, msg)
    assert report.status(CODE, "toy.area") is sg.Status.ERROR
    assert report.status(CODE, "toy.banned_tasks") is not sg.Status.ERROR  # the others still ran
    text = report.to_json()
    json.loads(text, parse_constant=_no_constant)  # no NaN/Infinity tokens (and no bare inf: invalid JSON)
    assert "ERROR" in report.explain(CODE, "toy.area") or "error" in report.explain(CODE, "toy.area")
    report.to_csv()
    report.summary()


def test_the_table_has_26_entries():
    assert len(_outcomes(3)) == 26


def test_a_well_formed_outcome_with_nan_and_scalars_passes_the_check(ds, toy_policy):
    """NaN is unknown (allowed); scalar required values broadcast; integer arrays are numbers."""
    def ok(c, p):
        m = np.array([5, np.nan])
        return at_least(m, 3, inputs={"n": (np.array([1, 2]), ""), "k": (4.0, "")})

    good = toy_policy.with_rules([attrs.evolve(r, function=ok) if r.id == "toy.area" else r for r in toy_policy.rules])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", sg.RuleErrorWarning)
        report = sg.evaluate(ds, good, as_of="2024-01-01")
    assert report.status(CODE, "toy.area") is sg.Status.PASS


def _wrong_length_aggregates():
    """Rule functions handing a child table's aggregate an array that is not one value per record."""
    from shequ_gov.rules import Tri, at_least, no_violations

    def count_community_mask(c, p):  # a mask over the communities, not the staff
        return at_least(c.staff.count(np.ones(c.n, bool)), 1)

    def count_short_mask(c, p):
        return at_least(c.tasks.count(np.ones(len(c.tasks) - 1, bool)), 1)

    def sum_of_community_values(c, p):
        return at_least(c.facilities.sum(c.number("households")), 1)

    def min_with_long_mask(c, p):
        return at_least(c.staff.min(c.staff.column("monthly_pay"), np.ones(len(c.staff) + 1, bool)), 1)

    def any_of_community_tri(c, p):
        return at_least(c.staff.any(Tri.true(c.n)).as_float(), 1)

    def violations_over_too_many_records(c, p):
        return no_violations("tasks", Tri.true(len(c.tasks) + 2), c.tasks)

    return [count_community_mask, count_short_mask, sum_of_community_values, min_with_long_mask,
            any_of_community_tri, violations_over_too_many_records]


@pytest.mark.parametrize("fn", _wrong_length_aggregates(), ids=lambda f: f.__name__)
def test_an_aggregate_over_the_wrong_number_of_records_is_error_naming_the_table(ds, toy_policy, fn):
    # a mask or values of another length would count the wrong records (a mask one short of a table
    # whose every record matches used to count every record): the rule's verdicts are ERROR, naming
    # the table and the length it expected
    bad = toy_policy.with_rules([attrs.evolve(r, function=fn) if r.id == "toy.area" else r for r in toy_policy.rules])
    with pytest.warns(sg.RuleErrorWarning) as record:
        report = sg.evaluate(ds, bad, as_of="2024-01-01")
    msg = " ".join(str(w.message) for w in record)
    assert "toy.area" in msg and "ValueError" in msg and "expected one per" in msg and "record" in msg, msg
    assert report.status(CODE, "toy.area") is sg.Status.ERROR
    assert report.status(CODE, "toy.banned_tasks") is not sg.Status.ERROR
