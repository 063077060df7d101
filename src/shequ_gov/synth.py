"""Seeded synthetic datasets, from a few dozen communities to the whole country.

:func:`generate` makes every field the five first-party policies read, column by column with
numpy (no loop over communities), on a generated hierarchy or on a real skeleton (the division
list of China, or a subtree of it). Values are correlated (population follows households; service
housing, staff, funds and pay follow size and area type; villages differ from central urban
communities), a controlled share is missing, and violations occur at plausible rates. The
distributions are calibrated to the figures the source documents report (see
:data:`CALIBRATION`); ``tests/test_synth.py`` checks each target on a province-scale sample.

The same seed gives byte-identical output; different seeds differ.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import numpy as np

from . import _columns as C
from . import _schema as S
from ._codes import levels_of, truncate
from ._dataset import Dataset
from ._vocab import AREA_TYPES, BODIES, FACILITY_KINDS, PLAQUES, RATINGS, ROLES, TASK_KINDS, UNIFIED, AreaType

__all__ = ["CALIBRATION", "SCALES", "generate"]

#: Community counts of the named scales ("national" is the real 2023 count of village-level units).
SCALES = {"tiny": 40, "city": 2_000, "province": 20_000, "national": 620_572}

#: The figures of the sources the generator is calibrated to, with the tolerance its test allows.
CALIBRATION = {
    "liaoning_urban_station_share_400": (0.872, 0.03),   # 3,828 urban stations meet 400 m², 87.2 %
    "liaoning_urban_station_mean_m2": (549.0, 25.0),     # average 549 m²
    "jiangsu_one_shoulder_communities": (0.946, 0.02),   # “一肩挑” 94.6 % of communities
    "jiangsu_one_shoulder_villages": (0.975, 0.02),      # 97.5 % of villages
    "jiangsu_certified_worker_share": (2.2 / 17.5, 0.02),  # 2.2 万 certified of 17.5 万 community workers
    "liaoning_certified_allowance_share": (0.85, 0.05),  # most certified social workers get 职业津贴
    "loudi_staff_5_to_9_share": (0.85, 0.06),            # "5—9 staff" (share of urban/township communities)
    "xigang_admin_work_share_mean": (0.70, 0.03),        # administrative work about 70 %
    "shenyang_ledgers_within_22_share": (0.85, 0.06),    # ledgers cut to 22 (most comply)
}

_R = {a: i for i, a in enumerate(AREA_TYPES)}  # area type key → stored code
_OTHER_TASKS = ["民政统计", "创建文明城市", "垃圾分类督导", "人口普查协助", "防汛值守", "疫情防控", "征兵登记"]
_OTHER_PLAQUES = ["老年协会", "文明单位", "综治中心"]
_MISSING = 0.04
#: Districts that the generated hierarchy always includes, so every first-party policy has
#: communities in its jurisdiction: Shenyang Heping, Dalian Xigang, Nanjing Xuanwu, Loudi Louxing, Kaizhou.
_ANCHORS = [210102, 210203, 320102, 431302, 500154]


class _Progress:
    def __init__(self, enabled: bool, total: int):
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total
        self.done = 0
        self.t0 = time.perf_counter()

    def step(self, what: str) -> None:
        self.done += 1
        if self.enabled:
            width = 30
            k = int(width * self.done / self.total)
            sys.stderr.write(f"\r[{'#' * k}{'.' * (width - k)}] {self.done}/{self.total} {what:<28} "
                             f"{time.perf_counter() - self.t0:5.1f}s")
            sys.stderr.flush()
            if self.done == self.total:
                sys.stderr.write("\n")


#: The largest number of communities :func:`generate` makes (16 × the country's).
MAX_COMMUNITIES = 10_000_000

def generate(scale: str | int = "city", *, seed: int | None = 0, skeleton: Dataset | None = None,
             missing: float = _MISSING, progress: bool = False) -> Dataset:
    """A synthetic :class:`~shequ_gov.Dataset`.

    Parameters
    ----------
    scale:
        ``"tiny"``, ``"city"``, ``"province"``, ``"national"`` (620,572 communities) or a number of
        communities. With a *skeleton*, the skeleton's communities are used (all of them, or the
        first *scale* in code order when *scale* is smaller).
    seed:
        Seed of the random generator: the same seed gives byte-identical data. ``None`` draws one.
    skeleton:
        A dataset whose hierarchy (codes, names, area types) to keep, e.g.
        ``Dataset.read("cn_divisions_2023.csv.gz")`` or ``.subtree("4313")`` of it. Where a
        community's area type is missing it is inferred from its name (社区/居委会 → urban,
        村/嘎查 → rural; others township).
    missing:
        The share of values left missing, field by field (0 for complete data).
    progress:
        Show a progress bar on standard error (only on a terminal).
    """
    if isinstance(scale, str):
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}: expected one of {', '.join(SCALES)} or a number")
        n = SCALES[scale]
    elif isinstance(scale, (int, np.integer)) and not isinstance(scale, bool) and 1 <= scale <= MAX_COMMUNITIES:
        n = int(scale)
    else:
        raise ValueError(f"expected a scale name ({', '.join(SCALES)}) or a number of communities from 1 to "
                         f"{MAX_COMMUNITIES:,}, got {scale!r}")
    if not 0.0 <= missing < 1.0:
        raise ValueError(f"missing must be a share from 0 to 1, got {missing!r}")
    rng = np.random.default_rng(seed)
    prog = _Progress(progress, 8)
    if skeleton is not None:
        regions, comms = _from_skeleton(skeleton, n if not isinstance(scale, str) or scale != "national" else None)
    else:
        regions, comms = _hierarchy(n, rng)
    prog.step("hierarchy")
    m = len(comms["code"])
    _community_fields(comms, rng, missing)
    prog.step("community fields")
    facilities = _facilities(comms, rng, missing)
    prog.step("facilities")
    staff, ratings = _staff(comms, rng, missing)
    prog.step("staff")
    tasks = _tasks(comms, rng, missing)
    prog.step("tasks")
    tags = _tags(comms, rng)
    prog.step("plaques, bodies")
    _region_fields(regions, rng, missing)
    for k in C.LIST_FIELDS:
        comms[f"known.{k}"] = rng.random(m) >= missing
    C.store_comm_ancestors(comms, regions["code"])
    regions["parent"] = C.parent_rows(regions["code"], regions["depth"])
    prog.step("assembling")
    # drop the records of lists that are missing, so that missing means missing
    facilities = _keep_known(facilities, comms["known.facilities"])
    staff, ratings = _keep_known_staff(staff, ratings, comms["known.staff"])
    tasks = _keep_known(tasks, comms["known.tasks"])
    tags = {k: _keep_known(v, comms[f"known.{k}"]) for k, v in tags.items()}
    store = C.Store(regions, comms, facilities, staff, ratings, tasks, tags)
    prog.step("done")
    return Dataset(store)


# --- hierarchy -----------------------------------------------------------------------------------

def _hierarchy(n: int, rng: np.random.Generator) -> tuple[dict, dict]:
    """A generated hierarchy of about 15 communities a street, 14 streets a district, anchored on
    the first-party jurisdictions."""
    # at least one street in each anchor district, so even a tiny dataset reaches every first-party policy
    n_streets = max(min(n, len(_ANCHORS)), math.ceil(n / 15))
    per_street = max(1, math.ceil(n / n_streets))
    per_district = 14
    n_districts = max(min(n_streets, len(_ANCHORS)), math.ceil(n_streets / per_district))
    districts = list(_ANCHORS[:n_districts])
    # further districts: provinces 11..65 (skipping the anchors' own codes), 9 cities a province, 9 districts a city
    k = 0
    provinces = [p for p in range(11, 66) if p not in (21, 32, 43, 50)]
    while len(districts) < n_districts:
        p = provinces[k // 81 % len(provinces)] + 0
        city = 1 + (k // 9) % 9
        dist = 1 + k % 9
        d = p * 10_000 + city * 100 + dist
        if k // (81 * len(provinces)) > 0:  # more than 55 × 81 districts: vary the city digits further
            d = p * 10_000 + (10 + (k // (81 * len(provinces))) % 89) * 100 + dist
        if d not in districts:
            districts.append(d)
        k += 1
    districts_arr = np.array(sorted(districts), dtype=np.int64)
    # streets: round robin over districts; communities: fill streets in order
    st_district = districts_arr[np.arange(n_streets) % n_districts]
    st_index = np.arange(n_streets) // n_districts + 1
    streets = st_district * 1_000_000 + st_index * 1000
    streets.sort()
    c_street = np.repeat(streets, per_street)[:n]
    c_index = np.tile(np.arange(1, per_street + 1), n_streets)[:n]
    ccode = c_street + c_index
    dist_codes = np.unique(truncate(streets, 2))
    city_codes = np.unique(truncate(dist_codes, 1))
    prov_codes = np.unique(truncate(city_codes, 0))
    rcode = np.concatenate([prov_codes, city_codes, dist_codes, streets])
    order = np.argsort(rcode, kind="stable")
    rcode = rcode[order]
    depth = levels_of(rcode)
    names = np.array([_region_name(c, d) for c, d in zip(rcode.tolist(), depth.tolist())], dtype=object)
    regions = {"code": rcode, "name": names, "depth": depth}
    cnames = np.array([f"第{c % 1000:03d}社区" for c in ccode.tolist()], dtype=object)
    comms = {"code": ccode, "name": cnames}
    # area types: anchors central urban first, then a national mix (c. 2023: 76.5k central urban, 30k urban,
    # 112k township, 402k rural of 620k)
    p = np.array([0.123, 0.049, 0.181, 0.647])
    at = rng.choice(4, size=len(ccode), p=p).astype(np.int8)
    anchor = np.isin(truncate(ccode, 2), np.array(_ANCHORS, dtype=np.int64))
    at[anchor] = rng.choice(4, size=int(anchor.sum()), p=[0.55, 0.25, 0.12, 0.08]).astype(np.int8)
    comms["area_type"] = at
    return regions, comms


_REGION_WORDS = ("省", "市", "区", "街道")


def _region_name(code: int, depth: int) -> str:
    return f"{_REGION_WORDS[depth]}{f'{code:012d}'[:(2, 4, 6, 9)[depth]]}"


def _from_skeleton(skeleton: Dataset, limit: int | None) -> tuple[dict, dict]:
    st = skeleton._st
    m = st.n_communities if limit is None else min(limit, st.n_communities)
    comms = {"code": np.array(st.communities["code"][:m]), "name": np.array(st.communities["name"][:m])}
    at = np.array(st.communities["area_type"][:m])
    miss = at < 0
    if miss.any():
        names = comms["name"][miss]
        urban = np.array([("社区" in s or "居委会" in s or "居民委员会" in s) for s in names.tolist()], dtype=bool)
        rural = np.array([(s.endswith("村") or "村委会" in s or "村民委员会" in s or "嘎查" in s)
                          for s in names.tolist()], dtype=bool)
        fill = np.where(urban, _R["urban"], np.where(rural, _R["rural"], _R["township"])).astype(np.int8)
        at[miss] = fill
    comms["area_type"] = at
    # keep every region above a kept community (and only those)
    need = np.unique(np.concatenate([truncate(comms["code"], d) for d in range(4)])) if m else np.zeros(0, np.int64)
    keep = np.isin(st.regions["code"], need)
    regions = {"code": np.array(st.regions["code"][keep]), "name": np.array(st.regions["name"][keep]),
               "depth": np.array(st.regions["depth"][keep])}
    return regions, comms


# --- community fields ----------------------------------------------------------------------------

def _lognormal_mean(rng: np.random.Generator, mean: np.ndarray | float, sigma: float, size: int) -> np.ndarray:
    mu = np.log(mean) - sigma ** 2 / 2
    return rng.lognormal(mu, sigma, size)


def _missing(values: np.ndarray, rng: np.random.Generator, share: float, fill: Any = np.nan) -> np.ndarray:
    out = values.copy()
    out[rng.random(len(values)) < share] = fill
    return out


def _community_fields(comms: dict, rng: np.random.Generator, missing: float) -> None:
    at = comms["area_type"]
    n = len(at)
    cu, ur, tw, ru = (at == _R["central_urban"]), (at == _R["urban"]), (at == _R["township"]), (at == _R["rural"])
    urban = cu | ur
    hh_mean = np.select([cu, ur, tw], [2000.0, 1500.0, 1100.0], 480.0)
    hh = np.maximum(40, np.round(_lognormal_mean(rng, hh_mean, 0.45, n)))
    comms["households"] = _missing(hh, rng, missing)
    comms["population"] = _missing(np.round(hh * rng.uniform(2.4, 3.2, n)), rng, missing)
    comms["new_build"] = _missing((rng.random(n) < np.where(urban, 0.12, 0.03)).astype(np.int8), rng, missing, -1)
    # grids: about 200 households each in cities (Xigang: 234 grids), fewer in villages
    per_grid = np.where(urban | tw, rng.normal(190, 45, n), rng.normal(150, 40, n))
    grids = np.maximum(0, np.round(hh / np.maximum(per_grid, 40)))
    comms["grids"] = _missing(grids, rng, missing)
    comms["group_leader_subsidy"] = _missing(rng.choice([40.0, 50.0, 60.0, 60.0, 80.0, 100.0], n), rng, missing)
    comms["convenience_minutes"] = _missing(np.round(rng.gamma(6, 2.0, n) + np.where(urban, 0, 8)), rng, missing)
    comms["convenience_distance"] = _missing(np.round(rng.gamma(3, 0.7, n) + np.where(urban, 0, 0.6), 1), rng,
                                             missing)
    # funds (yuan/year): around the Loudi standards by area type, one in ten short
    op_mean = np.select([cu, ur, tw], [290_000.0, 240_000.0, 125_000.0], 100_000.0)
    op = np.round(_lognormal_mean(rng, op_mean, 0.18, n), -3)
    comms["funding.operating"] = _missing(op, rng, missing)
    bp = np.round(_lognormal_mean(rng, np.where(cu, 260_000.0, 120_000.0), 0.3, n), -3)
    comms["funding.benefit_projects"] = _missing(bp, rng, missing)
    # burden: Shenyang's caps (ledgers 22, certificates 22, inspections 10) met by most
    comms["burden.ledgers"] = _missing(rng.poisson(16, n).astype(float) + (rng.random(n) < 0.08) * rng.poisson(12, n),
                                       rng, missing)
    comms["burden.certificates"] = _missing(rng.poisson(15, n).astype(float) + (rng.random(n) < 0.1) * 10, rng, missing)
    comms["burden.inspections"] = _missing(rng.poisson(6, n).astype(float) + (rng.random(n) < 0.1) * 6, rng, missing)
    comms["burden.cancelled_certificates_issued"] = _missing((rng.random(n) < 0.06) * rng.integers(1, 4, n) * 1.0,
                                                             rng, missing)
    comms["burden.non_retained_certificates_issued"] = _missing((rng.random(n) < 0.08) * rng.integers(1, 4, n) * 1.0,
                                                                rng, missing)
    comms["burden.one_vote_veto_items"] = _missing((rng.random(n) < 0.05) * 1.0, rng, missing)
    comms["burden.separate_department_assessments"] = _missing((rng.random(n) < 0.1) * rng.integers(1, 3, n) * 1.0,
                                                               rng, missing)
    comms["burden.admin_work_share"] = _missing(np.round(rng.beta(14, 6, n), 2), rng, missing)
    # assessment weights: residents the largest in most schemes
    w = rng.dirichlet([5, 3, 2], n)
    for i, k in enumerate(("residents", "street", "departments")):
        comms[f"assessment.weights.{k}"] = _missing(np.round(w[:, i], 2), rng, missing)
    comms["assessment.appeal_period"] = _missing((rng.random(n) < 0.75).astype(np.int8), rng, missing, -1)
    comms["area_type"] = _missing(at, rng, missing / 4, -1).astype(np.int8)
    for path, spec in S.COMMUNITY_COLUMNS:
        comms[path] = np.asarray(comms[path], dtype=C.dtype_of(spec))


def _csr(owner: np.ndarray, n: int, cols: dict[str, np.ndarray], strings: list[str] | None = None) -> C.Child:
    return C.Child(owner.astype(np.int32), C._offsets(owner.astype(np.int64), n), cols, strings)


def _facilities(comms: dict, rng: np.random.Generator, missing: float) -> C.Child:
    at = comms["area_type"]
    n = len(at)
    urban = (at == _R["central_urban"]) | (at == _R["urban"])
    rural = at == _R["rural"]
    kinds = list(FACILITY_KINDS)
    p_has = np.zeros((n, len(kinds)))
    p_has[:, 0] = 0.985
    p_has[:, 1] = np.where(rural, 0.55, 0.93)
    for j, k in enumerate(kinds[2:], start=2):
        base = {"party_mass_room": 0.93, "mediation_room": 0.9, "police_room": 0.8, "family_planning_room": 0.82,
                "charity_supermarket": 0.55, "office": 0.96, "auxiliary_room": 0.85, "elderly_care": 0.6,
                "childcare": 0.3, "health_station": 0.7, "micro_fire_station": 0.5, "fitness": 0.75,
                "incubation_base": 0.15}[k]
        p_has[:, j] = np.where(rural, base * 0.8, base)
    has = rng.random((n, len(kinds))) < p_has
    owner, kind = np.nonzero(has)
    # whole building: urban c. LogNormal(mean 549 m², σ 0.25) → 87 % ≥ 400 m² (Liaoning's figures);
    # elsewhere smaller, growing with households
    hh = np.nan_to_num(comms["households"], nan=500.0)
    sh_mean = np.where(urban, 549.0, np.clip(hh * 0.34, 120, 900))
    sh_area = np.round(_lognormal_mean(rng, sh_mean, np.where(urban, 0.251, 0.4), n))
    center = np.round(rng.normal(np.where(rural, 45, 75), 20, n).clip(10))
    room = np.round(rng.gamma(4, 8, len(owner)).clip(6))
    area = np.where(kind == 0, sh_area[owner], np.where(kind == 1, center[owner], room))
    area = _missing(area.astype(float), rng, missing)
    return _csr(owner, n, {"kind": kind.astype(np.int16), "area": area})


def _staff(comms: dict, rng: np.random.Generator, missing: float) -> tuple[C.Child, C.Child]:
    at = comms["area_type"]
    n = len(at)
    rural = at == _R["rural"]
    hh = np.nan_to_num(comms["households"], nan=500.0)
    # Loudi's standard: one per 200 households within 5–9 (two committees included); villages fewer
    want = np.where(rural, np.clip(hh / 160, 3, 7), np.clip(np.ceil(hh / 200), 5, 9))
    count = np.clip(np.round(want + rng.normal(0, 0.9, n)), 2, 14).astype(np.int64)
    owner = np.repeat(np.arange(n), count)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(count, out=offsets[1:])
    pos = np.arange(len(owner)) - offsets[owner]
    # “一肩挑”: Jiangsu's 94.6 % of communities, 97.5 % of villages
    one = rng.random(n) < np.where(rural, 0.975, 0.946)
    bit = {k: 1 << i for i, k in enumerate(ROLES)}
    one_o = one[owner]
    roles = np.select(
        [pos == 0, (pos == 1) & ~one_o, pos == 1 + (~one_o), pos == 2 + (~one_o), pos < 4 + (~one_o)],
        [np.where(one_o, bit["secretary"] | bit["director"], bit["secretary"]), bit["director"],
         bit["deputy_secretary"], bit["deputy_director"], bit["committee_member"]],
        bit["worker"]).astype(np.uint8)
    # monthly pay: chiefs above deputies above members; c. 8 % of committee members below Loudi's floors
    chief = (roles & (bit["secretary"] | bit["director"])) > 0
    deputy = (roles & (bit["deputy_secretary"] | bit["deputy_director"])) > 0
    base = np.select([chief, deputy, roles == bit["committee_member"]], [3600.0, 3100.0, 2700.0], 3000.0)
    base = base * np.where(rural[owner], 0.55, 1.0)
    pay = np.round(_lognormal_mean(rng, base, 0.22, len(owner)), -1)
    pay = _missing(pay, rng, missing)
    certified = _missing((rng.random(len(owner)) < 2.2 / 17.5).astype(np.int8), rng, missing, -1)
    placed = rng.random(len(owner)) < 0.9
    post = np.where(placed, rng.integers(1, 4, len(owner)), 0).astype(np.int8)
    grade = np.where(placed, rng.integers(1, 19, len(owner)), 0).astype(np.int8)
    drop = rng.random(len(owner)) < missing
    post[drop] = -1
    grade[drop] = -1
    allowance = _allowance(certified, rng.spawn(1)[0], missing)
    staff = C.Child(owner.astype(np.int32), offsets, {"roles": roles, "monthly_pay": pay,
                                                      "certified_social_worker": certified,
                                                      "social_work_allowance": allowance, "post": post,
                                                      "grade": grade})
    # ratings for 2021–2023 for most members; c. 1 % rated incompetent in a year
    years = np.array([2021, 2022, 2023], dtype=np.int16)
    rated = rng.random(len(owner)) < 0.7
    r_owner = np.repeat(np.flatnonzero(rated), len(years))
    r_year = np.tile(years, int(rated.sum()))
    r_val = rng.choice(len(RATINGS), size=len(r_owner), p=[0.25, 0.66, 0.07, 0.02]).astype(np.int8)
    ratings = _csr(r_owner, len(owner), {"year": r_year, "rating": r_val})
    return staff, ratings


def _allowance(certified: np.ndarray, rng: np.random.Generator, missing: float) -> np.ndarray:
    """职业津贴 (yuan/month): most certified social workers receive one (200/300/500 by certificate
    level), the others none (0); drawn from its own stream so the other columns stay as they were."""
    m = len(certified)
    receives = (certified == 1) & (rng.random(m) < 0.85)
    amount = rng.choice(np.array([200.0, 300.0, 500.0]), size=m, p=[0.55, 0.35, 0.10])
    return _missing(np.where(receives, amount, 0.0), rng, missing)


def _tasks(comms: dict, rng: np.random.Generator, missing: float) -> C.Child:
    n = len(comms["area_type"])
    count = rng.poisson(5, n)
    owner = np.repeat(np.arange(n), count)
    m = len(owner)
    strings = list(TASK_KINDS) + sorted(_OTHER_TASKS)
    listed = rng.random(m) < 0.12  # one task in eight is of a listed kind (law enforcement … production safety)
    kind = np.where(listed, rng.integers(0, len(TASK_KINDS), m),
                    len(TASK_KINDS) + rng.integers(0, len(_OTHER_TASKS), m)).astype(np.int32)
    role = rng.choice(3, size=m, p=[0.25, 0.55, 0.20]).astype(np.int8)
    # a listed kind is rarely the community's responsibility: c. 3 % of communities break the negative lists
    role[listed & (rng.random(m) < 0.7)] = 1
    cols = {"kind": kind, "role": _missing(role, rng, missing / 2, -1).astype(np.int8)}
    for k, p in (("funded", 0.88), ("on_access_list", 0.93), ("legal_basis", 0.92)):
        cols[k] = _missing((rng.random(m) < p).astype(np.int8), rng, missing / 2, -1).astype(np.int8)
    return _csr(owner, n, cols, strings)


def _tags(comms: dict, rng: np.random.Generator) -> dict[str, C.Child]:
    at = comms["area_type"]
    n = len(at)
    rural = (at == _R["rural"])[:, None]
    out = {}
    specs = {
        "plaques": (list(PLAQUES) + sorted(_OTHER_PLAQUES),
                    np.where(rural, [0.98, 0.98, 0.6, 0.85, 0.8, 0.03, 0.05, 0.04],
                             [0.98, 0.98, 0.95, 0.1, 0.5, 0.04, 0.06, 0.05])),
        "unified": (list(UNIFIED), np.full((1, len(UNIFIED)), 0.93)),
        "bodies": (list(BODIES), np.where(rural, [0.99, 0.99, 0.9, 0.95, 0.9, 0.85, 0.9, 0.85, 0.8, 0.75, 0.85],
                                          [0.99, 0.99, 0.85, 0.96, 0.92, 0.88, 0.92, 0.6, 0.85, 0.6, 0.2])),
    }
    for field, (strings, p) in specs.items():
        has = rng.random((n, len(strings))) < p
        owner, key = np.nonzero(has)
        out[field] = _csr(owner, n, {"key": key.astype(np.int32)}, strings)
    return out


def _region_fields(regions: dict, rng: np.random.Generator, missing: float) -> None:
    d = regions["depth"]
    n = len(d)
    wage = np.where(d == 1, np.round(rng.uniform(58_000, 115_000, n), -2), np.nan)
    regions["average_annual_wage"] = _missing(wage, rng, missing)
    agencies = np.where(d == 2, rng.poisson(3.2, n), np.nan).astype(float)
    regions["social_work_agencies"] = _missing(agencies, rng, missing)
    base = np.where(d == 2, rng.random(n) < 0.85, rng.random(n) < 0.7).astype(np.int8)
    base[d < 2] = -1
    regions["incubation_base"] = _missing(base, rng, missing, -1).astype(np.int8)


def _keep_known(child: C.Child, known: np.ndarray) -> C.Child:
    keep = known[child.owner]
    owner = child.owner[keep]
    return C.Child(owner, C._offsets(owner.astype(np.int64), len(known)),
                   {k: v[keep] for k, v in child.cols.items()}, child.strings)


def _keep_known_staff(staff: C.Child, ratings: C.Child, known: np.ndarray) -> tuple[C.Child, C.Child]:
    keep = known[staff.owner]
    new_row = np.cumsum(keep) - 1
    s = _keep_known(staff, known)
    r_keep = keep[ratings.owner]
    r_owner = new_row[ratings.owner[r_keep]].astype(np.int32)
    r = C.Child(r_owner, C._offsets(r_owner.astype(np.int64), len(s)),
                {k: v[r_keep] for k, v in ratings.cols.items()})
    return s, r
