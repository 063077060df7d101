"""An opt-in process setting: let glibc's malloc keep large freed blocks for reuse."""

from __future__ import annotations

__all__ = ["reuse_freed_memory"]

_DONE: list[bool] = []


def reuse_freed_memory() -> bool:
    """Let glibc's malloc keep large freed blocks for reuse; ``True`` if the setting was made.

    numpy allocates every temporary of a column operation afresh. Above glibc's mmap threshold
    (128 KB, rising by itself to at most 32 MB) each one is a new mapping whose pages fault in on
    first touch: about 90,000 page faults per evaluation of a million communities, a fifth of its
    time, and the reason evaluation time grows faster than the data. With the threshold at 256 MB
    and the heap trimmed only above 512 MB free, the temporaries of one rule reuse the pages of
    the previous one's.

    This changes the whole process, so the library never does it by itself: the ``shequ-gov``
    command line and the benchmarks call it at start; a program of yours that evaluates large
    datasets repeatedly may call it once too. The cost: the process keeps up to 512 MB of freed
    memory for its next allocations instead of returning it at once. Elsewhere than Linux with
    glibc it does nothing and returns ``False``; calling it again does nothing more.
    """
    if _DONE:
        return _DONE[0]
    import platform

    ok = False
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        import ctypes

        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):  # pragma: no cover - a glibc without mallopt
            mallopt = None
        if mallopt is not None:
            m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
            ok = bool(mallopt(m_mmap_threshold, 256 << 20)) and bool(mallopt(m_trim_threshold, 512 << 20))
    _DONE.append(ok)
    return ok
