"""The Loudi rules written by hand in plain numpy: the peer the engine is measured against.

Written as a user would without the library: the dataset's arrays (community columns, the child
tables with their owner rows and CSR offsets) taken once, each of its 13 rules as whole-array
numpy with three-valued results coded 0 false, 1 unknown, 2 true (Kleene ``and`` is ``min``,
``or`` is ``max``, ``not`` is ``2 - x``). No Tri, no Outcome, no caching shared between rules,
no explanation data kept. ``benchmarks/_steps.py`` checks that it agrees with the engine verdict
for verdict before timing it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

F, U, T = 0, 1, 2
_EPS = 1e-9


def arrays(ds: Any) -> dict[str, Any]:
    """The plain arrays a numpy user would hold (taken before timing, like the loop's objects)."""
    from shequ_gov._vocab import AREA_TYPES, FACILITY_KINDS, RATINGS, ROLES

    st = ds._st
    cm = st.communities
    a = {k: cm[k] for k in ("households", "population", "grids", "new_build", "area_type", "funding.operating",
                            "funding.benefit_projects")}
    a["n"] = st.n_communities
    a["area_keys"] = list(AREA_TYPES)
    for name in ("facilities", "staff", "unified", "plaques", "bodies"):
        a[f"known.{name}"] = cm[f"known.{name}"]
    f = st.facilities
    a["fac_off"], a["fac_kind"], a["fac_area"] = f.offsets, f.cols["kind"], f.cols["area"]
    a["fac_keys"] = list(FACILITY_KINDS)
    for name in ("unified", "plaques", "bodies"):
        t = st.tags[name]
        a[f"{name}_off"], a[f"{name}_key"], a[f"{name}_strings"] = t.offsets, t.cols["key"], list(t.strings or [])
    s = st.staff
    a["staff_off"], a["staff_roles"], a["staff_pay"], a["staff_owner"] = (s.offsets, s.cols["roles"],
                                                                          s.cols["monthly_pay"], s.owner)
    a["role_keys"] = list(ROLES)
    r = st.ratings
    a["rating_staff"], a["rating_year"], a["rating_code"] = r.owner, r.cols["year"], r.cols["rating"]
    a["incompetent"] = list(RATINGS).index("incompetent")
    return a


def _ge(m: np.ndarray, r: Any) -> np.ndarray:
    r = np.broadcast_to(np.asarray(r, float), np.shape(m))
    with np.errstate(invalid="ignore"):
        ok = m >= r - _EPS * np.maximum(1.0, np.abs(r))
    return np.where(np.isnan(m) | np.isnan(r), U, np.where(ok, T, F)).astype(np.int8)


def _le(m: np.ndarray, r: Any) -> np.ndarray:
    r = np.broadcast_to(np.asarray(r, float), np.shape(m))
    with np.errstate(invalid="ignore"):
        ok = m <= r + _EPS * np.maximum(1.0, np.abs(r))
    return np.where(np.isnan(m) | np.isnan(r), U, np.where(ok, T, F)).astype(np.int8)


def _per_community(off: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """How many records of each community are true in *mask* (records grouped by community)."""
    c = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
    return c[off[1:]] - c[off[:-1]]


def _with_known(v: np.ndarray, known: np.ndarray) -> np.ndarray:
    return np.where(known, v, U).astype(np.int8)


def _area(a: dict, kind: str) -> np.ndarray:
    sel = a["fac_kind"] == a["fac_keys"].index(kind)
    area = a["fac_area"]
    total = np.bincount(np.repeat(np.arange(a["n"]), np.diff(a["fac_off"]))[sel],
                        weights=np.nan_to_num(area[sel]), minlength=a["n"])
    has_nan = _per_community(a["fac_off"], sel & np.isnan(area)) > 0
    total[has_nan | ~a["known.facilities"]] = np.nan
    return total


def _has_all(a: dict, table: str, keys: Any) -> np.ndarray:
    """Per community: whether its list *table* holds every one of *keys* (unknown where the list is missing)."""
    if table == "facilities":
        codes, off, names = a["fac_kind"], a["fac_off"], a["fac_keys"]
    else:
        codes, off, names = a[f"{table}_key"], a[f"{table}_off"], a[f"{table}_strings"]
    ok = np.ones(a["n"], bool)
    for k in keys:
        if k not in names:  # a key the data never uses: nobody has it
            ok[:] = False
            continue
        ok &= _per_community(off, codes == names.index(k)) > 0
    return _with_known(np.where(ok, T, F), a[f"known.{table}"])


def grid_size(a: dict, p: Any) -> np.ndarray:
    hh, pop, grids = a["households"], a["population"], a["grids"]
    tol = p.grid_tolerance

    def about(x: np.ndarray, size: float) -> np.ndarray:  # within size × (1 ± tol); 0 grids: never
        with np.errstate(invalid="ignore", divide="ignore"):
            per = np.where(grids == 0, np.inf, x / grids)
        return np.minimum(_ge(per, size * (1 - tol)), _le(per, size * (1 + tol)))

    return np.maximum(about(hh, p.grid_households), about(pop, p.grid_population))


def service_housing_area(a: dict, p: Any) -> np.ndarray:
    area = _area(a, "service_housing")
    nb = a["new_build"]
    not_new = np.where(nb < 0, U, np.where(nb == 1, F, T))
    return np.maximum(_ge(area, p.new_build_service_housing_min_area),
                      np.minimum(not_new, _ge(area, p.service_housing_min_area)))


def service_center_area(a: dict, p: Any) -> np.ndarray:
    return _ge(_area(a, "service_center"), p.service_center_min_area)


def function_rooms(a: dict, p: Any) -> np.ndarray:
    return _has_all(a, "facilities", p.required_function_rooms)


def five_unified(a: dict, p: Any) -> np.ndarray:
    return _has_all(a, "unified", p.five_unified_items)


def only_three(a: dict, p: Any) -> np.ndarray:
    names = a["plaques_strings"]
    allowed = np.array([k in p.allowed_plaques for k in names] + [False], bool)
    outside = _per_community(a["plaques_off"], ~allowed[a["plaques_key"]]) > 0
    return _with_known(np.where(outside, F, T), a["known.plaques"])


def staffing_ratio(a: dict, p: Any) -> np.ndarray:
    n = np.diff(a["staff_off"]).astype(float)
    hh = a["households"]
    with np.errstate(invalid="ignore"):
        required = np.clip(np.ceil(hh / p.households_per_worker), p.staff_min, p.staff_max)
    enough = _ge(n, required)
    no_hh = np.where(n >= p.staff_max, T, np.where(n < p.staff_min, F, U))
    enough = np.where(np.isnan(hh), no_hh, enough)
    return _with_known(np.minimum(enough, _le(n, p.staff_max)), a["known.staff"])


def incompetent_dismissed(a: dict, p: Any) -> np.ndarray:
    need = int(p.incompetent_consecutive_years)
    staff, year, bad = a["rating_staff"], a["rating_year"], a["rating_code"] == a["incompetent"]
    cont = np.zeros(len(bad), bool)
    cont[1:] = bad[1:] & bad[:-1] & (staff[1:] == staff[:-1]) & (year[1:] == year[:-1] + 1)
    start = bad & ~cont
    run_id = np.cumsum(start) - 1
    lengths = np.bincount(run_id[bad], minlength=int(start.sum()))
    long_runs = np.flatnonzero(lengths >= need)
    offenders = staff[np.flatnonzero(start)[long_runs]]
    dismissed = np.ones(a["n"], bool)
    dismissed[a["staff_owner"][offenders]] = False
    return _with_known(np.where(dismissed, T, F), a["known.staff"])


def funding_operating(a: dict, p: Any) -> np.ndarray:
    # the minimum is keyed by area type; where the type is missing it is anywhere between the
    # smallest and the largest: pass above the largest, fail below the smallest, unknown between
    minimum = p.operating_funds_min
    values = [minimum[k] for k in a["area_keys"]]
    low = np.array(values + [min(values)])[a["area_type"]]
    high = np.array(values + [max(values)])[a["area_type"]]
    funds = a["funding.operating"]
    surely, maybe = _ge(funds, high), _ge(funds, low)
    return np.where(surely == T, T, np.where(maybe == F, F, U)).astype(np.int8)


def benefit_projects(a: dict, p: Any) -> np.ndarray:
    return _ge(a["funding.benefit_projects"], p.benefit_project_funds_min)


def pay_base(a: dict, p: Any) -> np.ndarray:
    roles, pay = a["staff_roles"], a["staff_pay"]
    keys = a["role_keys"]
    floor = np.full(len(roles), np.nan)
    for names, par in ((("committee_member",), "base_pay_min_member"),
                       (("deputy_secretary", "deputy_director"), "base_pay_min_deputy"),
                       (("secretary", "director"), "base_pay_min_chief")):  # the highest floor wins
        bits = sum(1 << keys.index(k) for k in names)
        floor = np.where(roles & bits != 0, p[par], floor)
    covered = ~np.isnan(floor)
    each = _ge(pay, floor)
    fails = _per_community(a["staff_off"], covered & (each == F)) > 0
    unknown = _per_community(a["staff_off"], covered & (each == U)) > 0
    return _with_known(np.where(fails, F, np.where(unknown, U, T)), a["known.staff"])


def three_in_one(a: dict, p: Any) -> np.ndarray:
    out = np.full(a["n"], T, np.int8)
    for key in p.three_in_one_components:
        table = "bodies" if key in ("party_org", "residents_committee") else "facilities"
        out = np.minimum(out, _has_all(a, table, [key]))
    return out


def bodies(a: dict, p: Any) -> np.ndarray:
    return _has_all(a, "bodies", p.required_bodies)


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

_NAMES = np.array(["fail", "unknown", "pass", "not_applicable"], dtype=object)


def evaluate_numpy(a: dict, policy: Any, as_of: Any) -> dict[str, np.ndarray]:
    """Status codes per rule (0 fail, 1 unknown, 2 pass, 3 not applicable) over every community (what-if)."""
    p = policy.params(as_of)
    area_keys = a["area_keys"]
    out = {}
    for rule in policy.rules:
        if not rule.in_force(as_of):
            out[rule.id] = np.full(a["n"], 3, np.int8)
            continue
        v = RULES[rule.id](a, p)
        if rule.area_types:
            lut = np.array([k in {t.value for t in rule.area_types} for k in area_keys] + [False])
            at = a["area_type"]
            v = np.where(at < 0, U, np.where(lut[at], v, 3))
        out[rule.id] = v
    return out


def status_names(codes: np.ndarray) -> np.ndarray:
    return _NAMES[codes]
