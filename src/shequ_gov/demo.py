"""``make demo``: what the library does, end to end, in a few seconds.

1. Evaluate the small example dataset shipped with the package (60 synthetic communities in the
   five first-party jurisdictions) against every installed policy, and print the summary.
2. Explain one failed verdict, with its numbers, parameters and source sentence.
3. Load the real five-level division list of China (when ``../shared/data`` is there) and show the
   units per level and the subtree of Xigang district.

Run as ``python -m shequ_gov.demo [DIVISIONS_PATH]``.
"""

from __future__ import annotations

import sys
import time
from importlib import resources
from pathlib import Path

DEFAULT = Path("..") / "shared" / "data" / "cn_divisions_2023.csv.gz"
AS_OF = "2024-06-30"


def _rule(title: str) -> None:
    print(f"\n{title}\n{'=' * len(title)}")


def main(argv: list[str] | None = None) -> int:
    import shequ_gov as sg

    args = sys.argv[1:] if argv is None else argv
    example = resources.files("shequ_gov").joinpath("examples/example.json")
    with resources.as_file(example) as path:
        ds = sg.Dataset.read(path)
    names = sg.policies.available()
    _rule(f"1. The example dataset against {len(names)} installed policies, as of {AS_OF}")
    print(f"{ds!r}\npolicies: {', '.join(names) or 'none installed'}")
    if names:
        t0 = time.perf_counter()
        report = sg.evaluate(ds, as_of=AS_OF)
        took = time.perf_counter() - t0
        print(f"{len(report):,} verdicts in {took * 1000:.0f} ms\n")
        print(report.summary().format())
        fails = [r for r in report.findings.rows() if r["status"] == "fail" and r["level"] == "community"]
        if fails:
            f = fails[0]
            _rule(f"2. Why {f['code']} fails {f['rule']}")
            print(report.explain(f["code"], f["rule"]))
    path = Path(args[0]) if args else DEFAULT
    _rule("3. The real division list of China")
    if not path.exists():
        print(f"(not found at {path}; pass its path as the first argument)")
        return 0
    t0 = time.perf_counter()
    china = sg.Dataset.read(path)
    print(f"loaded {path} in {time.perf_counter() - t0:.1f} s\n")
    print(f"{'level':<12}{'units':>10}  级别")
    for level, n in china.level_counts().items():
        print(f"{level.value:<12}{n:>10,}  {level.zh}")
    code = "210203"
    district = china.region(code)
    chain = " / ".join(a.name for a in reversed(china.ancestors(code)))
    print(f"\n{district.name} ({district.code}), in {chain}:")
    for street in china.children(code):
        comms = china.children(street.code)
        print(f"  {street.code} {street.name} — {len(comms)} communities, e.g. {comms[0].name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
