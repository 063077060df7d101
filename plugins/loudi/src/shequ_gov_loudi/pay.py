"""The base-pay rule of 婁民復字〔2018〕10號: monthly minimum of chiefs, deputies and committee members."""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, compare, no_violations

#: Role groups of the sentence (正職, 副職, 委員) and the parameter holding each group's floor.
ROLE_GROUPS = (
    (("secretary", "director"), "base_pay_min_chief"),
    (("deputy_secretary", "deputy_director"), "base_pay_min_deputy"),
    (("committee_member",), "base_pay_min_member"),
)


@formula("loudi.pay.base", increasing=["staff.monthly_pay"], decreasing=["staff.certified"])
def base(c: CommunityInputs, p: Parameters) -> Outcome:
    """將全市社區黨組織和社區居委會成員的基本報酬提高到正職1500元/月、副職1400元/月、委員1200元/月.

    Passes when every member of the party organisation and the residents' committee earns at
    least the monthly floor of the highest role held: 正職 (secretary or director)
    ``base_pay_min_chief``, 副職 (deputy secretary or deputy director) ``base_pay_min_deputy``,
    委員 (committee member) ``base_pay_min_member``. A member holding several roles is held to the
    highest of their floors. Staff who hold only the ``worker`` role (or no role) are not covered;
    a community whose staff are all uncovered passes. Each member below the floor offends and is
    named; a covered member whose pay is missing makes the verdict UNKNOWN unless another member
    surely offends. ``monthly_pay`` is read as the base pay (基本报酬).
    """
    pay = c.staff.column("monthly_pay")
    groups = sorted(ROLE_GROUPS, key=lambda group: p[group[1]])  # by floor, the lowest first
    held = np.zeros(len(c.staff), np.uint8)  # per member: 1 + the position of the highest group held, 0 none
    for k, (roles, _name) in enumerate(groups, 1):
        np.maximum(held, c.staff_has_role(*roles) * np.uint8(k), out=held)
    floors = np.array([np.nan, *(p[name] for _roles, name in groups)])
    covered = ~np.isnan(floors)[held]
    # each member's pay against the floor of their group: one comparison of the pay column per floor,
    # not a column of floors (at a million communities a float column of the staff is 36 MB)
    value, known = np.zeros(len(c.staff), bool), np.zeros(len(c.staff), bool)
    for k in range(1, len(floors)):
        reaches, in_group = compare(pay, floors[k], ">="), held == k
        value |= in_group & reaches.value
        known |= in_group & reaches.known
    meets = Tri(value, known)
    offending = Tri(covered & meets.is_false, ~covered | meets.known)
    return no_violations("staff", offending, c.staff, inputs={
        "committee members covered / 两委成员人数": (c.staff.count(covered), ""),
        "lowest pay of a covered member / 两委成员最低月报酬": (c.staff.min(pay, covered), "yuan/month"),
    }, note=(f"floors / 标准: 正职 {p.base_pay_min_chief:g}, 副职 {p.base_pay_min_deputy:g}, "
             f"委员 {p.base_pay_min_member:g} yuan/month"))
