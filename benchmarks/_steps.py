"""The benchmark steps. Each runs in its own process: ``python -m benchmarks._steps NAME`` prints JSON."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ._util import measure, rss_peak_mb

AS_OF = dt.date(2024, 6, 30)
FIVE = ["liaoning", "jiangsu", "loudi", "xigang", "kaizhou"]
DIVISIONS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cn_divisions_2023.csv.gz"


def _available_policies() -> list[str]:
    import shequ_gov as sg

    return [p for p in FIVE if p in sg.policies.available()]


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def load_divisions() -> dict:
    """Read the real five-level division list (665,271 units) into a Dataset."""
    import shequ_gov as sg

    out: dict = {}
    with measure(out, "load"):
        ds = sg.Dataset.read(DIVISIONS)
    out["units"] = len(ds) + ds.n_regions
    out["rss_peak_mb"] = round(rss_peak_mb(), 1)
    return out


def national() -> dict:
    """Generate the national dataset on the real skeleton, evaluate all five policies in what-if mode."""
    import shequ_gov as sg
    from shequ_gov import synth

    out: dict = {}
    china = sg.Dataset.read(DIVISIONS)
    with measure(out, "generate"):
        ds = synth.generate("national", seed=1, skeleton=china)
    del china
    out["generate_rss_peak_mb"] = round(rss_peak_mb(), 1)
    out["communities"] = len(ds)
    pols = [sg.policies.load(p) for p in _available_policies()]
    out["policies"] = [p.id for p in pols]
    out["rules"] = sum(len(p.rules) for p in pols)
    sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")  # warm-up: imports, caches
    t0 = time.perf_counter()
    report = sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
    out["evaluate_s"] = round(time.perf_counter() - t0, 3)
    out["verdicts"] = len(report)
    out["verdicts_per_s"] = round(len(report) / out["evaluate_s"])
    out["per_rule_s"] = {b.rule.id: round(b.seconds, 4) for b in report._blocks}
    del report
    with measure(out, "evaluate_traced", memory=True):
        sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
    out["evaluate_alloc_mb"] = out.pop("evaluate_traced_alloc_mb")
    out.pop("evaluate_traced_s")
    out["evaluate_peak_mb"] = round(rss_peak_mb(), 1)  # process peak: the dataset + one evaluation
    return out


def roundtrip() -> dict:
    """Write the national dataset as JSON, then parse it alone and load it as a Dataset."""
    import shequ_gov as sg
    from shequ_gov import synth

    out: dict = {}
    ds = synth.generate("national", seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "national.json"
        with measure(out, "write"):
            ds.write(path)
        out["file_mb"] = round(os.path.getsize(path) / 2**20, 1)
        del ds
        with measure(out, "parse"):
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        del doc
        with measure(out, "read"):
            again = sg.Dataset.read(path)
        out["communities"] = len(again)
    out["read_over_parse"] = round(out["read_s"] / out["parse_s"], 3)
    out["rss_peak_mb"] = round(rss_peak_mb(), 1)
    return out


def scaling() -> dict:
    """Evaluation time of all five policies (what-if) at 10,000, 100,000 and 1,000,000 communities."""
    import shequ_gov as sg
    from shequ_gov import synth

    pols = [sg.policies.load(p) for p in _available_policies()]
    out: dict = {"policies": [p.id for p in pols], "sizes": [], "evaluate_s": []}
    for n in (10_000, 100_000, 1_000_000):
        ds = synth.generate(n, seed=2)
        sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
        t = _best(lambda: sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if"), 3 if n < 1_000_000 else 2)
        out["sizes"].append(n)
        out["evaluate_s"].append(round(t, 4))
        del ds
    e = out["evaluate_s"]
    out["ratios"] = [round(e[1] / e[0], 2), round(e[2] / e[1], 2)]
    return out


def columnar_vs_loop() -> dict:
    """The engine against a plain per-community loop over attrs objects, Loudi's 12 rules, 100,000 communities."""
    import shequ_gov as sg
    from shequ_gov import synth

    from .loop_loudi import evaluate_loop

    pol = sg.policies.load("loudi")
    ds = synth.generate(100_000, seed=3)
    objects = list(ds.communities)  # built before timing: the loop gets its objects for free
    sg.evaluate(ds, pol, as_of=AS_OF, mode="what-if")
    engine_s = _best(lambda: sg.evaluate(ds, pol, as_of=AS_OF, mode="what-if"), 3)
    t0 = time.perf_counter()
    loop = evaluate_loop(objects, pol, AS_OF)
    loop_s = time.perf_counter() - t0
    report = sg.evaluate(ds, pol, as_of=AS_OF, mode="what-if")
    names = [s.value for s in sg.Status]
    disagree = 0
    for b in report._blocks:
        eng = [names[s] for s in b.status.tolist()]
        disagree += sum(1 for a, e in zip(loop[b.rule.id], eng) if a != e)
    return {"policy": "loudi", "rules": len(pol.rules), "communities": len(ds), "engine_s": round(engine_s, 4),
            "loop_s": round(loop_s, 3), "ratio": round(loop_s / engine_s, 1), "verdicts_disagreeing": disagree}


def report_html() -> dict:
    """Write the HTML report of the national evaluation (what-if, all five policies): time and file size."""
    import shequ_gov as sg
    from shequ_gov import _html, synth

    out: dict = {}
    china = sg.Dataset.read(DIVISIONS)
    ds = synth.generate("national", seed=1, skeleton=china)
    del china
    pols = [sg.policies.load(p) for p in _available_policies()]
    report = sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
    out["communities"] = len(ds)
    out["verdicts"] = len(report)
    out["section_s"] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "national.html"
        with measure(out, "write"):  # what report.to_html(path) does, with the time of each part
            page = _html.report_page(report, timings=out["section_s"])
            t0 = time.perf_counter()
            page.write(path)
            out["section_s"]["render_and_write"] = round(time.perf_counter() - t0, 3)
        out["file_mb"] = round(os.path.getsize(path) / 2**20, 2)
    out["rss_peak_mb"] = round(rss_peak_mb(), 1)
    return out


def spreadsheet() -> dict:
    """A province-sized workbook (20,000 communities with facilities, staff and tasks sheets): write and
    read back (validated), and the raw load of the same file by openpyxl for comparison."""
    import shequ_gov as sg
    from shequ_gov import _sheets

    ds = sg.synth.generate("province", seed=5)
    out: dict = {"communities": len(ds)}
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "province.xlsx"
        with measure(out, "write"):
            ds.write(p)
        out["file_mb"] = round(p.stat().st_size / 2**20, 1)
        rss0 = rss_peak_mb()
        with measure(out, "read"):
            back = sg.Dataset.read(p)
        out["read_peak_mb"] = round(rss_peak_mb(), 1)
        out["read_rss_growth_mb"] = round(rss_peak_mb() - rss0, 1)
        assert back.to_dict() == ds.to_dict(), "the workbook did not read back equal"
        with measure(out, "calamine_load"):
            _sheets.load(p)
        import openpyxl

        def raw() -> None:
            wb = openpyxl.load_workbook(p, read_only=True)
            for ws in wb.worksheets:
                for _ in ws.iter_rows(values_only=True):
                    pass
        with measure(out, "openpyxl_load"):
            raw()
    return out


def service() -> dict:
    """The HTTP service on loopback: single-community POST /evaluate (all five policies, what-if) at
    concurrency 1 (one worker) and 32 (two workers), and a 2,000-community city document."""
    import shequ_gov as sg
    from shequ_gov.server._run import load, running

    pols = _available_policies()

    def body(ds, **kw) -> bytes:
        return json.dumps({"dataset": ds.to_dict(), "as_of": AS_OF.isoformat(), "policies": pols, **kw},
                          ensure_ascii=False).encode("utf-8")

    one = body(sg.synth.generate(1, seed=0), mode="what-if")
    city_ds = sg.synth.generate(2000, seed=1)
    out: dict = {"policies": pols}
    with running(["--workers", "1"]) as url:
        load(url, one, 20, 1)  # warm up
        c1 = load(url, one, 300, 1)
        city = {}
        for mode in ("jurisdiction", "what-if"):
            doc = body(city_ds, mode=mode)
            load(url, doc, 1, 1)
            runs = [load(url, doc, 1, 1)["p50_ms"] for _ in range(3)]
            city[mode] = {"body_mb": round(len(doc) / 2**20, 2), "best_s": round(min(runs) / 1000, 3),
                          "median_s": round(sorted(runs)[1] / 1000, 3)}
    with running(["--workers", "2"]) as url:
        load(url, one, 64, 32)  # warm up both workers
        c32 = load(url, one, 2000, 32)
    for d in (c1, c32):
        d.pop("ids")
    out.update({"c1": c1, "c32_2workers": c32, "city": city, "communities_city": len(city_ds)})
    return out


def scenarios() -> dict:
    """Issue 13's figures over the national dataset: one reform + comparison, a 100-value sweep on
    one process and on a 2-worker LocalCluster (127.0.0.1)."""
    import shequ_gov as sg
    from shequ_gov import synth

    out: dict = {}
    china = sg.Dataset.read(DIVISIONS)
    ds = synth.generate("national", seed=1, skeleton=china)
    del china
    out["communities"] = len(ds)
    pols = [sg.policies.load(p) for p in _available_policies()]
    loudi = next(p for p in pols if p.id == "loudi")
    param, values = "service_housing_min_area", "300..795 step 5 m**2"
    sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")  # warm-up
    t0 = time.perf_counter()
    base = sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
    out["evaluate_s"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    reformed = loudi.with_parameters({param: "350 m**2"}, reason="benchmark", label="350")
    out["with_parameters_ms"] = round((time.perf_counter() - t0) * 1000, 3)
    reform = sg.evaluate(ds, [reformed if p is loudi else p for p in pols], as_of=AS_OF, mode="what-if")
    t0 = time.perf_counter()
    cmp = sg.compare(base, reform)
    n_changed = len(cmp.changed())
    cmp.transitions()
    cmp.summary()
    cmp.summary(level="province")
    out["compare_s"] = round(time.perf_counter() - t0, 3)  # beyond the two evaluations
    out["verdicts_changed"] = n_changed
    del base, reform, cmp
    from shequ_gov._scenario import _SHARED, parse_values

    n = len(parse_values(values))
    out["sweep_values"] = n
    # single process, fresh (the derived inputs are computed inside the timing, once)
    _SHARED.clear()
    t0 = time.perf_counter()
    single = sg.sweep(ds, loudi, param, values, as_of=AS_OF, mode="what-if")
    out["sweep_single_s"] = round(time.perf_counter() - t0, 3)
    out["sweep_rules"] = sorted(set(single.columns["rule"]))
    out["rss_peak_mb"] = round(rss_peak_mb(), 1)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        out["dask"] = "not installed (extra [dask])"
        return out
    from shequ_gov._distributed import scattered

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        t0 = time.perf_counter()
        scattered(client, ds)  # sent once per client; sweeps reuse it
        out["dask_scatter_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        remote = sg.sweep(ds, loudi, param, values, as_of=AS_OF, mode="what-if", scheduler=client)
        out["sweep_dask_s"] = round(time.perf_counter() - t0, 3)  # each worker derives its inputs once here
        t0 = time.perf_counter()
        sg.sweep(ds, loudi, param, values, as_of=AS_OF, mode="what-if", scheduler=client)
        out["sweep_dask_again_s"] = round(time.perf_counter() - t0, 3)  # the workers' inputs are warm
        out["dask_identical"] = remote.to_csv() == single.to_csv()
        del remote
        # the national evaluation, province by province on the two workers
        t0 = time.perf_counter()
        local = sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
        out["evaluate_again_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        parted = sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if", scheduler=client)
        out["evaluate_partitioned_s"] = round(time.perf_counter() - t0, 3)
        out["partitioned_identical"] = all(
            np.array_equal(a.status, b.status) and np.array_equal(a.included, b.included)
            and np.array_equal(a.codes, b.codes) for a, b in zip(local._blocks, parted._blocks))
    out["dask_over_single"] = round(out["sweep_dask_again_s"] / out["sweep_single_s"], 2)
    # what each task costs beyond its share of the single-process work, on 2 workers
    out["dask_overhead_per_task_ms"] = round(
        (out["sweep_dask_again_s"] - out["sweep_single_s"] / 2) / n * 1000, 2)
    out["partitioned_over_single"] = round(out["evaluate_partitioned_s"] / out["evaluate_again_s"], 2)
    return out


STEPS = {"load_divisions": load_divisions, "national": national, "roundtrip": roundtrip, "scaling": scaling,
         "columnar_vs_loop": columnar_vs_loop, "spreadsheet": spreadsheet, "service": service,
         "report_html": report_html,
         "scenarios": scenarios}

if __name__ == "__main__":
    print(json.dumps(STEPS[sys.argv[1]]()))
