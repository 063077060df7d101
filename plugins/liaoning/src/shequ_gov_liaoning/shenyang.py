"""Liaoning: Shenyang's caps on ledgers, stamped certificates and inspections (三项清单).

Three rules with ``scope = "2101"`` in policy.toml: the engine judges only Shenyang's
communities with them (every community in what-if mode); the functions do not check the scope.
Shenyang cut the city's three lists to 22 ledgers, 22 stamped certificates and 10 inspections
and appraisals; each cap is read as the most a single community may be asked for. The source
gives no start date ("近两年", the last two years), so the rules start on the document's date.
"""

from __future__ import annotations

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_most


@formula("liaoning.shenyang.ledgers", decreasing=["burden.ledgers"])
def ledgers(c: CommunityInputs, p: Parameters) -> Outcome:
    """A Shenyang community keeps no more ledgers (台账) than the cap.

    Source: "将居(村)民委员会台账274项减至22项". Passes when ``burden.ledgers`` ≤
    ``shenyang_max_ledgers`` (22); the cap itself passes. The list is the residents' and
    villagers' committees' (居(村)民委员会), so every area type is covered.
    """
    n = c.number("burden.ledgers")
    return at_most(n, p.shenyang_max_ledgers, unit="", inputs={"ledgers kept / 台账数": (n, "")})


@formula("liaoning.shenyang.certificates", decreasing=["burden.certificates"])
def certificates(c: CommunityInputs, p: Parameters) -> Outcome:
    """A Shenyang community stamps no more kinds of certificate (盖章证明) than the cap.

    Source: "盖章证明由81项减至22项". Passes when ``burden.certificates`` (the kinds of
    certificate the community stamps) ≤ ``shenyang_max_certificates`` (22).
    """
    n = c.number("burden.certificates")
    return at_most(n, p.shenyang_max_certificates, unit="", inputs={
        "kinds of certificate stamped / 盖章证明项数": (n, "")})


@formula("liaoning.shenyang.inspections", decreasing=["burden.inspections"])
def inspections(c: CommunityInputs, p: Parameters) -> Outcome:
    """A Shenyang community faces no more inspections and appraisals (检查评比) than the cap.

    Source: "检查评比由21项减至10项". Passes when ``burden.inspections`` ≤
    ``shenyang_max_inspections`` (10).
    """
    n = c.number("burden.inspections")
    return at_most(n, p.shenyang_max_inspections, unit="", inputs={
        "inspections and appraisals / 检查评比项数": (n, "")})
