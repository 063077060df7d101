"""Jiangsu's rules on community leadership: the secretary also serving as director (“一肩挑”).

Source: the 2022 reply, “持续推进村(社区)党组织书记通过法定程序担任村(居)民委员会主任,其中,
村(社区)“一肩挑”比例分别为97.5%、94.6%” and part 一.五 (“通过法定程序推进村(社区)党组织书记担任
村(居)委会主任”).
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, condition, measure


def one_shoulder_held(c) -> Tri:
    """Per community: whether one staff member is both secretary and director (unknown without a staff list)."""
    both = c.staff_has_role("secretary") & c.staff_has_role("director")
    return c.staff.any(Tri(both))


def _share_among_known(region, held: Tri, counted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per region: the share of *counted* communities with *held* true among those where it is known,
    and how many are known (the share is NaN where none is)."""
    known = counted & held.known
    n_known = region.count(known)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = region.count(known & held.is_true) / n_known
    return np.where(n_known > 0, share, np.nan), n_known


@formula("jiangsu.leadership.one_shoulder", increasing=["staff.certified"])
def one_shoulder(c: CommunityInputs, p: Parameters) -> Outcome:
    """The party secretary is also the committee director (“一肩挑”).

    Source: “通过法定程序推进村(社区)党组织书记担任村(居)委会主任”.
    Passes when one staff member holds both the ``secretary`` and the ``director`` role; a
    secretary and a director who are two people fail. An empty staff list fails (nobody holds
    both); a missing one is UNKNOWN.
    """
    held = one_shoulder_held(c)
    return condition(held, inputs={"staff / 工作人员数": (c.staff_count(), "worker")})


@formula("jiangsu.leadership.one_shoulder_share")
def one_shoulder_share(c: CommunityInputs, p: Parameters) -> Outcome:
    """The share of a province's communities and villages with “一肩挑” (an indicator, no pass or fail).

    Source: “村(社区)“一肩挑”比例分别为97.5%、94.6%”, read in order as villages 97.5 % and
    communities 94.6 %; both figures are shown beside the measured shares for comparison.
    The measured value is the share among the communities the rule selects in the province whose
    staff list is given (a community without one is left out, counted neither way); it is
    UNKNOWN only where no community of the province has one. The inputs give the bounds the share would have if the left-out communities were all
    one way or the other, and split the share into villages (``rural``) and communities (central
    urban, urban, township; a community whose area type is missing is in neither part).
    """
    province = c.regions("province")
    held = one_shoulder_held(c)
    selected = c.selected.is_true
    share, n_known = _share_among_known(province, held, selected)
    low, high, total = province.share(held)
    rural = c.area_is("rural")
    villages, _ = _share_among_known(province, held, selected & rural.is_true)
    communities, _ = _share_among_known(province, held, selected & rural.is_false)
    n = province.n
    return measure(share, inputs={
        "communities counted / 村(社区)数": (total, ""),
        "communities with a staff list / 有工作人员名单的村(社区)数": (n_known, ""),
        "share if the others had none / 比例下限": (low, ""),
        "share if the others all had it / 比例上限": (high, ""),
        "share among villages / 村“一肩挑”比例": (villages, ""),
        "share among communities / 社区“一肩挑”比例": (communities, ""),
        "reported, villages / 来源报告村比例": (np.full(n, p.reported_one_shoulder_share_villages), ""),
        "reported, communities / 来源报告社区比例": (np.full(n, p.reported_one_shoulder_share_communities), ""),
    })
