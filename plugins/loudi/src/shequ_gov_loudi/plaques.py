"""The plaques rule: only the party organisation, residents' committee and service centre outside."""

from __future__ import annotations

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, no_violations
from shequ_gov.vocab import PLAQUES


@formula("loudi.plaques.only_three")
def only_three(c: CommunityInputs, p: Parameters) -> Outcome:
    """社區對外只掛社區黨組織、社區居民委員會、社區服務中心等3個組織機構牌匾,其他各類組織一律不再單獨對外掛牌.

    Passes when every plaque hung outside is one of ``allowed_plaques``. The plaque list is an open
    vocabulary: any other key (``collective_economic_org``…) or free string (“老年协会”) is another
    organisation's plaque and offends; each is named in the explanation. An empty list passes
    (whether the three are there is the concern of loudi.governance.three_in_one); a missing
    list is UNKNOWN. The 等3個 closes the list: 等 here ends an enumeration of exactly three.
    """
    offending = Tri(c.tags_outside("plaques", p.allowed_plaques))
    return no_violations("plaques", offending, c.plaques, inputs={
        "plaques outside / 对外牌匾数": (c.plaques.count(), ""),
    }, note="allowed / 允许: " + "、".join(PLAQUES.term(k).zh for k in p.allowed_plaques))
