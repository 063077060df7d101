"""Jiangsu's rule on community workers' pay: the “三岗十八级” scale.

Source: the 2022 reply, part 一.五: “健全“三岗十八级”薪酬体系”.
"""

from __future__ import annotations

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, condition

#: Posts and grades are numbered from 1; 0 is the data model's "not placed on the scale".
FIRST_STEP = 1


def _placed(column, top) -> Tri:
    """Per staff row: whether a post or grade column is on the scale 1..top (unknown where missing)."""
    return Tri((column >= FIRST_STEP) & (column <= top), column >= 0)


@formula("jiangsu.staffing.salary_scale")
def salary_scale(c: CommunityInputs, p: Parameters) -> Outcome:
    """Every staff member is placed on the three-post eighteen-grade scale.

    Source: “健全“三岗十八级”薪酬体系”.
    Each staff member needs a ``post`` from 1 to ``salary_posts`` and a ``grade`` from 1 to
    ``salary_grades``. A 0 (not placed) fails; a missing post or grade is unknown (so the
    community is UNKNOWN unless another member surely fails). An empty staff list passes
    vacuously (nobody is off the scale); a missing staff list is UNKNOWN.
    """
    post = c.staff.column("post")
    grade = c.staff.column("grade")
    on_scale = _placed(post, p.salary_posts) & _placed(grade, p.salary_grades)
    off = ~on_scale
    result = c.staff.all(on_scale)
    n_off = c.staff.count(off.is_true)
    return condition(result, measured=n_off, required=0.0, inputs={
        "staff / 工作人员数": (c.staff_count(), "worker"),
        "staff off the scale / 未纳入薪酬体系人数": (n_off, "worker"),
    }, violations={"staff": off.is_true})
