"""Jiangsu's rules on service facilities and everyday services: area per household, convenience circles.

Source: the Jiangsu Civil Affairs Department's reply of 2022-06-24, part 二 (城乡社区服务供给).
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least, compare, condition

#: "每百户": the standard is stated per 100 households (a unit of the parameter, not a threshold).
HOUSEHOLDS_PER_UNIT = 100.0


@formula("jiangsu.facilities.area_per_households", increasing=["facility_area:service_housing"],
         decreasing=["households"])
def area_per_households(c: CommunityInputs, p: Parameters) -> Outcome:
    """Comprehensive service facility area of at least the standard per 100 households.

    Source: “按照每百户居民不低于30平方米的标准” (the provincial 十四五 plan the department drafts).
    The required area is ``facility_area_per_100_households × households / 100``; the measured
    area is the community's ``service_housing`` (the whole comprehensive service building).
    Missing households, a missing facility list or a service facility without an area is UNKNOWN.
    """
    area = c.facility_area("service_housing")
    households = c.number("households")
    required = p.facility_area_per_100_households * households / HOUSEHOLDS_PER_UNIT
    return at_least(area, required, unit="m**2", inputs={
        "service facility area / 综合服务设施面积": (area, "m**2"),
        "households / 户数": (households, "household"),
    })


@formula("jiangsu.services.life_circle", decreasing=["convenience_minutes", "convenience_distance"])
def life_circle(c: CommunityInputs, p: Parameters) -> Outcome:
    """Everyday services within the urban quarter-hour circle or the rural 3 km circle.

    Source: “全面推进一刻钟便民生活圈、农村3公里生活圈建设”.
    A central urban or urban community passes when ``convenience_minutes`` (walking time) is at
    most ``life_circle_max_minutes`` (一刻钟 read as 15 minutes' walk); a township or rural
    community when ``convenience_distance`` is at most ``life_circle_max_distance_rural``.
    Township communities under the rural circle is the project's reading. UNKNOWN where the
    area type, or the measure its circle needs, is missing.
    """
    minutes = c.number("convenience_minutes")
    distance = c.number("convenience_distance")
    urban = c.urban
    within_minutes = compare(minutes, p.life_circle_max_minutes, "<=")
    within_distance = compare(distance, p.life_circle_max_distance_rural, "<=")
    result = (urban & within_minutes) | (~urban & within_distance)
    # measured: the value of the circle that applies (minutes for urban, km otherwise)
    measured = np.where(urban.is_true, minutes, np.where(urban.is_false, distance, np.nan))
    return condition(result, measured=measured, inputs={
        "walking time to everyday services / 步行至便民服务时间": (minutes, "minute"),
        "distance to everyday services / 至便民服务距离": (distance, "km"),
    }, note=f"urban: ≤ {p.life_circle_max_minutes:g} minutes' walk; township and rural: "
            f"≤ {p.life_circle_max_distance_rural:g} km / 城市一刻钟、农村3公里")
