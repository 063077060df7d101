"""The decision log: one JSON line per evaluation or explanation, never the dataset's content.

Each line is written with one ``write`` on a descriptor opened with ``O_APPEND`` and under an
exclusive ``flock``, so lines from several worker processes never interleave, and nothing is
buffered: a line is on its way to the disk when the request is answered.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

__all__ = ["DecisionLog", "verdict_counts"]


class DecisionLog:
    """An append-only JSON-lines file shared safely by several processes."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = os.fspath(path)
        # opened (and created) at once so that a bad path fails at start-up, not on the first request
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: dict[str, Any]) -> None:
        """Append *record* as one line (with the current UTC time first)."""
        line = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"), **record}
        data = (json.dumps(line, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
        try:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except (ImportError, OSError):  # no flock (Windows): O_APPEND alone keeps each write whole
            fcntl = None  # type: ignore[assignment]
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
        finally:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)


def verdict_counts(report: Any) -> dict[str, int]:
    """How many verdicts of each status *report* holds (the rows of its summary, added up)."""
    from .._vocab import Status

    columns = report.summary().columns
    return {s.value: int(sum(columns[s.value])) for s in Status}
