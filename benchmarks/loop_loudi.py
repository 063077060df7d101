"""The Loudi rules as a plain Python loop over attrs Community objects (the baseline of columnar_vs_loop).

Same rules, same three-valued logic (True / False / None for unknown), same applicability, written
the way one would without the engine: one community at a time. ``benchmarks/_steps.py`` checks
that it agrees with the engine verdict for verdict before timing it.
"""

from __future__ import annotations

import math
from typing import Any

_EPS = 1e-9


def _ge(m: float | None, r: float | None) -> bool | None:
    if m is None or r is None or m != m or r != r:
        return None
    return m >= r - _EPS * max(1.0, abs(r))


def _le(m: float | None, r: float | None) -> bool | None:
    if m is None or r is None or m != m or r != r:
        return None
    return m <= r + _EPS * max(1.0, abs(r))


def _and(*xs: bool | None) -> bool | None:
    if any(x is False for x in xs):
        return False
    return None if any(x is None for x in xs) else True


def _or(*xs: bool | None) -> bool | None:
    if any(x is True for x in xs):
        return True
    return None if any(x is None for x in xs) else False


def _not(x: bool | None) -> bool | None:
    return None if x is None else not x


def _area(c: Any, kind: str) -> float | None:
    if c.facilities is None:
        return None
    total = 0.0
    for f in c.facilities:
        if f.kind == kind:
            if f.area is None:
                return None
            total += f.area.magnitude
    return total


def _has(items: Any, key: str) -> bool | None:
    return None if items is None else key in items


def grid_size(c: Any, p: Any) -> bool | None:
    hh, pop, grids = c.households, c.population, c.grids
    tol = p.grid_tolerance

    def about(x: float | None, size: float) -> bool | None:  # within size × (1 ± tol); 0 grids: never
        if grids == 0:
            return False
        if x is None or grids is None:
            return None
        return _and(_ge(x / grids, size * (1 - tol)), _le(x / grids, size * (1 + tol)))

    return _or(about(hh, p.grid_households), about(pop, p.grid_population))


def service_housing_area(c: Any, p: Any) -> bool | None:
    area = _area(c, "service_housing")
    new = c.new_build
    return _or(_ge(area, p.new_build_service_housing_min_area),
               _and(_not(new), _ge(area, p.service_housing_min_area)))


def service_center_area(c: Any, p: Any) -> bool | None:
    return _ge(_area(c, "service_center"), p.service_center_min_area)


def function_rooms(c: Any, p: Any) -> bool | None:
    if c.facilities is None:
        return None
    kinds = {f.kind for f in c.facilities}
    return all(k in kinds for k in p.required_function_rooms)


def five_unified(c: Any, p: Any) -> bool | None:
    if c.unified is None:
        return None
    return all(k in c.unified for k in p.five_unified_items)


def only_three(c: Any, p: Any) -> bool | None:
    if c.plaques is None:
        return None
    return all(k in p.allowed_plaques for k in c.plaques)


def staffing_ratio(c: Any, p: Any) -> bool | None:
    if c.staff is None:
        return None
    n = len(c.staff)
    if c.households is None:
        enough = True if n >= p.staff_max else (False if n < p.staff_min else None)
    else:
        required = min(max(math.ceil(c.households / p.households_per_worker), p.staff_min), p.staff_max)
        enough = _ge(n, required)
    return _and(enough, _le(n, p.staff_max))


def incompetent_dismissed(c: Any, p: Any) -> bool | None:
    if c.staff is None:
        return None
    need = int(p.incompetent_consecutive_years)
    for m in c.staff:
        run, last = 0, None
        for year, rating in m.ratings or ():
            if rating == "incompetent":
                run = run + 1 if last == year - 1 and run else 1
                last = year
                if run >= need:
                    return False
            else:
                run, last = 0, None
    return True


def funding_operating(c: Any, p: Any) -> bool | None:
    funds = None if c.funding is None or c.funding.operating is None else c.funding.operating.magnitude
    minimum = p.operating_funds_min  # keyed by area type
    if c.area_type is not None:
        return _ge(funds, minimum[c.area_type.value])
    values = list(minimum.values())  # the type is missing: any of the minimums could hold
    if _ge(funds, max(values)):
        return True
    return False if _ge(funds, min(values)) is False else None


def benefit_projects(c: Any, p: Any) -> bool | None:
    funds = None if c.funding is None or c.funding.benefit_projects is None else c.funding.benefit_projects.magnitude
    return _ge(funds, p.benefit_project_funds_min)


_FLOORS = ((("secretary", "director"), "base_pay_min_chief"),
           (("deputy_secretary", "deputy_director"), "base_pay_min_deputy"),
           (("committee_member",), "base_pay_min_member"))


def pay_base(c: Any, p: Any) -> bool | None:
    if c.staff is None:
        return None
    unknown = False
    for m in c.staff:
        floors = [p[name] for roles, name in _FLOORS if any(r in m.roles for r in roles)]
        if not floors:
            continue
        pay = None if m.monthly_pay is None else m.monthly_pay.magnitude
        ok = _ge(pay, max(floors))
        if ok is False:
            return False
        if ok is None:
            unknown = True
    return None if unknown else True


def three_in_one(c: Any, p: Any) -> bool | None:
    parts = []
    for key in p.three_in_one_components:
        if key in ("party_org", "residents_committee"):
            parts.append(_has(c.bodies, key))
        else:
            parts.append(None if c.facilities is None else any(f.kind == key for f in c.facilities))
    return _and(*parts)


def bodies(c: Any, p: Any) -> bool | None:
    return _and(*(_has(c.bodies, k) for k in p.required_bodies))


RULES = {
    "loudi.grid.size": grid_size,
    "loudi.facilities.service_housing_area": service_housing_area,
    "loudi.facilities.service_center_area": service_center_area,
    "loudi.facilities.function_rooms": function_rooms,
    "loudi.facilities.five_unified": five_unified,
    "loudi.plaques.only_three": only_three,
    "loudi.staffing.ratio": staffing_ratio,
    "loudi.staffing.incompetent_dismissed": incompetent_dismissed,
    "loudi.funding.operating": funding_operating,
    "loudi.funding.benefit_projects": benefit_projects,
    "loudi.pay.base": pay_base,
    "loudi.governance.three_in_one": three_in_one,
    "loudi.governance.bodies": bodies,
}


def evaluate_loop(communities: list, policy: Any, as_of: Any) -> dict[str, list[str]]:
    """Status names per rule, one per community, in the order given (what-if mode)."""
    p = policy.params(as_of)
    out: dict[str, list[str]] = {}
    for rule in policy.rules:
        fn = RULES[rule.id]
        types = {t.value for t in rule.area_types} if rule.area_types else None
        statuses = []
        for c in communities:
            if not rule.in_force(as_of):
                statuses.append("not_applicable")
                continue
            if types is not None:
                if c.area_type is None:
                    statuses.append("unknown")
                    continue
                if c.area_type.value not in types:
                    statuses.append("not_applicable")
                    continue
            v = fn(c, p)
            statuses.append("unknown" if v is None else ("pass" if v else "fail"))
        out[rule.id] = statuses
    return out
