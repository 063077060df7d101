"""Liaoning: one unified assessment of community work (统一考核, 取消“一票否决”), and the residents'
weight in the assessment of community workers (群众满意度占主要权重).

The first from the 2017 implementing opinion as the 2020 reply's next-steps section cites it; the
second from the 2020 reply's next steps.
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least, at_most, condition

#: "不再单独组织" and "取消" allow none: a structural zero, not a threshold of the source.
NONE_ALLOWED = 0.0


@formula("liaoning.assessment.unified",
         decreasing=["burden.separate_department_assessments", "burden.one_vote_veto_items"])
def unified(c: CommunityInputs, p: Parameters) -> Outcome:
    """No separate assessment by a functional department and no one-vote-veto item.

    Source: "各职能部门不再单独组织考核评比活动,取消对社区工作的“一票否决”事项". Both counts
    must be zero. Either count above zero fails even if the other is missing (three-valued
    "and"); otherwise a missing count is UNKNOWN. The measured value is the two counts added.
    """
    separate = c.number("burden.separate_department_assessments")
    veto = c.number("burden.one_vote_veto_items")
    ok = at_most(separate, NONE_ALLOWED).result & at_most(veto, NONE_ALLOWED).result
    return condition(ok, measured=separate + veto, required=NONE_ALLOWED, inputs={
        "separate department assessments / 职能部门单独考核": (separate, ""),
        "one-vote-veto items / 一票否决事项": (veto, ""),
    }, note="separate assessments + one-vote-veto items must be 0 / 单独考核与一票否决事项均应为0")


@formula("liaoning.assessment.resident_satisfaction_weight", increasing=["assessment.weights.residents"],
         decreasing=["assessment.weights.street", "assessment.weights.departments"])
def resident_satisfaction_weight(c: CommunityInputs, p: Parameters) -> Outcome:
    """In the assessment of community workers the residents' satisfaction carries the main weight.

    Source: "建立群众满意度占主要权重的社区工作者评价机制". Passes when
    ``assessment.weights.residents`` is at least the street's and the departments' weights (占主要
    权重 read as "the largest of the weights"; a tie for the largest passes). Three-valued: a
    weight below another party's fails even if the third is missing; otherwise a missing weight
    is UNKNOWN. The measured value is the residents' weight, the required one the larger of the
    other two. The sentence is a next step (建立…机制, advisory); the assessment scheme recorded in
    ``assessment.weights`` is taken to be the one applied to community workers.
    """
    residents = c.number("assessment.weights.residents")
    street = c.number("assessment.weights.street")
    departments = c.number("assessment.weights.departments")
    largest = at_least(residents, street).result & at_least(residents, departments).result
    return condition(largest, measured=residents, required=np.maximum(street, departments), unit="", inputs={
        "residents' weight / 群众满意度权重": (residents, ""),
        "street's weight / 街道评价权重": (street, ""),
        "departments' weight / 职能部门评价权重": (departments, ""),
    }, note="residents' weight ≥ the street's and the departments' weights / 群众满意度权重不低于其他各方")
