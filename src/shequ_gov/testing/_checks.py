"""The conformance kit a policy author runs on a plug-in (like scikit-learn's ``check_estimator``).

:func:`check_policy` runs every named check and raises one :class:`~shequ_gov.PolicyError`
listing each check that failed and why; :func:`parametrize_with_checks` gives one pytest test per
check. Each check is a plain function ``check_<name>(policy)`` that raises ``AssertionError``
with a message saying what is wrong. The data they use is generated deterministically (see
``_sample``), inside the policy's jurisdiction and outside it, and evaluated in what-if mode.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np

from .. import _schema as S
from .._errors import PolicyError
from .._monotone import CHILD_NUMERIC_INPUTS, MONOTONE_INPUTS, NUMERIC_INPUTS, input_problem
from .._policy import Policy
from .._vocab import STATUSES, Level, Status
from ._sample import sample_document

__all__ = ["PERTURBATIONS", "all_checks", "check_policy", "parametrize_with_checks"]

#: A date after every start date of the first-party policies, for the checks' evaluations.
AS_OF = dt.date(2024, 6, 30)
def _perturb_numeric(path: str) -> Callable[[dict], None]:
    keys = path.split(".")
    share = NUMERIC_INPUTS[path] == "share"

    def apply(doc: dict) -> None:
        for c in doc["communities"]:
            target = c
            for k in keys[:-1]:
                target = target.get(k)
                if not isinstance(target, dict):
                    break
            else:
                v = target.get(keys[-1])
                if v is None:
                    continue
                if share:
                    target[keys[-1]] = min(1.0, round(v + 0.2, 2))
                elif isinstance(v, int):
                    target[keys[-1]] = int(v * 1.5) + 1
                else:
                    target[keys[-1]] = v * 1.5 + 1

    return apply


def _perturb_facility_area(kind: str) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        for c in doc["communities"]:
            for f in c.get("facilities") or []:
                if f["kind"] == kind and f.get("area") is not None:
                    f["area"] = f["area"] * 1.5 + 1

    return apply


def _perturb_child_numeric(table: str, field: str) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        for c in doc["communities"]:
            for m in c.get(table) or []:
                if m.get(field) is not None:
                    m[field] = m[field] * 1.5 + 100

    return apply


def _perturb_add_certified(doc: dict) -> None:
    for c in doc["communities"]:
        if c.get("staff") is not None:
            c["staff"].append({"roles": ["worker"], "certified_social_worker": True})


def _perturb_add_task(kind: str) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        for c in doc["communities"]:
            if c.get("tasks") is not None:
                c["tasks"].append({"kind": kind, "role": "responsible", "funded": False, "on_access_list": False,
                                   "legal_basis": False})

    return apply


def _perturb_wage(doc: dict) -> None:
    for r in doc["regions"]:
        if r.get("average_annual_wage") is not None:
            r["average_annual_wage"] = r["average_annual_wage"] * 1.5 + 1000


def _perturb_add_staff(doc: dict) -> None:
    for c in doc["communities"]:
        if c.get("staff") is not None:
            c["staff"].append({"roles": ["worker"]})


_RECORD_PERTURBATIONS = {"staff.count": _perturb_add_staff, "staff.certified": _perturb_add_certified,
                         "region.average_annual_wage": _perturb_wage}


def perturbation(name: str) -> Callable[[dict], None]:
    """The document transformation that increases the input *name* (see :data:`PERTURBATIONS`)."""
    problem = input_problem(name)
    if problem is not None:
        raise KeyError(f"{problem} (known: {', '.join(PERTURBATIONS)})")
    if name in NUMERIC_INPUTS:
        return _perturb_numeric(name)
    if name in CHILD_NUMERIC_INPUTS:
        return _perturb_child_numeric(*CHILD_NUMERIC_INPUTS[name])
    if name in _RECORD_PERTURBATIONS:
        return _RECORD_PERTURBATIONS[name]
    head, _, kind = name.partition(":")
    return _perturb_facility_area(kind) if head == "facility_area" else _perturb_add_task(kind)


#: Inputs a rule may declare monotone in (``@formula(..., increasing=[...], decreasing=[...])``),
#: each with a perturbation here; the policy loader rejects any other name.
PERTURBATIONS = MONOTONE_INPUTS


# --- helpers -------------------------------------------------------------------------------------

def _doc(policy: Policy, seed: int = 0, n: int = 240) -> dict:
    return sample_document(policy.jurisdiction, n=n, seed=seed)


def _verdicts(policy: Policy, doc: Mapping, as_of: dt.date = AS_OF, mode: str = "what-if") -> dict[tuple[str, int], int]:
    import shequ_gov as sg

    report = sg.evaluate(sg.Dataset.from_dict(doc), policy, as_of=as_of, mode=mode)
    out: dict[tuple[str, int], int] = {}
    for rid in report.rule_ids:
        v = report.verdicts(rid)
        for code, s in zip(v.codes.tolist(), v.status.tolist()):
            out[(rid, code)] = s
    return out


_S = STATUSES


def _describe(diffs: list[str], limit: int = 8) -> str:
    more = f"\n  … and {len(diffs) - limit} more" if len(diffs) > limit else ""
    return "\n  ".join(diffs[:limit]) + more


def _compare(a: dict, b: dict, what: str) -> None:
    diffs = [f"{rid} on {code:012d}: {_S[a[(rid, code)]].value} → {_S[b[(rid, code)]].value}"
             for (rid, code) in a if (rid, code) in b and a[(rid, code)] != b[(rid, code)]]
    missing = [k for k in a if k not in b]
    assert not diffs and not missing, f"{what} changed {len(diffs)} verdicts:\n  {_describe(diffs)}"


# --- the checks -----------------------------------------------------------------------------------

def check_metadata(policy: Policy) -> None:
    """Every rule has bilingual titles, a level, kind, strength, start date, a function and a citation."""
    problems = []
    if not policy.id or not policy.name_zh or not policy.name_en:
        problems.append("the policy needs an id and Chinese and English names")
    if not policy.jurisdiction:
        problems.append("the policy needs a jurisdiction")
    if not policy.rules:
        problems.append("the policy has no rules")
    ids = [r.id for r in policy.rules]
    for rid in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{rid}: duplicate rule id")
    for r in policy.rules:
        if not r.id.startswith(policy.id + "."):
            problems.append(f"{r.id}: a rule id starts with the policy id and a dot")
        if not r.title_zh or not r.title_en:
            problems.append(f"{r.id}: a title in Chinese and in English is required")
        if not isinstance(r.level, Level):
            problems.append(f"{r.id}: level {r.level!r} is not a Level")
        if r.kind not in ("requirement", "target", "indicator"):
            problems.append(f"{r.id}: unknown kind {r.kind!r}")
        if r.citation is None or not str(r.citation.quote).strip():
            problems.append(f"{r.id}: no quoted source sentence")
        elif not r.citation.source.title or r.citation.source.id not in policy.sources:
            problems.append(f"{r.id}: its citation names a source the policy does not list")
        if not callable(r.function):
            problems.append(f"{r.id}: no function")
        elif not (r.function.__doc__ or "").strip():
            problems.append(f"{r.id}: its function has no docstring naming the sentence it implements")
        bad = [m for m in map(input_problem, r.increasing + r.decreasing) if m is not None]
        if bad:  # the loader rejects these; a Rule built by hand may still carry them
            problems.append(f"{r.id}: " + "; ".join(bad))
    assert not problems, "metadata incomplete:\n  " + "\n  ".join(problems)


def check_parameters(policy: Policy) -> None:
    """Parameters carry units that parse, dated values in order, and a citation for each value."""
    from .._units import ureg

    problems = []
    for name, p in policy.parameters.items():
        try:
            ureg.Unit(p.unit) if p.unit else None
        except Exception:
            problems.append(f"{name}: unit {p.unit!r} does not parse")
        if not p.values:
            problems.append(f"{name}: no values")
        starts = [v.start for v in p.values]
        if starts != sorted(set(starts)):
            problems.append(f"{name}: dates not strictly increasing: {starts}")
        for v in p.values:
            if v.citation is None or not v.citation.quote.strip():
                problems.append(f"{name} from {v.start}: no quoted source sentence")
        if not p.description_zh or not p.description_en:
            problems.append(f"{name}: a description in Chinese and English is required")
    for r in policy.rules:
        for name in r.parameters:
            p = policy.parameters.get(name)
            if p is None:
                problems.append(f"{r.id}: unknown parameter {name!r}")
            elif p.entry(r.start) is None:
                problems.append(f"{r.id}: parameter {name!r} has no value on the rule's start date {r.start}")
    assert not problems, "parameters incomplete:\n  " + "\n  ".join(problems)


def check_determinism(policy: Policy) -> None:
    """The same data and date give byte-identical reports."""
    import shequ_gov as sg

    doc = _doc(policy)
    a = sg.evaluate(sg.Dataset.from_dict(doc), policy, as_of=AS_OF, mode="what-if").to_json()
    b = sg.evaluate(sg.Dataset.from_dict(copy.deepcopy(doc)), policy, as_of=AS_OF, mode="what-if").to_json()
    assert a == b, "two evaluations of the same data gave different reports"


def check_order_invariance(policy: Policy) -> None:
    """Shuffling the communities, the regions and each community's records changes no verdict."""
    doc = _doc(policy, seed=1)
    rng = np.random.default_rng(7)
    shuffled = copy.deepcopy(doc)
    rng.shuffle(shuffled["communities"])
    rng.shuffle(shuffled["regions"])
    for c in shuffled["communities"]:
        for key in ("facilities", "staff", "tasks", "plaques"):
            if isinstance(c.get(key), list):
                rng.shuffle(c[key])
    _compare(_verdicts(policy, doc), _verdicts(policy, shuffled), "shuffling the input")


def check_batch_invariance(policy: Policy) -> None:
    """A community judged alone gets the verdicts of community rules it gets in a batch."""
    doc = _doc(policy, seed=2, n=120)
    batch = _verdicts(policy, doc)
    community_rules = {r.id for r in policy.rules if r.level is Level.COMMUNITY}
    diffs = []
    for c in doc["communities"][::6]:
        code = c["code"]
        regions = [r for r in doc["regions"] if code[:_digits(r["code"])] == r["code"][:_digits(r["code"])]]
        alone = _verdicts(policy, {"schema": doc["schema"], "regions": regions, "communities": [c]})
        for (rid, k), s in alone.items():
            if rid in community_rules and batch.get((rid, k)) != s:
                diffs.append(f"{rid} on {k:012d}: {_S[batch[(rid, k)]].value} in the batch, {_S[s].value} alone")
    assert not diffs, f"verdicts depend on the rest of the batch:\n  {_describe(diffs)}"


def _digits(code: str) -> int:
    from .._codes import code_level

    return code_level(code).digits


def check_not_applicable_before_start(policy: Policy) -> None:
    """The day before a rule's start date, all its verdicts are NOT_APPLICABLE."""
    doc = _doc(policy, seed=3, n=120)
    diffs = []
    for start in sorted({r.start for r in policy.rules}):
        day = start - dt.timedelta(days=1)
        v = _verdicts(policy, doc, as_of=day)
        for r in policy.rules:
            if r.start != start:
                continue
            bad = [code for (rid, code), s in v.items() if rid == r.id and _S[s] is not Status.NOT_APPLICABLE]
            if bad:
                diffs.append(f"{r.id} on {day}: {len(bad)} verdicts not NOT_APPLICABLE (e.g. {bad[0]:012d})")
    assert not diffs, "rules judged before their start date:\n  " + "\n  ".join(diffs)


def check_missing_input_gives_unknown(policy: Policy) -> None:
    """Missing data is UNKNOWN, never PASS: an empty community is never judged, and removing an input
    changes a verdict only to UNKNOWN."""
    doc = _doc(policy, seed=4, n=120)
    empty = copy.deepcopy(doc)
    for c in empty["communities"]:
        for k in list(c):
            if k not in ("code", "name", "parent"):
                del c[k]
    community_rules = {r.id for r in policy.rules if r.level is Level.COMMUNITY}
    judged = [f"{rid} on {code:012d}: {_S[s].value}" for (rid, code), s in _verdicts(policy, empty).items()
              if rid in community_rules and _S[s] in (Status.PASS, Status.FAIL)]
    assert not judged, f"a community with no data was judged:\n  {_describe(judged)}"
    base = _verdicts(policy, doc)
    keys = sorted({k for c in doc["communities"] for k in c if k not in ("code", "name", "parent")})
    diffs = []
    for key in keys:
        dropped = copy.deepcopy(doc)
        for c in dropped["communities"]:
            c.pop(key, None)
        after = _verdicts(policy, dropped)
        for k, s in base.items():
            if k in after and after[k] != s and _S[after[k]] is not Status.UNKNOWN:
                diffs.append(f"without {key!r}: {k[0]} on {k[1]:012d}: {_S[s].value} → {_S[after[k]].value}")
    assert not diffs, f"removing an input changed verdicts to something other than UNKNOWN:\n  {_describe(diffs)}"


#: Per canonical unit, other ways of writing a value: (unit strings, factor from the canonical unit).
_UNIT_SPELLINGS = {
    "m**2": (("km**2", 1e-6), ("平方米", 1.0)), "yuan/year": (("万元/year", 1e-4), ("万元/年", 1e-4),
                                                            ("wan_yuan/year", 1e-4)),
    "yuan/month": (("yuan/year", 12.0), ("元/月", 1.0)), "minute": (("hour", 1 / 60),),
    "km": (("m", 1000.0),), "household": (("户", 1.0),), "person": (("人", 1.0),),
}


def _alt_units() -> dict[str, tuple[str, float]]:
    """Field name → another spelling of its canonical unit, for every field with a unit in the schema
    (fields of one unit take its spellings in turn)."""
    out: dict[str, tuple[str, float]] = {}
    seen: dict[str, int] = {}
    for _, m in S.walk():
        if isinstance(m, S.Field) and m.unit and m.unit in _UNIT_SPELLINGS and m.name not in out:
            spellings = _UNIT_SPELLINGS[m.unit]
            out[m.name] = spellings[seen.get(m.unit, 0) % len(spellings)]
            seen[m.unit] = seen.get(m.unit, 0) + 1
    return out


_ALT_UNITS = _alt_units()


def _rewrite_units(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in _ALT_UNITS and isinstance(v, (int, float)) and not isinstance(v, bool):
                unit, factor = _ALT_UNITS[k]
                out[k] = f"{v * factor!r} {unit}"
            else:
                out[k] = _rewrite_units(v)
        return out
    if isinstance(node, list):
        return [_rewrite_units(x) for x in node]
    return node


def check_unit_invariance(policy: Policy) -> None:
    """The same data written in other units gives the same verdicts, and each threshold rule reports
    its values in a unit of the dimension of its parameters."""
    import shequ_gov as sg
    from .._units import ureg

    doc = _doc(policy, seed=5, n=120)
    _compare(_verdicts(policy, doc), _verdicts(policy, _rewrite_units(doc)), "writing the data in other units")
    report = sg.evaluate(sg.Dataset.from_dict(doc), policy, as_of=AS_OF, mode="what-if")
    problems = []
    for rid in report.rule_ids:
        b = report.verdicts(rid)
        if b.relation is None or not b.relation.compares:
            continue
        try:
            dim = ureg.Unit(b.unit).dimensionality if b.unit else ureg.dimensionless.dimensionality
        except Exception:
            problems.append(f"{b.rule.id}: its outcome unit {b.unit!r} does not parse")
            continue
        dims = []
        for name in b.rule.parameters:
            p = policy.parameters[name]
            if p.values and not isinstance(p.values[0].value, tuple):  # list parameters have no dimension
                dims.append(ureg.Unit(p.unit).dimensionality if p.unit else ureg.dimensionless.dimensionality)
        if dims and dim not in dims:
            problems.append(f"{b.rule.id}: compares values in {b.unit or 'plain numbers'} against parameters in "
                            + ", ".join(policy.parameters[n].unit for n in b.rule.parameters))
    assert not problems, "unit problems:\n  " + "\n  ".join(problems)


def check_monotonicity(policy: Policy) -> None:
    """Declared monotonicity holds: more of an ``increasing`` input never turns PASS into FAIL, more of a
    ``decreasing`` input never turns FAIL into PASS."""
    doc = _doc(policy, seed=6)
    base = _verdicts(policy, doc)
    diffs = []
    for r in policy.rules:
        for names, bad_from, bad_to in ((r.increasing, Status.PASS, Status.FAIL),
                                        (r.decreasing, Status.FAIL, Status.PASS)):
            for name in names:
                changed = copy.deepcopy(doc)
                perturbation(name)(changed)
                after = _verdicts(policy, changed)
                for (rid, code), s in base.items():
                    if rid == r.id and _S[s] is bad_from and _S[after.get((rid, code), s)] is bad_to:
                        diffs.append(f"{rid} on {code:012d}: more {name} turned {bad_from.value} into {bad_to.value}")
    assert not diffs, f"declared monotonicity does not hold:\n  {_describe(diffs)}"


def check_parameters_read(policy: Policy) -> None:
    """Each rule reads exactly the parameters it declares: the engine refuses any other (an ERROR
    naming the rule and the parameter), and a declared parameter the rule never reads would be shown
    in its explanations without having counted."""
    import shequ_gov as sg

    report = sg.evaluate(sg.Dataset.from_dict(_doc(policy, seed=8)), policy, as_of=AS_OF, mode="what-if")
    problems = []
    for rid in report.rule_ids:
        b = report.verdicts(rid)
        if b.error is not None:
            problems.append(f"{b.rule.id}: {b.error}")
        elif b.parameters_read is not None:
            unread = [n for n in b.rule.parameters if n not in b.parameters_read]
            if unread:
                problems.append(f"{b.rule.id}: declares {', '.join(unread)} but never reads it; remove it from "
                                "the rule's `parameters` or use it")
    assert not problems, "rules and their parameters disagree:\n  " + "\n  ".join(problems)


def check_every_verdict_reached(policy: Policy, *, n: int = 600, seed: int = 11, as_of: dt.date | str = AS_OF,
                                except_rules: Iterable[str] = ()) -> None:
    """On the kit's sample data (*n* communities in the policy's jurisdiction, what-if mode) no rule
    raises, and every community-level rule reaches PASS, FAIL and UNKNOWN somewhere (an indicator:
    MEASURED and UNKNOWN).

    A rule that only ever passes on varied data is usually misencoded (a threshold in the wrong unit,
    a condition that cannot be false). Not part of :func:`all_checks` (a toy policy may legitimately
    judge too little to vary); call it from a plug-in's tests. *except_rules* names rules that cannot
    reach every verdict on such data, each for a reason the caller states in a comment.
    """
    import shequ_gov as sg

    ds = sg.Dataset.from_dict(sample_document(policy.jurisdiction, n=n, seed=seed))
    report = sg.evaluate(ds, policy, as_of=as_of, mode="what-if")
    skip = set(except_rules)
    unknown = sorted(skip - {r.id for r in policy.rules})
    assert not unknown, f"except_rules names no rule of {policy.id}: {', '.join(unknown)}"
    problems = []
    for rid in report.rule_ids:
        v = report.verdicts(rid)
        seen = {s for s, k in v.counts().items() if k}
        if Status.ERROR in seen:
            problems.append(f"{rid}: ERROR on {v.count(Status.ERROR)} units ({v.error})")
        elif v.level is Level.COMMUNITY and rid not in skip:
            want = ({Status.MEASURED, Status.UNKNOWN} if v.rule.kind == "indicator"
                    else {Status.PASS, Status.FAIL, Status.UNKNOWN})
            if not want <= seen:
                problems.append(f"{rid}: never {', '.join(sorted(s.value for s in want - seen))} on {n} sample "
                                f"communities (seen: {', '.join(sorted(s.value for s in seen))})")
    assert not problems, "rules that do not reach every verdict on sample data:\n  " + "\n  ".join(problems)


def _decided_checks() -> tuple:
    from ._fill import (
        check_known_verdicts_hold_for_every_missing_value, check_unknown_only_where_a_missing_category_could_change_it,
    )

    return check_known_verdicts_hold_for_every_missing_value, check_unknown_only_where_a_missing_category_could_change_it


_CHECKS = (check_metadata, check_parameters, check_parameters_read, check_determinism, check_order_invariance, check_batch_invariance,
           check_not_applicable_before_start, check_missing_input_gives_unknown, check_unit_invariance,
           check_monotonicity) + _decided_checks()


def all_checks(policy: Policy | None = None) -> Iterator[Callable[[Policy], None]]:
    """Every conformance check, in the order they run."""
    yield from _CHECKS


def check_policy(policy: Policy, *, expected_failures: Mapping[str, str] | None = None) -> None:
    """Run every conformance check on *policy*; raise one PolicyError listing each failure.

    *expected_failures* maps a check's name to the reason it is known to fail (it is still run,
    and reported if it unexpectedly passes).
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"expected a shequ_gov.Policy, got {type(policy).__name__}")
    expected = dict(expected_failures or {})
    problems: list[tuple[str, str]] = []
    for check in all_checks(policy):
        name = check.__name__
        try:
            check(policy)
        except AssertionError as exc:
            if name not in expected:
                problems.append((name, str(exc)))
        except Exception as exc:  # a crash inside a check is a failure of the policy too
            problems.append((name, f"crashed: {type(exc).__name__}: {exc}"))
        else:
            if name in expected:
                problems.append((name, f"expected to fail ({expected[name]}) but passed"))
    if problems:
        raise PolicyError(problems, source=f"policy {policy.id}")


def parametrize_with_checks(policies: Iterable[Policy], *, expected_failures: Mapping[str, str] | None = None) -> Any:
    """A ``pytest.mark.parametrize`` giving one test per (policy, check).

    >>> # in a plug-in's tests:
    >>> # @parametrize_with_checks([policy])
    >>> # def test_conformance(policy, check):
    >>> #     check(policy)
    """
    import pytest

    expected = dict(expected_failures or {})
    params = []
    for pol in policies:
        for check in all_checks(pol):
            marks = [pytest.mark.xfail(reason=expected[check.__name__], strict=True)] if check.__name__ in expected else []
            params.append(pytest.param(pol, check, id=f"{pol.id}-{check.__name__}", marks=marks))
    return pytest.mark.parametrize("policy, check", params)
