"""The inputs a rule may declare itself monotone in: ``@formula(..., increasing=[...], decreasing=[...])``.

One list, used by the policy loader (an unknown name is a :class:`~shequ_gov.PolicyError` when
the policy loads) and by the conformance kit (which has one perturbation per name, see
:data:`shequ_gov.testing.PERTURBATIONS`).

- every numeric community field by its flat path (``"households"``, ``"funding.operating"``,
  ``"burden.admin_work_share"``), from the interchange schema;
- ``"staff.count"`` (one more staff member), ``"staff.monthly_pay"``, ``"staff.certified"`` (one more
  certified social worker), ``"region.average_annual_wage"``;
- ``"facility_area:<kind>"`` (the area of the facilities of a kind of the facility vocabulary) and
  ``"tasks:<kind>"`` (one more task of that kind, the community responsible for it).
"""

from __future__ import annotations

import difflib

from . import _schema as S
from ._vocab import FACILITY_KINDS

__all__ = ["MONOTONE_INPUTS", "NUMERIC_INPUTS", "RECORD_INPUTS", "input_problem"]

#: Numeric community fields (flat paths of the interchange format), with their schema kind.
NUMERIC_INPUTS: dict[str, str] = {p: f.kind for p, f in S.COMMUNITY_COLUMNS if f.kind in ("count", "quantity", "share")}
#: Inputs about the records of a community or its regions.
RECORD_INPUTS = ("staff.count", "staff.monthly_pay", "staff.certified", "region.average_annual_wage")
#: Every name a monotonicity declaration may use (``<kind>`` stands for a key).
MONOTONE_INPUTS: tuple[str, ...] = tuple(NUMERIC_INPUTS) + RECORD_INPUTS + ("facility_area:<kind>", "tasks:<kind>")


def input_problem(name: object) -> str | None:
    """What is wrong with *name* as a monotone input, or ``None`` if it is one."""
    if not isinstance(name, str):
        return f"expected an input name (a string), got {name!r}"
    if name in NUMERIC_INPUTS or name in RECORD_INPUTS:
        return None
    head, sep, kind = name.partition(":")
    if sep and head == "facility_area":
        try:
            FACILITY_KINDS.check(kind)
        except ValueError as exc:
            return f"in {name!r}: {exc}"
        return None
    if sep and head == "tasks":
        return None if kind.strip() else f"{name!r} names no task kind"
    hint = difflib.get_close_matches(name, list(NUMERIC_INPUTS) + list(RECORD_INPUTS), n=1)
    return f"unknown input {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
