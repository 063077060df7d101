"""Jiangsu's rule on community funds: basic operating funds are secured.

Source: the 2022 reply, part 一.二: “切实保障村(社区)组织基本运转经费”.
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, condition


@formula("jiangsu.funding.operating", increasing=["funding.operating"])
def operating(c: CommunityInputs, p: Parameters) -> Outcome:
    """Basic operating funds are secured: annual operating funds greater than zero.

    Source: “切实保障村(社区)组织基本运转经费”. The text states no amount, so the test is
    structural (``funding.operating > 0``) and there is no parameter. Missing funds are UNKNOWN.
    """
    funds = c.number("funding.operating")
    with np.errstate(invalid="ignore"):
        secured = Tri(funds > 0, ~np.isnan(funds))
    return condition(secured, measured=funds, unit="yuan/year", inputs={
        "operating funds / 运转经费": (funds, "yuan/year"),
    })
