"""The inputs a rule may declare itself monotone in: ``@formula(..., increasing=[...], decreasing=[...])``.

One list, used by the policy loader (an unknown name is a :class:`~shequ_gov.PolicyError` when
the policy loads) and by the conformance kit (which has one perturbation per name, see
:data:`shequ_gov.testing.PERTURBATIONS`).

- every numeric community field by its flat path (``"households"``, ``"funding.operating"``,
  ``"burden.admin_work_share"``), from the interchange schema;
- the numeric fields of staff and task records (``"staff.monthly_pay"``), from the schema;
- ``"staff.count"`` (one more staff member), ``"staff.certified"`` (one more certified social
  worker), ``"region.average_annual_wage"``;
- ``"facility_area:<kind>"`` (the area of the facilities of a kind of the facility vocabulary) and
  ``"tasks:<kind>"`` (one more task of that kind, the community responsible for it).
"""

from __future__ import annotations

import difflib

from . import _schema as S
from ._vocab import FACILITY_KINDS

__all__ = ["CHILD_NUMERIC_INPUTS", "MONOTONE_INPUTS", "NUMERIC_INPUTS", "RECORD_INPUTS", "input_problem"]

#: Numeric community fields (flat paths of the interchange format, top-level fields first), with
#: their schema kind.
NUMERIC_INPUTS: dict[str, str] = {p: f.kind for p, f in
                                  [(p, f) for p, f in S.COMMUNITY_COLUMNS if f.numeric and "." not in p]
                                  + [(p, f) for p, f in S.COMMUNITY_COLUMNS if f.numeric and "." in p]}
#: Numeric fields of child records (``staff.monthly_pay``) → (table, field).
CHILD_NUMERIC_INPUTS: dict[str, tuple[str, str]] = {
    f"{name}.{f.name}": (name, f.name) for name, ch in S.CHILDREN.items() for f in ch.record.scalars
    if f.numeric and name != "facilities"}
#: Inputs about the records of a community or its regions, perturbed by adding a record or raising a value.
RECORD_INPUTS = ("staff.count", "staff.certified", "region.average_annual_wage")
#: Every name a monotonicity declaration may use (``<kind>`` stands for a key).
MONOTONE_INPUTS: tuple[str, ...] = (tuple(NUMERIC_INPUTS) + ("facility_area:<kind>",) + tuple(CHILD_NUMERIC_INPUTS)
                                    + ("staff.count", "staff.certified", "tasks:<kind>", "region.average_annual_wage"))


def input_problem(name: object) -> str | None:
    """What is wrong with *name* as a monotone input, or ``None`` if it is one."""
    if not isinstance(name, str):
        return f"expected an input name (a string), got {name!r}"
    if name in NUMERIC_INPUTS or name in CHILD_NUMERIC_INPUTS or name in RECORD_INPUTS:
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
    hint = difflib.get_close_matches(name, list(NUMERIC_INPUTS) + list(CHILD_NUMERIC_INPUTS) + list(RECORD_INPUTS),
                                     n=1)
    return f"unknown input {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
