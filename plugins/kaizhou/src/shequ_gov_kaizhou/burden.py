"""Kaizhou's rules reducing the burden on communities: tasks, plaques, certificates, assessment.

Source: 开州府办发〔2020〕113号, part 一(五) 减轻社区负担.
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, condition, no_violations

_NEGATIVE = ["tasks:law_enforcement", "tasks:demolition", "tasks:environmental_rectification",
             "tasks:urban_management", "tasks:investment_attraction", "tasks:tax_assistance",
             "tasks:production_safety"]


def _none(counts: np.ndarray) -> Tri:
    """Per community: whether a count is zero (unknown where it is missing)."""
    return Tri(counts == 0, ~np.isnan(counts))


@formula("kaizhou.tasks.negative_list", decreasing=_NEGATIVE)
def negative_list(c: CommunityInputs, p: Parameters) -> Outcome:
    """The committee is the responsible subject of no task of a negative-list kind.

    Source: “不得将村(居)委会作为行政执法、拆迁拆违、环境整治、城市管理、招商引资、协税护税、
    生产安全管理等事项的责任主体”. A task offends where its kind is in
    ``negative_list_task_kinds`` and the community's role is ``responsible``; assisting is
    allowed. The list ends in 等; only the seven named kinds are encoded. A listed kind with no
    role given is unknown.
    """
    listed = Tri(c.tasks.kind_in(p.negative_list_task_kinds))
    offending = listed & c.task_role_is("responsible")
    return no_violations("tasks", offending, c.tasks, inputs={"tasks / 事项数": (c.tasks.count(), "")})


@formula("kaizhou.tasks.assist_funded", decreasing=_NEGATIVE)
def assist_funded(c: CommunityInputs, p: Parameters) -> Outcome:
    """Every task the committee assists with comes with funding.

    Source: “确实需要村(居)委会协助的工作事项,需提供经费和必要的工作条件” (under
    “权随责走、费随事转”). A task offends where the community's role is ``assisting`` and
    ``funded`` is false; unknown where either is not given.
    """
    offending = c.task_role_is("assisting") & ~c.tasks.flag("funded")
    return no_violations("tasks", offending, c.tasks, inputs={"tasks / 事项数": (c.tasks.count(), "")})


@formula("kaizhou.plaques.allowed")
def plaques_allowed(c: CommunityInputs, p: Parameters) -> Outcome:
    """The only plaques outside are those of the four permitted bodies.

    Source: “社区阵地对外只挂党组织、村(居)委会、集体经济组织、村(居)务监督委员会牌子”.
    Every plaque must be in ``allowed_plaques``. The 中国社区 and service-centre signs (标识) the
    same sentence requires are signs, not plaques: a ``service_center`` plaque fails.
    """
    outside = Tri(c.tags_outside("plaques", p.allowed_plaques))
    return no_violations("plaques", outside, c.plaques, inputs={"plaques / 牌子数": (c.plaques.count(), "")})


@formula("kaizhou.certificates.retained_only", decreasing=["burden.non_retained_certificates_issued"])
def certificates_retained_only(c: CommunityInputs, p: Parameters) -> Outcome:
    """The committee issues no certificate outside the Chongqing retained list.

    Source: “依据“重庆市村(社区)证明事项保留清单”全面清理村(居)委会出具的各类证明”.
    The retained list is outside the source, so the data says how many certificates are issued
    off it (``burden.non_retained_certificates_issued``); the test is structural (none).
    """
    n = c.number("burden.non_retained_certificates_issued")
    return condition(_none(n), measured=n, required=0.0, inputs={
        "certificates outside the retained list / 保留清单外证明": (n, ""),
    })


@formula("kaizhou.assessment.unified", decreasing=["burden.separate_department_assessments",
                                                  "burden.one_vote_veto_items"])
def assessment_unified(c: CommunityInputs, p: Parameters) -> Outcome:
    """No separate assessment by a functional department and no one-vote veto.

    Source: “各职能部门不再单独组织考核评比活动,取消对社区工作的“一票否决”事项”.
    Passes when ``burden.separate_department_assessments`` and ``burden.one_vote_veto_items``
    are both 0 (structural: none allowed). Either above 0 fails even if the other is missing.
    """
    separate = c.number("burden.separate_department_assessments")
    veto = c.number("burden.one_vote_veto_items")
    return condition(_none(separate) & _none(veto), measured=separate + veto, required=0.0, inputs={
        "separate department assessments / 职能部门单独考核": (separate, ""),
        "one-vote-veto items / 一票否决事项": (veto, ""),
    })
