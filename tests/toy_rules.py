"""The formulas of the toy test policy (tests/data/toy_policy.toml)."""

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import Tri, at_least, measure, no_violations


@formula("toy.area", increasing=["facility_area:service_housing"])
def area(c, p):
    """面积不低于400平方米: the service housing is at least min_area."""
    a = c.facility_area("service_housing")
    return at_least(a, p.min_area, unit="m**2", inputs={"service housing area / 服务用房面积": (a, "m**2")})


@formula("toy.banned_tasks", decreasing=["tasks:urban_management"])
def banned(c, p):
    """不得承担城市管理、拆迁拆违: no task of a banned kind."""
    bad = Tri(c.tasks.kind_in(p.banned))
    return no_violations("tasks", bad, c.tasks)


@formula("toy.households")
def households(c, p):
    """户数: the number of households, reported."""
    return measure(c.number("households"), unit="household")


@formula("toy.area_share")
def area_share(c, p):
    """达标比例达到50%: the share of a district's communities meeting min_area reaches the target."""
    d = c.regions("district")
    meets = at_least(c.facility_area("service_housing"), p.min_area).result
    low, high, total = d.share(meets)
    result = Tri(low >= p.share_target, (low >= p.share_target) | (high < p.share_target))
    from shequ_gov.rules import condition

    return condition(result, measured=np.where(total > 0, low, np.nan), required=p.share_target)
