"""Xigang: the district's community work access list (社区工作准入) and "费随事转、权跟责走".

Three rules over the community's task list. The district cut the items communities were asked
to take on from 63 categories / 269 items to 32 categories / 66 items and issued the result as
the access list; the list's contents are not in the source, so each task's ``on_access_list``
flag decides membership. An empty task list is an answer (no task): it passes.
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_most, no_violations


@formula("xigang.tasks.access_list", decreasing=["tasks:urban_management", "tasks:law_enforcement"])
def access_list(c: CommunityInputs, p: Parameters) -> Outcome:
    """Every task of the community is on the district access list.

    Source: "经区委常委会讨论通过后以文件形式下发到各街道和社区，极大地减轻了社区的负担，建立社区
    工作准入机制". Interpretation: the list covers the community's own self-governance items as
    well as those it takes on for government departments ("社区依法自主、依法协助上级各部门工作
    事项和申请准入的工作事项"), so every task counts, whatever its role. A task whose flag is not
    given is UNKNOWN unless another task is surely off the list.
    """
    off_list = ~c.tasks.flag("on_access_list")
    return no_violations("tasks", off_list, c.tasks, inputs={
        "tasks / 工作事项": (c.tasks.count(), ""),
        "tasks off the access list / 清单外事项": (c.tasks.count(off_list.is_true), ""),
    })


def distinct_kinds(c) -> np.ndarray:
    """Per community: how many distinct task kinds it has (NaN where the task list is missing)."""
    return c.tasks.distinct_count("kind")


@formula("xigang.tasks.access_list_size", decreasing=["tasks:urban_management", "tasks:law_enforcement"])
def access_list_size(c: CommunityInputs, p: Parameters) -> Outcome:
    """The community is given no more distinct task items than the access list holds.

    Source: "最后经清理合并精减为32类66项". Passes when the number of distinct task kinds in the
    community's task list is at most ``access_list_max_items`` (66); the cap itself passes.
    Interpretations: a task item is a task ``kind`` (several tasks of one kind are one item);
    every task counts whatever its role, because the 66 items were cleaned from a list that held
    self-governance items too ("社区依法自主、依法协助…工作事项"). The 32 categories are not
    encoded (the data has no category of a task).
    """
    n = distinct_kinds(c)
    return at_most(n, p.access_list_max_items, unit="", inputs={
        "distinct task items / 不同工作事项数": (n, ""),
        "tasks / 工作事项(条)": (c.tasks.count(), ""),
    })


@formula("xigang.tasks.resources_follow", decreasing=["tasks:urban_management", "tasks:demolition"])
def resources_follow(c: CommunityInputs, p: Parameters) -> Outcome:
    """Every task handed down to the community comes with funding and a legal or policy basis.

    Source: "对于必须转移到社区或必须由社区协调完成的工作，应以法律、法规或上级党委、政府文件为依据，
    充分兼顾社区承接能力，赋予社区相应的工作职权，提供必须的经费和支持" (summed up as
    "做到费随事转、权跟责走"). A task is handed down when the community's role in it is
    ``responsible`` or ``assisting`` (not ``self``); it offends unless both ``funded`` and
    ``legal_basis`` hold. A task with its role or a flag not given is UNKNOWN unless another
    task surely offends. The "相应的工作职权" (powers) are not in the data and not checked.
    """
    handed_down = c.task_role_is("responsible") | c.task_role_is("assisting")
    resourced = c.tasks.flag("funded") & c.tasks.flag("legal_basis")
    offending = handed_down & ~resourced
    return no_violations("tasks", offending, c.tasks, inputs={
        "tasks handed down / 下派事项": (c.tasks.count(handed_down.is_true), ""),
        "handed down without funding or basis / 缺经费或依据的下派事项": (c.tasks.count(offending.is_true), ""),
    })

