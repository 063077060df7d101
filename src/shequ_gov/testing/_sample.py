"""Deterministic sample documents for the conformance checks: varied, plausible, partly missing.

Values spread across every threshold the five regional standards use (areas around 400 m², staff
around 5–9, pay around 1,200–1,500 yuan a month…), with about one value in eight missing, so that
every rule meets passes, failures and unknowns. Not calibrated: see :mod:`shequ_gov.synth` for that.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._vocab import BODIES, FACILITY_KINDS, PLAQUES, RATINGS, ROLES, TASK_KINDS, UNIFIED, AreaType, Level

_OTHER_TASKS = ["民政统计", "创建文明城市", "垃圾分类督导"]
_OTHER_PLAQUES = ["老年协会", "文明单位"]


def _code_under(prefix: str, i: int) -> tuple[str, str]:
    """The *i*-th street and community code under the 12-digit *prefix*: distinct for distinct *i*.

    The levels below the prefix cycle through a few cities, districts and streets (so that
    region-level rules see several regions); the community number grows with *i*, and the street
    number moves on every 999 communities.
    """
    from itertools import product

    from .._codes import code_level

    d = code_level(prefix).digits
    ranges = [range(1, 4) if d <= 2 else [None], range(1, 3) if d <= 4 else [None], range(1, 4)]
    combos = list(product(*ranges))
    city, district, street = combos[i % len(combos)]
    k = i // len(combos)
    s = prefix[:d]
    if city is not None:
        s += f"{city:02d}"
    if district is not None:
        s += f"{district:02d}"
    s += f"{street + 3 * (k // 999):03d}"
    return s + "000", s + f"{k % 999 + 1:03d}"


def sample_document(jurisdictions: tuple[str, ...], n: int = 240, seed: int = 0,
                    outside: int = 12) -> dict[str, Any]:
    """An interchange document with *n* communities inside *jurisdictions* and *outside* elsewhere."""
    from .._codes import normalize_code

    jurisdictions = tuple(normalize_code(j) for j in jurisdictions)  # short forms such as "21" too
    rng = np.random.default_rng(seed)
    comms: list[dict[str, Any]] = []
    codes: set[str] = set()
    homes = list(jurisdictions) * (n // max(1, len(jurisdictions)) + 1)
    others = ["110101000000", "650102000000"]
    counters: dict[str, int] = {}
    for i in range(n + outside):
        base = homes[i] if i < n else others[i % 2]
        k = counters.get(base, 0)
        counters[base] = k + 1
        street, code = _code_under(base, k)
        assert code not in codes  # _code_under is injective per base, and bases do not overlap
        codes.add(code)
        comms.append(_community(rng, code, street))
    regions: dict[str, dict[str, Any]] = {}
    for c in comms:
        code = c["code"]
        for lv in list(Level)[:4]:
            rc = code[:lv.digits] + "0" * (12 - lv.digits)
            if rc not in regions:
                r: dict[str, Any] = {"code": rc, "name": f"{lv.zh}{rc[:lv.digits]}"}
                if lv is Level.CITY and rng.random() < 0.8:
                    r["average_annual_wage"] = float(rng.integers(40, 110)) * 1000
                if lv is Level.DISTRICT and rng.random() < 0.85:
                    r["social_work_agencies"] = int(rng.integers(0, 7))
                if lv in (Level.DISTRICT, Level.STREET) and rng.random() < 0.9:
                    r["incubation_base"] = bool(rng.random() < 0.8)
                regions[rc] = r
    return {"schema": "shequ-gov/1", "regions": sorted(regions.values(), key=lambda r: r["code"]),
            "communities": comms}


def _maybe(rng: np.random.Generator, p_missing: float = 0.12) -> bool:
    return rng.random() >= p_missing


def _community(rng: np.random.Generator, code: str, street: str) -> dict[str, Any]:
    at = list(AreaType)[int(rng.integers(0, 4))]
    urban = at in (AreaType.CENTRAL_URBAN, AreaType.URBAN)
    hh = int(rng.integers(150, 3200))
    c: dict[str, Any] = {"code": code, "name": f"社区{code[-6:]}", "parent": street}
    if _maybe(rng, 0.06):
        c["area_type"] = at.value
    if _maybe(rng):
        c["households"] = hh
    if _maybe(rng):
        c["population"] = int(hh * rng.uniform(2.2, 3.4))
    if _maybe(rng):
        c["new_build"] = bool(rng.random() < 0.2)
    if _maybe(rng):
        c["grids"] = int(rng.integers(0, 16))
    if _maybe(rng):
        c["facilities"] = _facilities(rng, hh, urban)
    if _maybe(rng):
        c["plaques"] = [k for k in list(PLAQUES) + _OTHER_PLAQUES if rng.random() < (0.7 if k in PLAQUES else 0.1)]
    if _maybe(rng):
        c["unified"] = [k for k in UNIFIED if rng.random() < 0.85]
    if _maybe(rng):
        c["bodies"] = [k for k in BODIES if rng.random() < 0.75]
    if _maybe(rng):
        c["staff"] = _staff(rng, hh)
    if _maybe(rng):
        c["tasks"] = _tasks(rng)
    funding = {}
    if _maybe(rng):
        funding["operating"] = float(rng.integers(0, 40)) * 10_000
    if _maybe(rng):
        funding["benefit_projects"] = float(rng.integers(0, 40)) * 10_000
    if funding:
        c["funding"] = funding
    burden = {}
    for key, hi in (("ledgers", 40), ("certificates", 40), ("inspections", 20), ("cancelled_certificates_issued", 3),
                    ("non_retained_certificates_issued", 3), ("one_vote_veto_items", 2),
                    ("separate_department_assessments", 2)):
        if _maybe(rng):
            burden[key] = int(rng.integers(0, hi)) if rng.random() < 0.6 else 0
    if _maybe(rng):
        burden["admin_work_share"] = round(float(rng.uniform(0.3, 0.9)), 2)
    if burden:
        c["burden"] = burden
    if _maybe(rng):
        w = rng.dirichlet([2, 1.5, 1])
        c["assessment"] = {"weights": {"residents": round(float(w[0]), 2), "street": round(float(w[1]), 2),
                                       "departments": round(float(w[2]), 2)}}
        if _maybe(rng):
            c["assessment"]["appeal_period"] = bool(rng.random() < 0.7)
    if _maybe(rng):
        c["group_leader_subsidy"] = float(rng.choice([0, 40, 50, 60, 80]))
    if _maybe(rng):
        c["convenience_minutes"] = float(rng.integers(5, 30))
    if _maybe(rng):
        c["convenience_distance"] = round(float(rng.uniform(0.5, 6)), 1)
    return c


def _facilities(rng: np.random.Generator, hh: int, urban: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    area = float(round(rng.normal(hh * 0.3 if rng.random() < 0.5 else 480, 140)))
    out.append({"kind": "service_housing", "area": max(area, 0.0)} if _maybe(rng, 0.05) else {"kind": "service_housing"})
    if rng.random() < 0.8:
        out.append({"kind": "service_center", "area": float(rng.integers(20, 120))})
    for k in list(FACILITY_KINDS)[2:]:
        if rng.random() < 0.6:
            out.append({"kind": k, "area": float(rng.integers(10, 80))} if rng.random() < 0.7 else {"kind": k})
    return out


def _staff(rng: np.random.Generator, hh: int) -> list[dict[str, Any]]:
    n = int(np.clip(round(hh / 200 + rng.normal(0, 1.5)), 0, 12))
    out = []
    roles_cycle = [["secretary", "director"] if rng.random() < 0.8 else ["secretary"], ["deputy_director"],
                   ["committee_member"], ["committee_member"]]
    for j in range(n):
        m: dict[str, Any] = {"roles": roles_cycle[j] if j < len(roles_cycle) else ["worker"]}
        if _maybe(rng):
            m["monthly_pay"] = float(rng.integers(10, 60)) * 100
        if _maybe(rng):
            m["certified_social_worker"] = bool(rng.random() < 0.3)
            # 职业津贴: most certified members receive one, others none; sometimes not recorded.
            # Derived from the values drawn, not drawn itself, so the rest of the sample is unchanged.
            k = (hh * 31 + j) % 7
            if m["certified_social_worker"] and k:
                m["social_work_allowance"] = float((200, 300, 500)[k % 3])
            elif k < 5:
                m["social_work_allowance"] = 0.0
        if _maybe(rng):
            if rng.random() < 0.9:
                m["post"], m["grade"] = int(rng.integers(1, 4)), int(rng.integers(1, 19))
            else:
                m["post"], m["grade"] = 0, 0
        if rng.random() < 0.5:
            years = sorted(rng.choice(np.arange(2015, 2024), size=int(rng.integers(1, 4)), replace=False).tolist())
            m["ratings"] = {str(y): list(RATINGS)[int(rng.choice(4, p=[0.3, 0.5, 0.12, 0.08]))] for y in years}
        out.append(m)
    if rng.random() < 0.5 and out:
        out[0]["roles"] = ["secretary"]
        out.append({"roles": ["director"]})
    return out


def _tasks(rng: np.random.Generator) -> list[dict[str, Any]]:
    out = []
    kinds = list(TASK_KINDS) + _OTHER_TASKS
    for _ in range(int(rng.integers(0, 6))):
        t: dict[str, Any] = {"kind": kinds[int(rng.integers(0, len(kinds)))] if rng.random() < 0.35 else
                             _OTHER_TASKS[int(rng.integers(0, 3))]}
        if _maybe(rng, 0.08):
            t["role"] = ["responsible", "assisting", "self"][int(rng.integers(0, 3))]
        for k in ("funded", "on_access_list", "legal_basis"):
            if _maybe(rng, 0.08):
                t[k] = bool(rng.random() < 0.75)
        out.append(t)
    return out


ROLE_KEYS = list(ROLES)
