"""Liaoning: one unified assessment of community work (统一考核, 取消“一票否决”).

One rule, from the 2017 implementing opinion as the 2020 reply's next-steps section cites it.
"""

from __future__ import annotations

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_most, condition

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
