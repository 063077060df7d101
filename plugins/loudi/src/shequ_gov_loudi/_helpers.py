"""Vectorised helpers the Loudi formulas share and ``shequ_gov.rules`` does not (yet) provide.

Nothing here knows a threshold: every number comes from the caller (from ``p.<parameter>``).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from shequ_gov.rules import Outcome, Tri

__all__ = ["as_float", "child_min", "judged", "keys_present", "run_lengths"]


def judged(result: Tri, measured: Any, required: Any, *, op: str, unit: str = "",
           inputs: Mapping[str, tuple[np.ndarray, str]] | None = None, note: str = "") -> Outcome:
    """An outcome whose verdict is computed in three-valued logic but reads as ``measured op required``.

    ``at_least``/``at_most`` derive the verdict from one comparison, which turns unknown wherever
    ``required`` is unknown. Where the verdict is known even though the exact requirement is not
    (an area of 620 m² meets both the 400 and the 600 m² standard), the rule computes *result* with
    :class:`~shequ_gov.rules.Tri` and reports the comparison it rests on, so that explanations
    still show "measured ≥ required" and the shortfall.
    """
    return Outcome(result, measured=np.asarray(measured, dtype=np.float64), required=required, unit=unit, op=op,
                   inputs=inputs, note=note)


def as_float(t: Tri) -> np.ndarray:
    """A Tri as 1.0 / 0.0 / NaN, for the inputs shown in explanations."""
    return np.where(t.known, t.value.astype(np.float64), np.nan)


def child_min(child: Any, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per community: the smallest of *values* over its records matching *mask* (NaN where none or unknown)."""
    return child.min(values, mask)


def keys_present(c: Any, child: Any, keys: Sequence[str], column: str = "kind") -> np.ndarray:
    """Per community and listed key: whether one of its records of *child* has that key.

    A bool matrix of shape (communities, len(keys)); rows of communities whose list is missing are
    all False: combine with ``child.known``. The core computes it in one cached pass.
    """
    return child.keys_present(keys, column)


def run_lengths(owner: np.ndarray, year: np.ndarray) -> np.ndarray:
    """For each row of an (owner, year)-sorted table of flagged rows (say, incompetent ratings): how
    many consecutive years, ending with this row's year, its owner has rows.

    A run continues from one row to the next when both belong to the same owner and their years
    differ by exactly one; a missing year breaks it. Because years are unique per owner and the
    full table is sorted the same way, two flagged ratings one year apart are neighbours here too,
    so the caller can pass only the (few) flagged rows.
    """
    n = len(owner)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cont = np.zeros(n, dtype=bool)
    cont[1:] = (owner[1:] == owner[:-1]) & (year[1:].astype(np.int64) == year[:-1].astype(np.int64) + 1)
    idx = np.arange(n, dtype=np.int64)
    start = np.maximum.accumulate(np.where(cont, 0, idx))
    return idx - start + 1
