"""Xigang: the residents' group leader subsidy (居民小组长补贴)."""

from __future__ import annotations

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least


@formula("xigang.subsidy.group_leader", increasing=["group_leader_subsidy"])
def group_leader(c: CommunityInputs, p: Parameters) -> Outcome:
    """The residents' group (building) leader subsidy is at least the monthly minimum.

    Source: "参照全市平均水平标准居民小组长享受每月60元的补贴，按季度发放". Passes when
    ``group_leader_subsidy`` ≥ ``group_leader_subsidy_min`` (60 yuan/month); exactly 60
    passes; a missing subsidy is UNKNOWN. 居民小组长 and 楼组长 are one role here. Paying
    quarterly (按季度发放) is how it is paid, not a condition; it is not checked.
    """
    s = c.number("group_leader_subsidy")
    return at_least(s, p.group_leader_subsidy_min, unit="yuan/month", inputs={
        "group leader subsidy / 居民小组长补贴": (s, "yuan/month")})
