"""Kaizhou's rules on the three-society linkage: social workers, social-work agencies, incubation bases.

Source: 开州府办发〔2020〕113号, parts 二 (社会组织) and 三 (社会工作专业人才).
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, at_least, compare, condition


@formula("kaizhou.staffing.social_workers", increasing=["staff.certified"])
def social_workers(c: CommunityInputs, p: Parameters) -> Outcome:
    """Certified social workers: at least 2 in an urban community, at least 1 in a rural one.

    Source: “城市社区配备至少2名、农村社区配备至少1名社会工作者”.
    The required number is ``social_workers_min_urban`` for central urban and urban communities
    and ``social_workers_min_rural`` for township and rural ones (township communities count as
    rural; 社会工作者 is read as a certified social worker, ``certified_social_worker``). Staff
    whose certification is not given may or may not count: PASS where the surely certified
    reach the requirement, FAIL where even counting them all does not, UNKNOWN otherwise (and
    where the area type or the staff list is missing).
    """
    certified = c.staff.flag("certified_social_worker")
    n_sure = c.staff.count(certified.is_true)
    n_maybe = n_sure + c.staff.count(~certified.known)
    urban = c.urban
    required = np.where(urban.is_true, p.social_workers_min_urban,
                        np.where(urban.is_false, p.social_workers_min_rural, np.nan))
    surely = compare(n_sure, required, ">=")
    maybe = compare(n_maybe, required, ">=")
    result = Tri(surely.is_true, surely.is_true | maybe.is_false)
    return at_least(n_sure, required, unit="worker", result=result, inputs={
        "certified social workers / 持证社会工作者": (n_sure, "worker"),
        "staff with certification not given / 未注明是否持证": (n_maybe - n_sure, "worker"),
        "staff / 工作人员数": (c.staff_count(), "worker"),
    })


@formula("kaizhou.social_work.agencies")
def social_work_agencies(c: CommunityInputs, p: Parameters) -> Outcome:
    """The district has at least 3 private social-work service agencies.

    Source: “力争到2023年,培育发展3-5家民办社会工作服务机构”; 3-5 is read as a minimum of 3
    (``social_work_agencies_min``), the upper figure a range, not a cap. The count is the
    district's ``social_work_agencies``; missing is UNKNOWN.
    """
    district = c.regions("district")
    n = district.number("social_work_agencies")
    return at_least(n, p.social_work_agencies_min, inputs={
        "private social-work agencies / 民办社会工作服务机构": (n, ""),
    })


@formula("kaizhou.social_orgs.incubation_bases")
def incubation_bases(c: CommunityInputs, p: Parameters) -> Outcome:
    """An incubation base for social organisations at the district and in every street or township.

    Source: “建立区、镇乡(街道)、村(社区)三级社会组织孵化基地”. Passes when the district's own
    ``incubation_base`` is true and every street under it has one; the source's third level
    (village / community) is not part of this rule. A district without one, or with a street
    without one, fails; a missing flag (on the district or a street) with no failure is UNKNOWN.
    A district with no street in the dataset is judged on its own base.
    """
    district = c.regions("district")
    streets = c.regions("street")
    own = district.flag("incubation_base")
    street_base = streets.flag("incubation_base")
    every_street = district.children_all(street_base, "street")
    return condition(own & every_street, inputs={
        "district's own base / 区级孵化基地": (_as_number(own), ""),
        "streets / 镇乡(街道)数": (district.children_count("street"), ""),
        "streets without a base / 无孵化基地的镇乡(街道)": (district.children_count("street", street_base.is_false), ""),
        "streets not reported / 未报告的镇乡(街道)": (district.children_count("street", ~street_base.known), ""),
    })


def _as_number(t: Tri) -> np.ndarray:
    """A Tri as 1 / 0 / NaN, for explanations."""
    return np.where(t.known, t.value.astype(np.float64), np.nan)
