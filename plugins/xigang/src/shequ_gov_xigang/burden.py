"""Xigang: how much of a community's work is administrative (行政事务占比), an indicator."""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, measure


@formula("xigang.burden.admin_share")
def admin_share(c: CommunityInputs, p: Parameters) -> Outcome:
    """The share of the community's work that is administrative.

    Source: "在社区承担的各项工作中，行政事务占据了大约70%左右". An indicator (no pass or fail):
    the value is ``burden.admin_work_share`` (a fraction 0–1), UNKNOWN where missing; the
    source's estimate (``reported_admin_work_share``, about 0.7) is shown for comparison.
    """
    share = c.number("burden.admin_work_share")
    return measure(share, unit="", inputs={
        "administrative share of work / 行政事务占比": (share, ""),
        "the source's estimate / 来源估计": (np.full(c.n, float(p.reported_admin_work_share)), ""),
    })
