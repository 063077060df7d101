"""Xigang: the community assessment scheme (社区考评体系): residents' weight and an appeal period."""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least, condition


@formula("xigang.assessment.resident_weight", increasing=["assessment.weights.residents"],
         decreasing=["assessment.weights.street", "assessment.weights.departments"])
def resident_weight(c: CommunityInputs, p: Parameters) -> Outcome:
    """In the assessment scheme the residents' opinion weighs most, and there is an appeal period.

    Source: "加大服务对象意见的权重" with, for the appeal period, "公示期间，应考虑给予被考核人申诉的
    权利、途径与时间". Passes when ``assessment.weights.residents`` is at least both the
    street's and the departments' weights (a tie for the largest passes) and
    ``assessment.appeal_period`` is true. Interpretation: the source says the weight is to be
    *increased* (加大); "largest of the three" is the catalogue's reading of it. Three-valued:
    a weight below another party's, or no appeal period, fails even if another input is
    missing; otherwise a missing input is UNKNOWN.
    """
    residents = c.number("assessment.weights.residents")
    street = c.number("assessment.weights.street")
    departments = c.number("assessment.weights.departments")
    appeal = c.flag("assessment.appeal_period")
    largest = at_least(residents, street).result & at_least(residents, departments).result
    result = largest & appeal
    others = np.maximum(street, departments)  # NaN if either is missing
    return condition(result, measured=residents, required=others, unit="", inputs={
        "residents' weight / 居民(服务对象)评价权重": (residents, ""),
        "street's weight / 街道评价权重": (street, ""),
        "departments' weight / 职能部门评价权重": (departments, ""),
        "appeal period (1 yes, 0 no) / 申诉期(1 有, 0 无)": (
            np.where(appeal.known, appeal.value.astype(np.float64), np.nan), ""),
    }, note="residents' weight ≥ the street's and the departments' weights, and an appeal period / "
            "居民权重不低于街道和职能部门权重,且设申诉期")
