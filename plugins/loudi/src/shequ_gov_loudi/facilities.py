"""Facility rules of 婁發[2015]12號 as quoted in 婁民復字〔2018〕10號: public service housing,
the service centre, the seven function rooms and the 五统一 (unified appearance).

The plaques hung outside are in :mod:`.plaques`; the 三位一体 structure in :mod:`.governance`.
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least, compare
from shequ_gov.vocab import FACILITY_KINDS, UNIFIED

from ._helpers import as_float, judged


@formula("loudi.facilities.service_housing_area", increasing=["facility_area:service_housing"])
def service_housing_area(c: CommunityInputs, p: Parameters) -> Outcome:
    """全市社區公共服務用房面積按照不低于400平方米的標準建成達標。新建社區公共服務用房面積不低于600平方米.

    Passes when the public service housing (``service_housing``, the whole building) is at least
    ``new_build_service_housing_min_area`` for a newly built community (``new_build`` true), and
    at least ``service_housing_min_area`` otherwise.

    In three-valued logic: area ≥ 600 m² OR (not new_build AND area ≥ 400 m²). Where
    ``new_build`` is missing the verdict is still known outside 400–600 m² (≥ 600 passes either
    way, < 400 fails either way) and UNKNOWN only in between. The requirement shown is the
    new-build minimum where the community is surely newly built, the general minimum elsewhere.
    """
    area = c.facility_area("service_housing")
    new = c.flag("new_build")
    meets_new = compare(area, p.new_build_service_housing_min_area, ">=")
    meets_general = compare(area, p.service_housing_min_area, ">=")
    result = meets_new | (~new & meets_general)
    required = np.where(new.is_true, p.new_build_service_housing_min_area, p.service_housing_min_area)
    return judged(result, area, required, op=">=", unit="m**2", inputs={
        "public service housing area / 公共服务用房面积": (area, "m**2"),
        "newly built (1 yes, 0 no) / 新建社区": (as_float(new), ""),
    })


@formula("loudi.facilities.service_center_area", increasing=["facility_area:service_center"])
def service_center_area(c: CommunityInputs, p: Parameters) -> Outcome:
    """按照“一居一中心”模式設立“社區服務中心”,面積不少于50平方米.

    Passes when the community service centre (``service_center`` facilities, summed) is at least
    ``service_center_min_area``; a community without one has 0 m² and fails.
    """
    area = c.facility_area("service_center")
    return at_least(area, p.service_center_min_area, unit="m**2",
                    inputs={"service centre area / 社区服务中心面积": (area, "m**2")})


@formula("loudi.facilities.function_rooms")
def function_rooms(c: CommunityInputs, p: Parameters) -> Outcome:
    """同時建好黨群活動室、調解室、警務室、計劃生育服務室、慈善超市、社區辦公室及輔助用房等功能室.

    Passes when a facility of every kind in ``required_function_rooms`` exists (the measured value
    is how many of them do). The list ends in 等 ("and so on"); only the seven named rooms are
    required. A room's area is not judged.
    """
    rooms = p.required_function_rooms
    present = c.facilities.present_count(rooms)
    return at_least(present, float(len(rooms)), unit="", inputs={
        "required function rooms present / 已建功能室": (present, ""),
    }, note="required / 必备: " + "、".join(FACILITY_KINDS.term(k).zh for k in rooms))


@formula("loudi.facilities.five_unified")
def five_unified(c: CommunityInputs, p: Parameters) -> Outcome:
    """做到社區標識、外墻裝飾、機構門牌、服務窗口、宣傳欄目“五統一”.

    Passes when every item of ``five_unified_items`` is in the community's ``unified`` list (the
    measured value is how many are).
    """
    items = p.five_unified_items
    present = c.unified.present_count(items, "key")
    return at_least(present, float(len(items)), unit="", inputs={
        "items unified / 已统一项目": (present, ""),
    }, note="to unify / 五统一: " + "、".join(UNIFIED.term(k).zh for k in items))
