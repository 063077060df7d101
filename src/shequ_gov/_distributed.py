"""Beyond one machine: evaluation partition by partition on a Dask cluster, and the Dask client.

A dataset is split by province (each province with everything under it is a valid tree, and no
rule looks across provinces: region-level rules aggregate communities into their own regions).
Each partition is evaluated as one Dask task by the engine itself; the client stitches the
per-partition verdicts back together in code order, into the same :class:`~shequ_gov.Report` —
byte for byte the same JSON — that a single-process evaluation gives. Sweeps use
:func:`client_for` too (see ``_scenario``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import numpy as np

from ._dataset import Dataset
from ._engine import run_policies
from ._verdict import Block
from ._policy import Policy
from ._vocab import Level

__all__ = ["client_for", "evaluate_partitioned", "scattered"]

_CHILD_TABLES = ("facilities", "staff", "tasks")


def client_for(scheduler: Any) -> tuple[Any, bool]:
    """A ``distributed.Client`` for *scheduler* (a Client, or a scheduler's address), and whether
    the caller opened it (and so must close it)."""
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("running on a Dask cluster needs Dask: pip install 'shequ-gov[dask]'") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    if isinstance(scheduler, str):
        return Client(scheduler), True
    raise TypeError(f"scheduler must be a dask.distributed.Client or a scheduler address such as "
                    f"'tcp://127.0.0.1:8786', got {type(scheduler).__name__}")


#: Datasets already sent to a cluster: (client id, dataset id) → (weak reference, future). A dataset is
#: sent once per client, whatever the number of sweeps; hashing it (dask's default) would cost more
#: than sending it.
_SENT: dict[tuple[int, int], tuple[Any, Any]] = {}


def scattered(client: Any, ds: Dataset, *, broadcast: bool = True) -> Any:
    """A future of *ds* on the cluster of *client*, sent (to every worker) only the first time."""
    import weakref

    key = (id(client), id(ds))
    hit = _SENT.get(key)
    if hit is not None and hit[0]() is ds and hit[1].status == "finished" and hit[1].client is client:
        return hit[1]
    future = client.scatter(ds, broadcast=broadcast, hash=False)
    _SENT[key] = (weakref.ref(ds, lambda _r, k=key: _SENT.pop(k, None)), future)
    return future


def provinces(dataset: Dataset) -> list[Dataset]:
    """*dataset* split into one dataset per province, in code order."""
    from ._codes import SCALE

    st = dataset._st
    codes = st.regions["code"][st.regions["depth"] == Level.PROVINCE.depth]
    return [dataset.subtree(f"{c // SCALE[0]:02d}") for c in np.sort(codes).tolist()]


def _evaluate_part(part: Any, pols: list[Policy], day: dt.date, mode: str) -> dict[str, Any]:
    """One Dask task: the blocks of every rule on one partition (a Dataset, or a path to read)."""
    from .rules import CommunityInputs

    if isinstance(part, Dataset):
        ds = part
    else:  # (directory, province code): the worker reads its own partition of a partitioned Parquet dataset
        from ._arrow import read_parquet

        ds = Dataset(read_parquet(part[0], province=part[1]))
    inputs = CommunityInputs(ds._st)
    blocks = run_policies(ds, pols, day, mode, inputs)
    inputs.release()
    st = ds._st
    children = {"facilities": st.facilities, "staff": st.staff, "tasks": st.tasks, **st.tags}
    return {"n": len(ds), "children": {k: len(v) for k, v in children.items()},
            "blocks": [(b.codes, b.included, b.status, b.outcome, b.error, b.seconds,
                        getattr(b, "parameters_read", None)) for b in blocks]}


def evaluate_partitioned(scheduler: Any, dataset: Dataset, parts: Sequence[Any], pols: list[Policy],
                         day: dt.date, mode: str) -> "Any":
    """Evaluate *parts* (province partitions of *dataset*: datasets, or paths the workers read) as
    Dask tasks and combine their verdicts into one :class:`~shequ_gov.Report` over *dataset*."""
    from ._report import Report

    client, own = client_for(scheduler)
    try:
        inputs = [client.scatter(p, hash=False) if isinstance(p, Dataset) else p for p in parts]
        futures = [client.submit(_evaluate_part, p, pols, day, mode, pure=False) for p in inputs]
        results = client.gather(futures)
    finally:
        if own:
            client.close()
    rules = [(r, p) for p in pols for r in p.rules]
    blocks = [_merge(rule, pol, [res["blocks"][i] for res in results], results)
              for i, (rule, pol) in enumerate(rules)]
    for b in blocks:
        _check_codes(b, dataset)
    return Report(dataset, pols, blocks, day, mode)


def _merge(rule: Any, pol: Policy, pieces: list[tuple], results: list[dict[str, Any]]) -> Block:
    """One rule's block over the whole dataset from its blocks over the partitions (in code order)."""
    codes = np.concatenate([p[0] for p in pieces])
    included = np.concatenate([p[1] for p in pieces])
    status = np.concatenate([p[2] for p in pieces])
    errors = [p[4] for p in pieces if p[4]]
    outcome = _merge_outcomes([p[3] for p in pieces], [len(p[0]) for p in pieces],
                              [r["children"] for r in results])
    block = Block(rule, pol, rule.level, codes, included, status, outcome, errors[0] if errors else None,
                  float(sum(p[5] for p in pieces)), None)
    reads = [p[6] for p in pieces if p[6] is not None]  # the parameters read where the rule ran
    block.parameters_read = tuple(dict.fromkeys(n for r in reads for n in r)) if reads else None
    return block


def _merge_outcomes(outcomes: list[Any], lengths: list[int], children: list[dict[str, int]]) -> Any:
    """The outcomes of one rule on each partition as one outcome over all of them.

    A partition where the rule did not run (nothing applicable there) contributes missing numbers:
    its verdicts are all NOT_APPLICABLE, so no number of it is ever shown.
    """
    from .rules import Outcome, Tri

    ran = [o for o in outcomes if o is not None]
    if not ran:
        return None
    first = ran[0]

    def column(get: Any) -> np.ndarray | None:
        if all(get(o) is None for o in ran):
            return None
        parts = []
        for o, n in zip(outcomes, lengths):
            v = get(o) if o is not None else None
            parts.append(np.full(n, np.nan) if v is None else np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)))
        return np.concatenate(parts)

    if any(o.result is None for o in ran):  # compacted by the engine: the status column holds it
        result = None
    else:
        result = Tri(np.concatenate([o.result.value if o is not None else np.zeros(n, bool)
                                     for o, n in zip(outcomes, lengths)]),
                     np.concatenate([o.result.known if o is not None else np.zeros(n, bool)
                                     for o, n in zip(outcomes, lengths)]))
    out = Outcome(result, measured=column(lambda o: o.measured), required=column(lambda o: o.required),
                  unit=first.unit, op=first.op, indicator=first.indicator, note=first.note)
    out.low = column(lambda o: o.low)
    out.high = column(lambda o: o.high)
    for label, (_arr, unit) in first.inputs.items():
        out.inputs[label] = (column(lambda o, k=label: o.inputs[k][0] if k in o.inputs else None), unit)
    for table in first.violations:
        out.violations[table] = np.concatenate([
            np.asarray(o.violations[table], bool) if o is not None and table in o.violations else
            np.zeros(c.get(table, 0), bool) for o, c in zip(outcomes, children)])
    return out


def _check_codes(b: Block, dataset: Dataset) -> None:
    # the partitions must cover the dataset exactly, in code order: otherwise rows would not line up
    n = len(dataset) if b.level is Level.COMMUNITY else dataset.level_counts()[b.level]
    if len(b.codes) != n or (len(b.codes) > 1 and not bool((b.codes[1:] > b.codes[:-1]).all())):
        raise ValueError(f"the partitions do not cover the dataset exactly: rule {b.rule.id} has {len(b.codes):,} "
                         f"{b.level.value} verdicts for {n:,} {b.level.value} units")

