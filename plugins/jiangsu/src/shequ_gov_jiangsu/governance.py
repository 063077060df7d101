"""Jiangsu's rules on community organisation: micro-grids and the committees under the residents' committee.

Source: the 2022 reply, part 一 (健全城乡社区治理体系): “全面推进“微网格”建设” and
“发挥村(居)民委员会下设的人民调解、治安保卫、公共卫生、妇女儿童等委员会作用”.
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, at_least, condition


@formula("jiangsu.grid.coverage", increasing=["grids"])
def grid_coverage(c: CommunityInputs, p: Parameters) -> Outcome:
    """The community is divided into micro-grids: at least one grid.

    Source: “全面推进“微网格”建设”. The text sets no grid size, so the test is structural
    (``grids > 0``, no parameter). Missing ``grids`` is UNKNOWN.
    """
    grids = c.number("grids")
    with np.errstate(invalid="ignore"):
        divided = Tri(grids > 0, ~np.isnan(grids))
    return condition(divided, measured=grids, inputs={"grids / 网格数": (grids, "")})


@formula("jiangsu.committees.required")
def committees_required(c: CommunityInputs, p: Parameters) -> Outcome:
    """The residents' or villagers' committee has its four named sub-committees.

    Source: “发挥村(居)民委员会下设的人民调解、治安保卫、公共卫生、妇女儿童等委员会作用”.
    Passes when ``bodies`` holds every key of ``required_committees`` (mediation, security,
    public health, women and children). The list ends in 等; only the four named are required,
    and the committees to add “as needed” (按需增设) are not. A missing ``bodies`` list is UNKNOWN.
    """
    keys = p.required_committees
    count = c.bodies.present_count(keys, "key")
    return at_least(count, float(len(keys)), inputs={
        "required committees present / 已设必备委员会数": (count, ""),
    }, note="required / 必备: " + ", ".join(keys))
