"""Kaizhou's rules on the community's own organisations: the three councils and the supervision committee.

Source: 开州府办发〔2020〕113号, part 一(二) 发挥自治组织基础作用.
"""

from __future__ import annotations


from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least, condition


@formula("kaizhou.councils.three")
def councils_three(c: CommunityInputs, p: Parameters) -> Outcome:
    """The red-and-white affairs council, the residents' council and the moral review council exist.

    Source: “完善和规范红白理事会、居民议事会、道德评议会”.
    Passes when ``bodies`` holds every key of ``required_councils``; a missing ``bodies`` list
    is UNKNOWN.
    """
    keys = p.required_councils
    count = c.bodies.present_count(keys, "key")
    return at_least(count, float(len(keys)), inputs={
        "required councils present / 已设议事组织数": (count, ""),
    }, note="required / 必备: " + ", ".join(keys))


@formula("kaizhou.governance.supervision_committee")
def supervision_committee(c: CommunityInputs, p: Parameters) -> Outcome:
    """A village or residents' affairs supervision committee exists.

    Source: “建立健全村(居)务监督委员会”. Passes when ``bodies`` holds
    ``supervision_committee``; a missing ``bodies`` list is UNKNOWN.
    """
    return condition(c.has_tag("bodies", "supervision_committee"))
