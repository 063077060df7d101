"""Funding rules of 婁民復字〔2018〕10號: operating funds by area type, and benefit-project funds."""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least


@formula("loudi.funding.operating", increasing=["funding.operating"])
def operating(c: CommunityInputs, p: Parameters) -> Outcome:
    """村級運轉經費達到8萬元以上,城市社區運轉經費達到20萬元以上,中心城區社區達到25萬元以上,鄉鎮社區達到10萬元以上.

    Passes when the annual operating funds are at least the minimum for the community's area type:
    ``operating_funds_min_rural`` (村級), ``_township`` (鄉鎮社區), ``_urban`` (城市社區) or
    ``_central_urban`` (中心城區社區). The amounts have no period in the source and are read as
    yearly; 以上 ("and above") includes the amount itself. UNKNOWN where the area type (hence the
    requirement) or the funds are missing.
    """
    funds = c.number("funding.operating")
    required = np.full(c.n, np.nan)
    for area_type, minimum in (("rural", p.operating_funds_min_rural),
                               ("township", p.operating_funds_min_township),
                               ("urban", p.operating_funds_min_urban),
                               ("central_urban", p.operating_funds_min_central_urban)):
        required = np.where(c.area_is(area_type).is_true, minimum, required)
    return at_least(funds, required, unit="yuan/year", inputs={
        "operating funds / 运转经费": (funds, "yuan/year"),
        "minimum for the area type / 该类型社区最低额": (required, "yuan/year"),
    })


@formula("loudi.funding.benefit_projects", increasing=["funding.benefit_projects"])
def benefit_projects(c: CommunityInputs, p: Parameters) -> Outcome:
    """落實了中心城區不低于20萬元/年的社區惠民項目資金.

    Passes when a central urban community's annual benefit-project funds (惠民项目资金) are at
    least ``benefit_project_funds_min``. The amount could also be read as a total for the whole
    central urban area; it is read per community, as in the catalogue.
    """
    funds = c.number("funding.benefit_projects")
    return at_least(funds, p.benefit_project_funds_min, unit="yuan/year", inputs={
        "benefit-project funds / 惠民项目资金": (funds, "yuan/year"),
    })
