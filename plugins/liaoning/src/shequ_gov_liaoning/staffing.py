"""Liaoning: community workers' pay against the local average wage (社区工作者报酬).

One rule, from the 2020 reply's next steps. It compares each worker's pay with a region field,
the city's previous-year average social wage (``average_annual_wage`` on the city), read
through ``c.ancestor_value``.
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula, ureg
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least

#: Months in a year, from the unit registry (yuan/month → yuan/year), not a literal.
MONTHLY_TO_ANNUAL = float(ureg.Quantity(1, "yuan/month").to("yuan/year").magnitude)


@formula("liaoning.staffing.pay_vs_average_wage", increasing=["staff.monthly_pay"],
         decreasing=["region.average_annual_wage"])
def pay_vs_average_wage(c: CommunityInputs, p: Parameters) -> Outcome:
    """Every community worker's annual pay reaches the city's previous-year average social wage.

    Source: "力争社区工作者报酬标准逐步达到上年度当地社会平均工资标准". Interpretations:
    a community worker (社区工作者) is everyone on the staff list, the two committees included;
    annual pay is monthly pay × 12; "当地" is the city (the wage figure lives on the city).
    The source says "strive to reach gradually" (力争…逐步达到); the rule is advisory and tests
    whether the wage is reached, with no ratio (the source gives none).

    Three-valued: one worker surely below the wage fails the community even if another's pay
    is missing; otherwise a missing pay, a missing staff list, or a city without a wage figure
    is UNKNOWN. A community with an empty staff list has no worker below the wage and passes.
    The measured value is the lowest annual pay among the workers whose pay is given.
    """
    wage = c.ancestor_value("city", "average_annual_wage")
    annual = c.staff.column("monthly_pay") * MONTHLY_TO_ANNUAL
    each_reaches = at_least(annual, wage[c.staff.owner]).result
    result = c.staff.all(each_reaches).where(~np.isnan(wage))
    known_pay = ~np.isnan(annual)
    lowest = c.staff.min(annual, known_pay)
    # the verdict is the Kleene one above; at_least reports the lowest pay against the wage, and
    # for a FAIL the shortfall of the lowest-paid worker
    return at_least(lowest, wage, result=result, unit="yuan/year", inputs={
        "lowest annual pay (monthly × 12) / 最低年报酬": (lowest, "yuan/year"),
        "city's previous-year average wage / 上年度当地社会平均工资": (wage, "yuan/year"),
        "staff / 社区工作者人数": (c.staff_count(), ""),
        "staff below the wage / 低于平均工资的人数": (c.staff.count(each_reaches.is_false), ""),
        "staff whose pay is missing / 报酬缺失的人数": (c.staff.count(~known_pay), ""),
    }, note="every worker's monthly pay × 12 ≥ the city's average annual wage / 每名社区工作者年报酬不低于当地社会平均工资")
