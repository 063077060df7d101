"""Liaoning: what may be pushed down onto a community (社区工作准入, 减负).

Four rules over the community's task list, all from the 2017 implementing opinion of the
provincial party committee and government as the 2020 reply cites it. Each is a list rule: it
passes when no task offends, fails when one surely does, and is UNKNOWN where the task list is
missing or a task's deciding field (role, flag) is not given and none surely offends. An empty
task list is an answer (no task), so it passes. The offending tasks are named in explanations.
"""

from __future__ import annotations

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, no_violations


@formula("liaoning.tasks.access_list", decreasing=["tasks:urban_management", "tasks:law_enforcement"])
def access_list(c: CommunityInputs, p: Parameters) -> Outcome:
    """Every task of the community is on the work-item access list.

    Source: "指导全省以市为单位制定社区工作事项清单,实行社区工作准入制度" (the 2017 opinion, as
    the 2020 reply cites it). The list itself is each city's; the data's ``on_access_list``
    flag says whether a task is on it. Interpretation: the 社区工作事项清单 lists all of a
    community's work items (its own self-governance items as well as those it takes on for
    government), so every task counts, whatever the community's role in it.
    """
    off_list = ~c.tasks.flag("on_access_list")
    return no_violations("tasks", off_list, c.tasks, inputs={
        "tasks / 工作事项": (c.tasks.count(), ""),
        "tasks off the access list / 清单外事项": (c.tasks.count(off_list.is_true), ""),
    })


@formula("liaoning.tasks.assist_funded", decreasing=["tasks:urban_management"])
def assist_funded(c: CommunityInputs, p: Parameters) -> Outcome:
    """Every task the community assists with comes with funding.

    Source: "应由社区协助的事项,要为社区提供必要的经费、人员和工作条件". A task counts when the
    community's role in it is ``assisting``; it offends when it is not ``funded``. The data
    records funding only, so staff and working conditions (人员和工作条件) are not checked.
    A task whose role is not given offends if it is unfunded and might be an assisting task
    (UNKNOWN unless another task surely offends).
    """
    offending = c.task_role_is("assisting") & ~c.tasks.flag("funded")
    return no_violations("tasks", offending, c.tasks, inputs={
        "tasks assisted / 协助事项": (c.tasks.count(c.task_role_is("assisting").is_true), ""),
        "unfunded assisted tasks / 无经费协助事项": (c.tasks.count(offending.is_true), ""),
    })


@formula("liaoning.tasks.abolished_indicators", decreasing=["tasks:investment_attraction", "tasks:tax_assistance"])
def abolished_indicators(c: CommunityInputs, p: Parameters) -> Outcome:
    """No task of an abolished indicator kind: investment attraction, tax assistance, revenue generation.

    Source: "社区承担的招商引资、协税护税、经济创收等任务指标,以及社区作为责任主体的执法、拆迁拆违、
    环境整治、城市管理等事项,原则上一律取消". The indicators are abolished whatever the
    community's role (the sentence names the community's role only for the second group), so a
    task of these kinds offends in any role. The list ends in 等: only the named kinds
    (parameter ``abolished_indicator_task_kinds``) are encoded.
    """
    offending = Tri(c.tasks.kind_in(p.abolished_indicator_task_kinds))
    return no_violations("tasks", offending, c.tasks, inputs={
        "tasks / 工作事项": (c.tasks.count(), ""),
    })


@formula("liaoning.tasks.not_responsible_subject", decreasing=["tasks:urban_management", "tasks:demolition"])
def not_responsible_subject(c: CommunityInputs, p: Parameters) -> Outcome:
    """The community is the responsible subject (责任主体) of no enforcement-type task.

    Source: "不得将基层群众性自治组织作为行政执法、拆迁拆违、环境整治、城市管理、招商引资等事项的
    责任主体". A task offends when its kind is one of ``not_responsible_task_kinds`` and the
    community's role in it is ``responsible``; assisting with such a task is allowed. A task of
    these kinds whose role is not given may offend (UNKNOWN unless another surely does).
    """
    offending = Tri(c.tasks.kind_in(p.not_responsible_task_kinds)) & c.task_role_is("responsible")
    return no_violations("tasks", offending, c.tasks, inputs={
        "tasks / 工作事项": (c.tasks.count(), ""),
    })
