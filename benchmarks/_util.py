"""Timing and memory helpers for the benchmark steps (run inside the step's own process)."""

from __future__ import annotations

import gc
import resource
import time
import tracemalloc
from contextlib import contextmanager
from typing import Iterator


def rss_peak_mb() -> float:
    """This process's peak resident memory so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def measure(out: dict, key: str, *, memory: bool = False) -> Iterator[None]:
    """Record wall time (``<key>_s``) and, with *memory*, the peak of new allocations (``<key>_alloc_mb``)."""
    gc.collect()
    if memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    try:
        yield
    finally:
        out[f"{key}_s"] = round(time.perf_counter() - t0, 3)
        if memory:
            out[f"{key}_alloc_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
