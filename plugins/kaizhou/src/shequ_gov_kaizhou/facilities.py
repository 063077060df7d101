"""Kaizhou's rules on comprehensive service facilities: the per-household standard and the district targets.

Source: 开州府办发〔2020〕113号, part 一(三) 完善社区服务设施: “力争到2021年,每百户居民拥有综合服务
设施面积不低于30平方米的城乡社区达到70%,2022年达到80%,2023年达到100%”.
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, at_least, compare, condition

#: "每百户": the standard is stated per 100 households (a unit of the parameter, not a threshold).
HOUSEHOLDS_PER_UNIT = 100.0


def _area_standard(c, p) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    area = c.facility_area("service_housing")
    households = c.number("households")
    required = p.facility_area_per_100_households * households / HOUSEHOLDS_PER_UNIT
    return area, households, required


@formula("kaizhou.facilities.area_per_households", increasing=["facility_area:service_housing"],
         decreasing=["households"])
def area_per_households(c: CommunityInputs, p: Parameters) -> Outcome:
    """Comprehensive service facility area of at least the standard per 100 households.

    Source: “每百户居民拥有综合服务设施面积不低于30平方米”.
    The required area is ``facility_area_per_100_households × households / 100``; the measured
    area is the community's ``service_housing``. As catalogued, the standard binds each
    community from the notice's date, although the district only aims at 100 % by 2023.
    Missing households, a missing facility list or an area-less service facility is UNKNOWN.
    """
    area, households, required = _area_standard(c, p)
    return at_least(area, required, unit="m**2", inputs={
        "service facility area / 综合服务设施面积": (area, "m**2"),
        "households / 户数": (households, "household"),
    })


def share_reaches(low: np.ndarray, high: np.ndarray, target: float) -> Tri:
    """Whether a share known only within [low, high] reaches *target*.

    True where ``low >= target``, false where ``high < target``, unknown in between (and where
    the share is undefined, NaN). The comparison is the library's (a share exactly at the
    target reaches it).
    """
    surely = compare(low, target, ">=")
    maybe = compare(high, target, ">=")
    return Tri(surely.is_true, surely.is_true | maybe.is_false)


@formula("kaizhou.facilities.area_share_target", increasing=["facility_area:service_housing"],
         decreasing=["households"])
def area_share_target(c: CommunityInputs, p: Parameters) -> Outcome:
    """The district's share of communities meeting 30 m² per 100 households reaches the target in force.

    Source: “力争到2021年,每百户居民拥有综合服务设施面积不低于30平方米的城乡社区达到70%,
    2022年达到80%,2023年达到100%”. ``facility_area_share_target`` has three dated values (0.7
    from 2021-12-31, 0.8 from 2022-12-31, 1.0 from 2023-12-31: “到2021年” read as the end of
    the year). The share is over the communities the rule selects in the district; where some
    communities' area is unknown it is bounded (low, high): PASS where even the low bound
    reaches the target, FAIL where even the high bound falls short, UNKNOWN otherwise. The
    measured value is the low bound (the share certainly reached). The outcome is a
    ``condition`` (not ``at_least``): the verdict compares two bounds, not one value.
    """
    area, households, required = _area_standard(c, p)
    meets = compare(area, required, ">=")
    district = c.regions("district")
    low, high, total = district.share(meets)
    target = p.facility_area_share_target
    result = share_reaches(low, high, target)
    return condition(result, measured=low, required=target, inputs={
        "communities counted / 社区数": (total, ""),
        "communities meeting the standard / 达标社区数": (district.count(c.selected.is_true & meets.is_true), ""),
        "share, lower bound / 达标比例下限": (low, ""),
        "share, upper bound / 达标比例上限": (high, ""),
    }, note="PASS where the share's lower bound reaches the target, FAIL where its upper bound falls short / "
            "达标比例下限达到目标为达标,上限仍不足为未达标")
