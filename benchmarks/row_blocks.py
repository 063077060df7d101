"""Community-level rules over blocks of rows: the alternative to whole columns that the ``row_blocks``
benchmark measures (issue #17, item 2).

A block is a run of consecutive communities with their records: views of the dataset's columns,
each child table cut at the block's offsets and its owner rows renumbered from 0 (the only copy).
Regions stay whole, so ancestors' fields read as usual. A rule function runs on each block's
:class:`~shequ_gov.rules.CommunityInputs`; :func:`joined` puts the blocks' outcomes back together
as the one outcome a run over the whole columns gives (verdicts, numbers, violation masks): the
work the engine would add to run rules this way.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _child_rows(child: Any, a: int, b: int) -> Any:
    from shequ_gov._columns import Child

    oa, ob = int(child.offsets[a]), int(child.offsets[b])
    return Child(child.owner[oa:ob] - child.owner.dtype.type(a), child.offsets[a:b + 1] - oa,
                 {k: v[oa:ob] for k, v in child.cols.items()}, child.strings)


def block_store(st: Any, a: int, b: int) -> Any:
    """Communities ``a:b`` of the store *st* with their records, as a store of views."""
    from shequ_gov._columns import Store

    sa, sb = int(st.staff.offsets[a]), int(st.staff.offsets[b])
    return Store(st.regions, {k: v[..., a:b] for k, v in st.communities.items()},
                 _child_rows(st.facilities, a, b), _child_rows(st.staff, a, b), _child_rows(st.ratings, sa, sb),
                 _child_rows(st.tasks, a, b), {k: _child_rows(v, a, b) for k, v in st.tags.items()})


def block_inputs(st: Any, rows: int) -> list[Any]:
    """The inputs of consecutive blocks of at most *rows* communities covering the store."""
    from shequ_gov.rules import CommunityInputs

    n = st.n_communities
    k = max(1, -(-n // rows))
    cuts = [i * n // k for i in range(k + 1)]
    return [CommunityInputs(block_store(st, a, b)) for a, b in zip(cuts[:-1], cuts[1:])]


def _join(parts: list[Any], sizes: list[int]) -> np.ndarray | None:
    if parts[0] is None:
        return None
    arrays = [np.asarray(p) for p in parts]
    if all(a.ndim == 0 for a in arrays) and all(a.tobytes() == arrays[0].tobytes() for a in arrays[1:]):
        return arrays[0]  # one number for every block (a threshold): kept as that number, as the engine keeps it
    out = np.empty(sum(sizes), dtype=np.result_type(*arrays))
    a = 0
    for p, size in zip(parts, sizes):
        out[a:a + size] = p  # (a number stands for its whole block)
        a += size
    return out


def joined(pieces: list[Any]) -> Any:
    """One outcome over every community from a rule's outcomes over consecutive blocks of them."""
    from shequ_gov.rules import Outcome, Tri

    first = pieces[0]
    sizes = [len(o.result) for o in pieces]
    out = Outcome(Tri(np.concatenate([o.result.value for o in pieces]),
                      np.concatenate([o.result.known for o in pieces])),
                  measured=_join([o.measured for o in pieces], sizes), required=_join([o.required for o in pieces], sizes),
                  unit=first.unit, op=first.op, indicator=first.indicator, note=first.note)
    out.low = _join([o.low for o in pieces], sizes)
    out.high = _join([o.high for o in pieces], sizes)
    out.inputs = {k: (_join([o.inputs[k][0] for o in pieces], sizes), unit) for k, (_, unit) in first.inputs.items()}
    out.violations = {t: np.concatenate([np.asarray(o.violations[t]) for o in pieces]) for t in first.violations}
    return out
