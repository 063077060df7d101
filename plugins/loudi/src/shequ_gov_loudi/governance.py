"""The 三位一体 rule: party organisation, residents' committee and service centre all exist."""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, Tri, condition
from shequ_gov.vocab import BODIES, FACILITY_KINDS

from ._helpers import as_float, keys_present


def _term(key: str):
    return BODIES.term(key) if key in BODIES else FACILITY_KINDS.term(key)


def _parts(c, keys) -> list[Tri]:
    """Whether each community has each part: a body (``bodies``) where the key names one, else a facility."""
    for key in keys:
        if key not in BODIES and key not in FACILITY_KINDS:
            raise ValueError(f"three_in_one_components: {key!r} is neither a key of bodies nor a facility kind")
    bodies = [k for k in keys if k in BODIES]
    places = [k for k in keys if k not in BODIES]
    has_body = keys_present(c, c.bodies, bodies, "key")
    has_place = keys_present(c, c.facilities, places)
    found = {k: Tri(has_body[:, j], c.bodies.known) for j, k in enumerate(bodies)}
    found |= {k: Tri(has_place[:, j], c.facilities.known) for j, k in enumerate(places)}
    return [found[k] for k in keys]


@formula("loudi.governance.three_in_one")
def three_in_one(c: CommunityInputs, p: Parameters) -> Outcome:
    """建立健全社區黨組織、社區居委會、社區服務中心“三位一體”的治理機制.

    Passes when every part of ``three_in_one_components`` exists: ``party_org`` and
    ``residents_committee`` among the community's ``bodies``, and a facility of kind
    ``service_center`` (the centre is a place, a facilities kind, not a body; its plaque is not
    taken as proof). In Kleene logic: one part surely missing fails even if another list is
    missing. The measured value is how many parts are there (empty where the verdict is UNKNOWN).
    """
    parts = _parts(c, p.three_in_one_components)
    result = parts[0]
    for t in parts[1:]:
        result = result & t
    present = np.where(result.known, sum(t.is_true.astype(np.float64) for t in parts), np.nan)
    inputs = {f"{_term(k).en} (1 yes, 0 no) / {_term(k).zh}": (as_float(t), "")
              for k, t in zip(p.three_in_one_components, parts)}
    return condition(result, measured=present, required=float(len(parts)), unit="", inputs=inputs,
                     note="三位一体: " + "、".join(_term(k).zh for k in p.three_in_one_components))
