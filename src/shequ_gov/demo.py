"""``make demo``: load the real division list of China and show what the library sees.

Run as ``python -m shequ_gov.demo [PATH]``; PATH defaults to ``../shared/data/cn_divisions_2023.csv.gz``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ._dataset import Dataset
from ._vocab import Level

DEFAULT = Path("..") / "shared" / "data" / "cn_divisions_2023.csv.gz"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT
    if not path.exists():
        print(f"demo: the division list is not at {path}; pass its path as the first argument", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    ds = Dataset.read(path)
    took = time.perf_counter() - t0
    print(f"Loaded {path} in {took:.1f} s\n")
    print(f"{'level':<12}{'级别':<14}{'units':>10}")
    for level, n in ds.level_counts().items():
        print(f"{level.value:<12}{level.zh:<14}{n:>10,}")
    code = "210203"
    district = ds.region(code)
    print(f"\nThe subtree of {district.name} ({district.code}), {' / '.join(a.name for a in reversed(ds.ancestors(code)))}:")
    for street in ds.children(code):
        comms = ds.children(street.code)
        print(f"  {street.code} {street.name} — {len(comms)} communities")
        for c in comms[:3]:
            kind = c.area_type.label if c.area_type is not None else "area type unknown / 类型未知"
            print(f"    {c.code} {c.name} ({kind})")
        if len(comms) > 3:
            print(f"    … {len(comms) - 3} more")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
