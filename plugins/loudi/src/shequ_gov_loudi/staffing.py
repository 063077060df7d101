"""Staffing rules of 婁民復字〔2018〕10號: how many staff a community has, and who must go.

The base pay of committee members is in :mod:`.pay`.
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, compare, condition, no_violations


@formula("loudi.staffing.ratio", decreasing=["households"])
def ratio(c: CommunityInputs, p: Parameters) -> Outcome:
    """社區工作人員總數(含“兩委”班子成員)按“每200戶常住人口配1名工作人員”的標準配置5—9名工作人員.

    required = clip(ceil(households / ``households_per_worker``), ``staff_min``, ``staff_max``);
    passes when required ≤ staff ≤ ``staff_max`` (600 households → 5, 1,500 → 8, 2,400 → 9).

    Interpretation: 每200戶常住人口 is read as 200 resident households; a part of 200 needs a
    whole worker (rounded up); everyone on the staff list counts, the two committees included
    (含“兩委”班子成員). Where households are missing the verdict is still known when the staff
    number is below ``staff_min`` (fails whatever the households) or exactly ``staff_max``
    (passes whatever the households); above ``staff_max`` always fails. The measured value is
    the staff number, the required one the required number.
    """
    households = c.number("households")
    staff = c.staff_count()
    with np.errstate(invalid="ignore"):
        required = np.clip(np.ceil(households / p.households_per_worker), p.staff_min, p.staff_max)
    enough = compare(staff, required, ">=")
    # without the households, the requirement is only known to lie within staff_min..staff_max
    at_cap = compare(staff, p.staff_max, ">=")
    below_min = ~compare(staff, p.staff_min, ">=")
    no_households = np.isnan(households)
    enough = Tri(np.where(no_households, at_cap.is_true, enough.value),
                 np.where(no_households, at_cap.is_true | below_min.is_true, enough.known))
    within_cap = compare(staff, p.staff_max, "<=")
    return condition(enough & within_cap, measured=staff, required=required, unit="worker", inputs={
        "households / 户数": (households, "household"),
        "staff (two committees included) / 工作人员(含两委)": (staff, "worker"),
        "required staff / 应配人数": (required, "worker"),
    }, note=(f"required = ceil(households / {p.households_per_worker:g}) held within "
             f"{p.staff_min:g}–{p.staff_max:g}; passes when required ≤ staff ≤ {p.staff_max:g}"))


# a member added without ratings neither creates nor removes an offender
@formula("loudi.staffing.incompetent_dismissed", increasing=["staff.certified"], decreasing=["staff.certified"])
def incompetent_dismissed(c: CommunityInputs, p: Parameters) -> Outcome:
    """對連續兩年被評定為“不稱職”的社區兩委班子成員和社區工作人員,要責令辭職、依法罷免或解聘.

    Passes when no one on the staff list (committee members and workers alike) was rated
    ``incompetent`` in ``incompetent_consecutive_years`` consecutive calendar years; each such
    member still on the staff offends and is named. "Consecutive" means ratings of the same member
    in years differing by one; a year without a rating breaks the run. A rating given without a
    value (if the data allow it) may be incompetent: a run that needs it is UNKNOWN. The years of
    the ratings are not compared with the date of the evaluation.
    """
    owner, year, rating = c.ratings()
    years = int(p.incompetent_consecutive_years)
    incompetent = rating == c.rating_code("incompetent")
    sure_staff = _members_with_run(incompetent, owner, year, years, len(c.staff))
    # a rating stored without a value (code -1) might be incompetent: runs through it are possible
    unrated = rating < 0
    maybe_staff = _members_with_run(incompetent | unrated, owner, year, years, len(c.staff)) \
        if unrated.any() else sure_staff
    offending = Tri(sure_staff, sure_staff | ~maybe_staff)
    return no_violations("staff", offending, c.staff, inputs={
        "staff / 工作人员": (c.staff_count(), "worker"),
    }, note=f"{years} consecutive years rated 不称职 / incompetent")


def _members_with_run(flag: np.ndarray, owner: np.ndarray, year: np.ndarray, years: int, n_staff: int) -> np.ndarray:
    """Per staff row: whether some run of *years* consecutive flagged ratings belongs to it."""
    rows = np.flatnonzero(flag)
    long_enough = run_lengths(owner[rows], year[rows]) >= years
    out = np.zeros(n_staff, dtype=bool)  # (a mask, not a count per member: a byte per row)
    out[owner[rows][long_enough]] = True
    return out


def run_lengths(owner: np.ndarray, year: np.ndarray) -> np.ndarray:
    """For each row of an (owner, year)-sorted table of flagged rows (say, incompetent ratings): how
    many consecutive years, ending with this row's year, its owner has rows.

    A run continues from one row to the next when both belong to the same owner and their years
    differ by exactly one; a missing year breaks it. Because years are unique per owner and the
    full table is sorted the same way, two flagged ratings one year apart are neighbours here too,
    so the caller can pass only the (few) flagged rows.
    """
    n = len(owner)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cont = np.zeros(n, dtype=bool)
    cont[1:] = (owner[1:] == owner[:-1]) & (year[1:].astype(np.int64) == year[:-1].astype(np.int64) + 1)
    idx = np.arange(n, dtype=np.int64)
    start = np.maximum.accumulate(np.where(cont, 0, idx))
    return idx - start + 1
