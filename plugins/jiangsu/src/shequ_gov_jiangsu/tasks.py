"""Jiangsu's rules on the tasks a community carries: the access list and the negative list.

Source: the provincial party committee's opinion on community duties and burdens, as the 2022
reply cites it: “以……主体责任、事项准入和负面事项“三张清单”为抓手”. The text names the lists
without their contents.
"""

from __future__ import annotations

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, no_violations

_NEGATIVE = ["tasks:law_enforcement", "tasks:demolition", "tasks:environmental_rectification",
             "tasks:urban_management", "tasks:investment_attraction", "tasks:tax_assistance",
             "tasks:revenue_generation", "tasks:production_safety"]


@formula("jiangsu.tasks.access_list", decreasing=_NEGATIVE)
def access_list(c: CommunityInputs, p: Parameters) -> Outcome:
    """Every task the community carries is on the access list (事项准入清单).

    Source: “主体责任、事项准入和负面事项“三张清单”为抓手”.
    A task with ``on_access_list`` false is a violation; one where it is not given is unknown.
    As catalogued, every task counts, the community's own self-governance items included.
    """
    off_list = ~c.tasks.flag("on_access_list")
    return no_violations("tasks", off_list, c.tasks, inputs={
        "tasks / 事项数": (c.tasks.count(), ""),
    })


@formula("jiangsu.tasks.negative_list", decreasing=_NEGATIVE)
def negative_list(c: CommunityInputs, p: Parameters) -> Outcome:
    """The community is the responsible subject of no task on the negative list (负面事项清单).

    Source: “主体责任、事项准入和负面事项“三张清单”为抓手”.
    The text gives no contents, so the negative-list kinds are the parameter
    ``negative_list_task_kinds`` (by default the eight kinds the national burden-reduction texts
    take off communities — the project's reading). A task of such a kind offends where the
    community is its responsible subject (责任主体); assisting a government body is not on the
    negative list. A listed kind with no role given is unknown.
    """
    listed = Tri(c.tasks.kind_in(p.negative_list_task_kinds))
    offending = listed & c.task_role_is("responsible")
    return no_violations("tasks", offending, c.tasks, inputs={
        "tasks / 事项数": (c.tasks.count(), ""),
    })
