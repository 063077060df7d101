"""Small report tables: :class:`Table` (columns, rows, CSV, plain-text rendering)."""

from __future__ import annotations

import csv
import io
import os
from typing import Any, Iterator

import numpy as np

from ._io import atomic_write
from ._policy import _fmt_number

__all__ = ["Table"]


class Table:
    """A small column store for report tables: ``.columns`` (name → list or array), ``.rows()``, CSV.

    Iterating gives one dict per row; ``len()`` is the number of rows. Convert to pandas with
    ``pandas.DataFrame(table.columns)`` if you have it.
    """

    def __init__(self, columns: dict[str, Any]):
        self.columns = columns

    def __len__(self) -> int:
        """The number of rows."""
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The rows, as dicts."""
        return self.rows()

    def rows(self) -> Iterator[dict[str, Any]]:
        """The rows, one dict each (column name → value), in order."""
        names = list(self.columns)
        cols = [c.tolist() if isinstance(c, np.ndarray) else list(c) for c in self.columns.values()]
        for values in zip(*cols):
            yield dict(zip(names, values))

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """The table as CSV (returned as text when *path* is None, else written atomically)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        for row in self.rows():
            w.writerow(["" if v is None or (isinstance(v, float) and v != v) else _csv_num(v) for v in row.values()])
        text = buf.getvalue()
        if path is None:
            return text
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))
        return None

    def __repr__(self) -> str:
        return self.format(limit=20)

    def format(self, limit: int | None = None) -> str:
        """A plain-text rendering (the first *limit* rows)."""
        names = list(self.columns)
        rows = []
        for i, r in enumerate(self.rows()):
            if limit is not None and i >= limit:
                break
            rows.append([_rate(v) if k.endswith("rate") or k.endswith("share") else _cell(v) for k, v in r.items()])
        widths = [max([_w(n)] + [_w(r[j]) for r in rows]) for j, n in enumerate(names)]
        line = lambda cells: "  ".join(_pad(c, w) for c, w in zip(cells, widths))  # noqa: E731
        out = [line(names), line(["-" * w for w in widths])] + [line(r) for r in rows]
        if limit is not None and len(self) > limit:
            out.append(f"… {len(self) - limit} more rows")
        return "\n".join(out)


def _csv_num(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return f"{v:.1%}" if 0 <= v <= 1 and not v.is_integer() else _fmt_number(v)
    return str(v)


def _rate(v: Any) -> str:
    return "" if v is None or v != v else f"{v:.1%}"


def _w(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _w(s))
