"""Run the benchmarks: ``python -m benchmarks [NAME ...]`` (``make bench``).

Each benchmark runs in a fresh process on one thread (numpy's BLAS pools set to 1); results are
merged into ``benchmarks/results.json`` and compared with the targets of DESIGN.md and the issues.
The run fails (exit 1) if a step crashes or any verdict of a benchmarked evaluation is ERROR:
a timing that counts a broken rule is not a measurement. On a shared machine run it as
``flock /tmp/national.lock make bench`` so that national runs never overlap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ._steps import STEPS

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

#: (result path, comparison, target, description) — DESIGN.md's floors.
TARGETS = [
    ("load_divisions.load_s", "<=", 10, "load the real division list (s)"),
    ("load_divisions.rss_peak_mb", "<=", 2048, "… its peak memory (MB)"),
    ("national.evaluate_s", "<=", 1.0, "evaluate all five policies, national, what-if (s)"),
    ("national.evaluate_alloc_mb", "<=", 512, "… its own allocations beyond the dataset (MB)"),
    ("national.evaluate_peak_mb", "<=", 4096, "… peak memory of the process (MB)"),
    ("national.generate_s", "<=", 30, "generate the national dataset (s)"),
    ("roundtrip.read_over_parse", "<=", 1.5, "re-read ÷ JSON parse time"),
    ("scaling.max_ratio", "<=", 10.5, "10× the communities ÷ time (worst step)"),
    ("columnar_vs_loop.ratio", ">=", 20, "engine speed-up over a per-object loop"),
    ("io.parquet_read_s", "<=", 3, "national Parquet read, validated (s)"),
    ("io.parquet_read_peak_mb", "<=", 1536, "… peak memory of that process (MB)"),
    ("io.parquet_write_s", "<=", 5, "national Parquet write (s)"),
    ("io.json_read_s", "<=", 30, "national JSON read, validated (s)"),
    ("io.json_read_peak_mb", "<=", 3072, "… peak memory of that process (MB)"),
    ("io.json_write_s", "<=", 15, "national JSON write (s)"),
    ("io.cli_evaluate_parquet_s", "<=", 6, "shequ-gov evaluate national.parquet, end to end (s)"),
    ("io.report_parquet_s", "<=", 5, "national report to Parquet (s)"),
    ("io.fingerprint_s", "<=", 1, "national dataset fingerprint from columns (s)"),
    ("numpy_peer.engine_over_numpy", "<=", 1.5, "engine ÷ hand-written numpy, loudi, national"),
    ("numpy_peer.verdicts_disagreeing", "<=", 0, "… verdicts disagreeing"),
    ("openfisca_peer.openfisca_over_engine", ">=", 3, "OpenFisca ÷ engine, same 3 Loudi rules (optional)"),
    ("openfisca_peer.verdicts_disagreeing", "<=", 0, "… verdicts disagreeing"),
    ("report.summary_street_s", "<=", 1.0, "national report: summary(level='street') (s)"),
    ("report.csv_write_s", "<=", 30, "… to_csv (s)"),
    ("report.csv_write_alloc_mb", "<=", 1024, "… to_csv memory above the report (MB)"),
    ("report.json_write_s", "<=", 45, "… to_json (s)"),
    ("report.json_write_alloc_mb", "<=", 1024, "… to_json memory above the report (MB)"),
    ("report.explain_ms", "<=", 5, "… explain one verdict (ms)"),
    ("report.finding_ms", "<=", 5, "… finding of one verdict (ms)"),
    ("report.report_beyond_status_mb", "<=", 150, "… memory kept beyond its status columns (MB)"),
    ("scenarios.compare_s", "<=", 3, "reform + comparison beyond two evaluations (s)"),
    ("scenarios.sweep_single_s", "<=", 15, "100-value sweep, national, one process (s)"),
    ("spreadsheet.read_s", "<=", 15, "read a province-sized workbook, validated (s)"),
    ("service.c1.p95_ms", "<=", 50, "service: one community, concurrency 1, p95 (ms)"),
    ("service.c32_2workers.requests_per_s", ">=", 200, "service: concurrency 32, 2 workers (requests/s)"),
    ("service.city.jurisdiction.median_s", "<=", 1.5, "service: 2,000-community document (s)"),
    ("report_html.write_s", "<=", 10, "write the national HTML report (s)"),
    ("report_html.file_mb", "<=", 25, "… its size (MB)"),
]


def _get(d: dict, path: str):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def main(names: list[str] | None = None) -> int:
    names = list(names or STEPS)
    unknown = [n for n in names if n not in STEPS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(STEPS)})", file=sys.stderr)
        return 2
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    env = {**os.environ, **ONE_CORE}
    failed: list[str] = []
    for name in names:
        print(f"running {name} …", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, "-m", "benchmarks._steps", name], cwd=HERE.parent, env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            results[name] = {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
            failed.append(f"{name}: {results[name]['error']}")
            continue
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        errors = got.get("error_verdicts") or {}
        if errors:
            failed.append(f"{name}: ERROR verdicts {errors}")
        into = got.pop("merge_into", None)
        if into:  # a figure that belongs to another section (e.g. io.report_parquet_s)
            results.setdefault(into, {}).update(got)
        else:
            results[name] = got
        if name == "scaling":
            results[name]["max_ratio"] = max(results[name]["ratios"])
    import shequ_gov

    results["environment"] = {"python": sys.version.split()[0], "shequ_gov": shequ_gov.__version__,
                              "cpus": os.cpu_count(), "threads": 1}
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{'benchmark':<52}{'measured':>12}{'target':>12}  ok")
    for path, op, target, what in TARGETS:
        v = _get(results, path)
        ok = None if v is None else (v <= target if op == "<=" else v >= target)
        shown = "—" if v is None else (f"{v:,.3g}" if isinstance(v, float) else f"{v:,}")
        print(f"{what:<52}{shown:>12}{op + ' ' + str(target):>12}  {'—' if ok is None else ('yes' if ok else 'NO')}")
    print(f"\nfull results: {RESULTS}")
    if failed:  # a benchmark that crashed or judged anything ERROR is not a measurement
        print("FAILED:\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
