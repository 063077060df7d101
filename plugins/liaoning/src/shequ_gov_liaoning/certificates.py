"""Liaoning: certificates communities no longer issue (证明事项清理).

One rule, from 辽政办发〔2018〕31号 as the 2020 reply cites it. The data carries the count of
permanently cancelled certificates a community still issues (``burden.cancelled_certificates_issued``);
the list itself (41 items) is the parameter ``permanently_cancelled_certificates``, kept for
reference and explanations.
"""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_most

#: "Permanently cancelled" allows none: a structural zero, not a threshold of the source.
NONE_ALLOWED = 0.0


@formula("liaoning.certificates.cancelled", decreasing=["burden.cancelled_certificates_issued"])
def cancelled(c: CommunityInputs, p: Parameters) -> Outcome:
    """The community issues none of the certificates cancelled province-wide.

    Source: "永久性取消了41项由社区出具的有关证明". Passes when the count of those certificates
    the community still issues is zero; UNKNOWN where the count is missing. The 92 certificate
    items that were 规范取消 (regularised) are not encoded.
    """
    issued = c.number("burden.cancelled_certificates_issued")
    return at_most(issued, NONE_ALLOWED, unit="", inputs={
        "cancelled certificates still issued / 仍出具的已取消证明": (issued, ""),
        "certificates permanently cancelled province-wide / 全省永久性取消的证明": (
            np.full(c.n, float(p.permanently_cancelled_certificates)), ""),
    })
