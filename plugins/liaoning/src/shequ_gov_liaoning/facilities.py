"""Liaoning: the urban community service station (城市社区服务站) and the provincial area standard.

Two rules on the same test, "the station meets the provincial standard (省定标准) of 400": one
per community (a requirement), and its share over the province's urban communities (an
indicator, reported next to the source's own figures). The station is the community's
comprehensive service building, facility kind ``service_housing``: its area is the whole
building. The source prints only "(400)"; it is read as square metres from the same
sentence's "平均549平方米".
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least, measure

STATION = "service_housing"


def _station_area(c) -> np.ndarray:
    return c.facility_area(STATION)


@formula("liaoning.facilities.service_station_area", increasing=[f"facility_area:{STATION}"])
def service_station_area(c: CommunityInputs, p: Parameters) -> Outcome:
    """The urban community's service station is at least the provincial standard area.

    Source: "3828个城市社区服务站达省定标准(400)". Passes when the total area of the
    community's ``service_housing`` facilities is at least ``service_station_min_area``
    (400 m²); a community with no such facility has 0 m² and fails; a station whose area is
    not given is UNKNOWN. The engine limits the rule to urban communities.
    """
    area = _station_area(c)
    return at_least(area, p.service_station_min_area, unit="m**2", inputs={
        "service station area / 社区服务站面积": (area, "m**2"),
    })


@formula("liaoning.facilities.service_station_share")
def service_station_share(c: CommunityInputs, p: Parameters) -> Outcome:
    """The share of the province's urban communities whose service station meets the standard.

    Source: "3828个城市社区服务站达省定标准(400),占社区总数的87.2%". An indicator (no pass or
    fail): for each province, among the communities the rule selects (``c.selected``: urban,
    inside the jurisdiction), the share whose ``service_housing`` area is at least
    ``service_station_min_area``, counted over the communities whose verdict is known — as a
    statistics office reports a share over the stations it has figures for. Communities whose
    area (or area type) is missing are left out of both counts; how many there are, and the
    bounds of the share if they all met or all missed the standard, are among the inputs. The
    value is UNKNOWN only where no selected community has a known verdict. The source's own
    figures (87.2 %, 3,828 stations, 549 m² on average) are parameters, shown for comparison.
    Interpretation: the source's denominator is "社区总数" (3828 / 0.872 ≈ 4,390, possibly all
    communities); this indicator counts urban ones.
    """
    meets = at_least(_station_area(c), p.service_station_min_area).result
    provinces = c.regions("province")
    low, high, total = provinces.share(meets)
    counted = c.selected.is_true & meets.known
    n_known = provinces.count(counted)
    n_meeting = provinces.count(counted & meets.is_true)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(n_known > 0, n_meeting / n_known, np.nan)
    n_unknown = provinces.count(c.selected.is_true & ~meets.known) + provinces.count(~c.selected.known)
    reported = np.full(provinces.n, float(p.reported_station_share))
    return measure(value, unit="", inputs={
        "urban communities with a known verdict / 有数据的城市社区数": (n_known, ""),
        "communities left out, data missing / 数据缺失未计入": (n_unknown, ""),
        "stations meeting the standard / 达标社区服务站数": (n_meeting, ""),
        "share, lower bound / 比例下限": (low, ""),
        "share, upper bound / 比例上限": (high, ""),
        "share the source reports / 来源报告的比例": (reported, ""),
        "stations the source reports meeting it / 来源报告的达标站数": (
            np.full(provinces.n, float(p.reported_stations_meeting_standard)), ""),
        "average area the source reports / 来源报告的平均面积": (
            np.full(provinces.n, float(p.reported_station_average_area)), "m**2"),
    }, note=f"meets = {STATION} area ≥ {p.service_station_min_area:g} m² / 服务站面积达省定标准")

