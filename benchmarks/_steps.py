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
    times, report = [], None
    for _ in range(3):  # the best of three: the machine is shared
        del report
        t0 = time.perf_counter()
        report = sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
        times.append(time.perf_counter() - t0)
    out["evaluate_s"] = round(min(times), 3)
    out["evaluate_runs_s"] = [round(t, 3) for t in times]
    out["verdicts"] = len(report)
    out["verdicts_per_s"] = round(len(report) / out["evaluate_s"])
    out.update(_rule_times(report, min(times)))
    out["error_verdicts"] = error_verdicts(report)
    del report
    with measure(out, "evaluate_traced", memory=True):
        sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
    out["evaluate_alloc_mb"] = out.pop("evaluate_traced_alloc_mb")
    out.pop("evaluate_traced_s")
    out["evaluate_peak_mb"] = round(rss_peak_mb(), 1)  # process peak: the dataset + one evaluation
    return out


def error_verdicts(report) -> dict[str, int]:
    """ERROR verdicts per rule (only rules that have some): a benchmark with any fails ``make bench``."""
    out = {}
    for rid in report.rule_ids:
        n = report.verdicts(rid).count("error")
        if n:
            out[rid] = n
    return out


def _rule_times(report, total_s: float) -> dict:
    """Per rule: its function's time and the engine's work around it; the engine's share of the total."""
    blocks = [report.verdicts(rid) for rid in report.rule_ids]
    rules = sum(b.rule_seconds for b in blocks)
    return {"per_rule_s": {b.rule.id: round(b.rule_seconds, 4) for b in blocks},
            "per_rule_engine_s": {b.rule.id: round(b.seconds - b.rule_seconds, 4) for b in blocks},
            "rule_functions_s": round(rules, 3),
            "engine_share": round(max(0.0, total_s - rules) / total_s, 3) if total_s else None}


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
    """Evaluation time of all five policies (what-if) at 10,000, 100,000 and 1,000,000 communities.

    The three datasets are held at once and evaluated in turn, five rounds of one evaluation per size;
    each size's figure is its best round. A slow spell of the machine (another process, another
    tenant) then falls on every size alike instead of on whichever size was being measured, and the
    ratios compare like with like.
    """
    import shequ_gov as sg
    from shequ_gov import synth

    pols = [sg.policies.load(p) for p in _available_policies()]
    sizes = (10_000, 100_000, 1_000_000)
    out: dict = {"policies": [p.id for p in pols], "sizes": list(sizes), "rounds": 5}
    errors: dict[str, int] = {}
    datasets = [synth.generate(n, seed=2) for n in sizes]
    for ds in datasets:  # the first evaluation of each (caches, pages) is not timed; its verdicts are checked
        for rule, k in error_verdicts(sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")).items():
            errors[rule] = errors.get(rule, 0) + k
    times: list[list[float]] = [[] for _ in sizes]
    for _ in range(out["rounds"]):
        for ds, t in zip(datasets, times):
            t0 = time.perf_counter()
            sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
            t.append(time.perf_counter() - t0)
    e = out["evaluate_s"] = [round(min(t), 4) for t in times]
    out["rounds_s"] = [[round(x, 4) for x in t] for t in times]
    out["ratios"] = [round(e[1] / e[0], 2), round(e[2] / e[1], 2)]
    out["max_ratio"] = max(out["ratios"])
    out["error_verdicts"] = errors
    return out


def row_blocks() -> dict:
    """Issue #17's second question, measured: do community-level rules run faster over blocks of rows?

    At a million communities each community-level rule function runs once over the whole columns
    (as the engine runs it) and once per block of consecutive communities (views of the columns,
    the child tables cut at the blocks' offsets), and the blocks' outcomes are joined back into
    whole columns (the verdicts and every number the report keeps). The joined verdicts must equal
    the whole-column ones. Figures: the rule functions' time each way and the joining's time.
    """
    import shequ_gov as sg
    from shequ_gov import synth
    from shequ_gov._vocab import Level
    from shequ_gov.rules import CommunityInputs

    from .row_blocks import block_inputs, joined

    pols = [sg.policies.load(p) for p in _available_policies()]
    n = 1_000_000
    ds = synth.generate(n, seed=2)
    rules = [(r, p.params(AS_OF).for_rule(r)) for p in pols for r in p.rules
             if r.level is Level.COMMUNITY and r.in_force(AS_OF)]
    sizes = (1 << 15, 1 << 17, 1 << 18)
    out: dict = {"communities": n, "rules": len(rules)}
    # per round, as per evaluation in the engine: fresh inputs (so fresh caches) each way, one pass
    # over the rules whole, then one pass per block size (its blocks made, each rule run block by
    # block and joined); outcomes are dropped rule by rule, the whole-column verdicts kept to compare
    rounds = []
    verdicts: list[tuple[np.ndarray, np.ndarray]] = []
    for r_i in range(3):
        t: dict[str, float] = {}
        whole = CommunityInputs(ds._st)
        t0 = time.perf_counter()
        for rule, p in rules:
            o = rule.function(whole, p)
            if r_i == 0:
                verdicts.append((o.result.value, o.result.known))
        t["whole"] = time.perf_counter() - t0
        del whole, o
        for rows in sizes:
            t0 = time.perf_counter()
            views = block_inputs(ds._st, rows)
            t[f"{rows} make"] = time.perf_counter() - t0
            t[f"{rows} rules"] = t[f"{rows} join"] = 0.0
            for (rule, p), (value, known) in zip(rules, verdicts):
                t0 = time.perf_counter()
                pieces = [rule.function(v, p) for v in views]
                t1 = time.perf_counter()
                one = joined(pieces)
                t[f"{rows} join"] += time.perf_counter() - t1
                t[f"{rows} rules"] += t1 - t0
                if r_i == 0 and not (np.array_equal(one.result.value, value) and np.array_equal(one.result.known, known)):
                    raise AssertionError(f"{rule.id}: blocks of {rows} rows give other verdicts than whole columns")
                del pieces, one
            del views
        rounds.append(t)
    best = {k: min(r[k] for r in rounds) for k in rounds[0]}
    out["whole_rules_s"] = round(best["whole"], 4)
    out["blocks"] = {}
    for rows in sizes:
        total = best[f"{rows} make"] + best[f"{rows} rules"] + best[f"{rows} join"]
        out["blocks"][str(rows)] = {"make_s": round(best[f"{rows} make"], 4), "rules_s": round(best[f"{rows} rules"], 4),
                                    "join_s": round(best[f"{rows} join"], 4), "total_s": round(total, 4),
                                    "total_over_whole": round(total / best["whole"], 3)}
    out["faster"] = "whole columns" if all(b["total_over_whole"] >= 1 for b in out["blocks"].values()) else "blocks"
    return out


def columnar_vs_loop() -> dict:
    """The engine against a plain per-community loop over attrs objects, Loudi's 13 rules, 100,000 communities."""
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
    disagree = 0
    for rid in report.rule_ids:
        eng = [s.value for s in report.verdicts(rid).statuses()]
        disagree += sum(1 for a, e in zip(loop[rid], eng) if a != e)
    return {"policy": "loudi", "rules": len(pol.rules), "communities": len(ds), "engine_s": round(engine_s, 4),
            "loop_s": round(loop_s, 3), "ratio": round(loop_s / engine_s, 1), "verdicts_disagreeing": disagree,
            "error_verdicts": error_verdicts(report)}


def numpy_peer() -> dict:
    """The engine against Loudi's 13 rules hand-written in plain numpy, national size, same process, same data."""
    import numpy as np

    import shequ_gov as sg
    from shequ_gov import synth

    from .numpy_loudi import arrays, evaluate_numpy, status_names

    pol = sg.policies.load("loudi")
    ds = synth.generate("national", seed=1)
    a = arrays(ds)  # taken before timing, like the loop's objects
    report = sg.evaluate(ds, pol, as_of=AS_OF, mode="what-if")
    mine = evaluate_numpy(a, pol, AS_OF)
    from shequ_gov._vocab import STATUSES

    names = np.array([s.value for s in STATUSES], dtype=object)
    disagree = {rid: int(np.count_nonzero(names[report.verdicts(rid).status] != status_names(mine[rid])))
                for rid in report.rule_ids}
    engine_s = _best(lambda: sg.evaluate(ds, pol, as_of=AS_OF, mode="what-if"), 5)
    numpy_s = _best(lambda: evaluate_numpy(a, pol, AS_OF), 5)
    return {"policy": "loudi", "rules": len(pol.rules), "communities": len(ds), "engine_s": round(engine_s, 4),
            "numpy_s": round(numpy_s, 4), "engine_over_numpy": round(engine_s / numpy_s, 3),
            "verdicts_disagreeing": sum(disagree.values()),
            "disagreeing_by_rule": {k: v for k, v in disagree.items() if v},
            "error_verdicts": error_verdicts(report)}


def openfisca_peer() -> dict:
    """Three Loudi rules in OpenFisca against the engine's same rules, national size (needs the ``peers`` extra)."""
    try:
        import openfisca_core  # noqa: F401
    except ImportError:
        return {"skipped": "openfisca-core is not installed (pip install -e '.[peers]')"}
    import numpy as np

    import shequ_gov as sg
    from shequ_gov import synth

    from .numpy_loudi import status_names
    from .openfisca_loudi import RULE_VARIABLES, evaluate_openfisca, system

    pol = sg.policies.load("loudi")
    ds = synth.generate("national", seed=1)
    tbs = system(pol)
    theirs = evaluate_openfisca(tbs, ds, pol, AS_OF)
    report = sg.evaluate(ds, pol, as_of=AS_OF, mode="what-if")
    from shequ_gov._vocab import STATUSES

    names = np.array([s.value for s in STATUSES], dtype=object)
    disagree = {rid: int(np.count_nonzero(names[report.verdicts(rid).status] != status_names(v)))
                for rid, v in theirs.items()}

    def engine_seconds() -> float:
        rep = sg.evaluate(ds, pol, as_of=AS_OF, mode="what-if")
        return sum(rep.verdicts(rid).seconds for rid in rep.rule_ids if rid in RULE_VARIABLES)

    engine_s = min(engine_seconds() for _ in range(3))
    openfisca_s = _best(lambda: evaluate_openfisca(tbs, ds, pol, AS_OF), 3)
    return {"rules": sorted(RULE_VARIABLES), "communities": len(ds), "engine_s": round(engine_s, 4),
            "openfisca_s": round(openfisca_s, 4), "openfisca_over_engine": round(openfisca_s / engine_s, 2),
            "verdicts_disagreeing": sum(disagree.values()), "error_verdicts": error_verdicts(report)}


def report() -> dict:
    """Everything a user does with the national report (#18): summaries, exports, findings, explain, memory."""
    import random
    import tracemalloc

    import numpy as np

    import shequ_gov as sg
    from shequ_gov import synth

    from shequ_gov._vocab import S_FAIL

    out: dict = {}
    ds = synth.generate("national", seed=1)
    pols = [sg.policies.load(p) for p in _available_policies()]
    sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
    tracemalloc.start()
    rep = sg.evaluate(ds, pols, as_of=AS_OF, mode="what-if")
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    status_mb = sum(b.status.nbytes for b in rep._blocks) / 2**20
    out["verdicts"] = len(rep)
    out["error_verdicts"] = error_verdicts(rep)
    out["status_columns_mb"] = round(status_mb, 1)
    out["report_kept_mb"] = round(kept / 2**20, 1)
    out["report_beyond_status_mb"] = round(kept / 2**20 - status_mb, 1)
    with measure(out, "metadata_first"):
        rep.metadata()
    for lv in (None, "province", "city", "district", "street"):
        with measure(out, f"summary_{lv or 'rules'}"):
            rep.summary(level=lv)
    with measure(out, "findings_first_1000"):
        f = rep.findings
        rows = f.rows()
        for _ in range(1000):
            next(rows)
        n = len(f)
    assert n == len(rep)
    # explain / finding for communities failing a community rule, nationally
    b = next(b for b in rep._blocks if b.level is sg.Level.COMMUNITY and (b.status == S_FAIL).sum() > 1000)
    fails = np.flatnonzero(b.status == S_FAIL)
    codes = [f"{c:012d}" for c in b.codes[random.Random(0).sample(list(fails), 1000)].tolist()]
    rep.explain(codes[0], b.rule.id)
    t0 = time.perf_counter()
    for c in codes[:200]:
        rep.explain(c, b.rule.id)
    out["explain_ms"] = round((time.perf_counter() - t0) / 200 * 1000, 3)
    t0 = time.perf_counter()
    for c in codes[:200]:
        rep.finding(c, b.rule.id)
    out["finding_ms"] = round((time.perf_counter() - t0) / 200 * 1000, 3)
    with measure(out, "explain_many_1000"):
        rep.explain_many(codes, b.rule.id)
    with tempfile.TemporaryDirectory() as tmp:
        for name, write, suffix in (("csv", rep.to_csv, ".csv"), ("json", rep.to_json, ".json"),
                                    ("csv_excel", lambda p: rep.to_csv(p, excel=True), ".csv")):
            path = Path(tmp) / f"report{suffix}"
            with measure(out, f"{name}_write"):
                write(path)
            out[f"{name}_mb"] = round(os.path.getsize(path) / 2**20, 1)
            os.unlink(path)
            if name != "csv_excel":  # the memory above the report, in a second (traced, slower) run
                trace: dict = {}
                with measure(trace, "w", memory=True):
                    write(path)
                out[f"{name}_write_alloc_mb"] = trace["w_alloc_mb"]
                os.unlink(path)
    out["rss_peak_mb"] = round(rss_peak_mb(), 1)
    return out


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


def _session_cpu_s(session: int) -> float | None:
    """CPU seconds (user + system) used so far by the live processes of a session (Linux /proc; else None)."""
    total, tick = 0, os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # fields after the name: state, ppid, pgrp, session, …
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def service() -> dict:
    """The HTTP service on loopback: single-community POST /evaluate (all five policies, what-if) at
    concurrency 1 (one worker) and 32 (two workers), and a 2,000-community city document.

    The load generator is lean (raw asyncio sockets, keep-alive, request bytes built once) and runs on
    the same machine: its own CPU per request, and the server's (all its processes), are recorded.
    Every answer must be 200, carry its request's id and be byte for byte ``Report.to_json`` of the
    same evaluation done in-process."""
    import shequ_gov as sg
    from shequ_gov.server._run import load, running

    pols = _available_policies()

    def body(ds, **kw) -> bytes:
        return json.dumps({"dataset": ds.to_dict(), "as_of": AS_OF.isoformat(), "policies": pols, **kw},
                          ensure_ascii=False).encode("utf-8")

    def expected(doc: bytes) -> bytes:
        d = json.loads(doc)
        return sg.evaluate(sg.Dataset.from_dict(d["dataset"]), pols, as_of=AS_OF, mode=d["mode"]).to_json().encode()

    def measured(url: str, info: dict, doc: bytes, n: int, conc: int, expect: bytes) -> dict:
        cpu0 = _session_cpu_s(info["session"])
        r = load(url, doc, n, conc, expect=expect)
        cpu1 = _session_cpu_s(info["session"])
        r.pop("ids")
        if cpu0 is not None and cpu1 is not None:
            r["server_cpu_ms_per_request"] = round((cpu1 - cpu0) / n * 1000, 2)
        return r

    one = body(sg.synth.generate(1, seed=0), mode="what-if")
    one_answer = expected(one)
    city_ds = sg.synth.generate(2000, seed=1)
    out: dict = {"policies": pols, "answer_bytes": len(one_answer)}
    info: dict = {}
    with running(["--workers", "1"], info=info) as url:
        load(url, one, 20, 1, expect=one_answer)  # warm up
        c1 = measured(url, info, one, 300, 1, one_answer)
        city = {}
        for mode in ("jurisdiction", "what-if"):
            doc = body(city_ds, mode=mode)
            answer = expected(doc)
            load(url, doc, 1, 1, expect=answer)
            runs = [load(url, doc, 1, 1, expect=answer)["p50_ms"] for _ in range(3)]
            city[mode] = {"body_mb": round(len(doc) / 2**20, 2), "best_s": round(min(runs) / 1000, 3),
                          "median_s": round(sorted(runs)[1] / 1000, 3)}
    with running(["--workers", "2"], info=info) as url:
        load(url, one, 64, 32, expect=one_answer)  # warm up both workers
        c32 = measured(url, info, one, 2000, 32, one_answer)
    if "server_cpu_ms_per_request" in c32:  # derived, not measured: what two otherwise idle cores would allow
        c32["cpu_bound_requests_per_s_2_cores"] = round(
            2000 / (c32["server_cpu_ms_per_request"] + c32["client_cpu_ms_per_request"]), 1)
    out.update({"c1": c1, "c32_2workers": c32, "city": city, "communities_city": len(city_ds)})
    return out


def _io_child(what: str, tmp: str) -> dict:
    """One measurement of the ``io`` benchmark, in its own process (see :func:`io`)."""
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "benchmarks._steps", what, tmp], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    if proc.returncode != 0:
        raise RuntimeError(f"{what}: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def io() -> dict:
    """The national dataset in and out: Parquet and JSON written, then each read in a fresh process
    (time and peak memory of that process), and ``shequ-gov evaluate national.parquet`` end to end."""
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        out.update(_io_child("io_write", tmp))
        out.update(_io_child("io_read_parquet", tmp))
        out.update(_io_child("io_read_json", tmp))
        t0 = time.perf_counter()
        cli = subprocess_run([sys.executable, "-m", "shequ_gov.cli", "evaluate", str(Path(tmp) / "national.parquet"),
                              "--mode", "what-if", "--as-of", AS_OF.isoformat()])
        out["cli_evaluate_parquet_s"] = round(time.perf_counter() - t0, 3)
        out["cli_evaluate_parquet_ok"] = cli == 0
        out.update(_io_child("io_report_parquet", tmp))
    return out


def subprocess_run(cmd: list[str]) -> int:
    import subprocess

    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def io_write(tmp: str) -> dict:
    from shequ_gov import synth

    out: dict = {}
    ds = synth.generate("national", seed=1)
    ds.fingerprint()  # computed once and stored in the Parquet metadata; timed on its own
    t0 = time.perf_counter()
    ds._hash = None
    ds.fingerprint()
    out["fingerprint_s"] = round(time.perf_counter() - t0, 3)
    with measure(out, "parquet_write"):
        ds.write(Path(tmp) / "national.parquet")
    with measure(out, "json_write"):
        ds.write(Path(tmp) / "national.json")
    out["json_mb"] = round(os.path.getsize(Path(tmp) / "national.json") / 2**20, 1)
    out["parquet_mb"] = round(sum(f.stat().st_size for f in (Path(tmp) / "national.parquet").iterdir()) / 2**20, 1)
    out["communities"] = len(ds)
    return out


def io_read_parquet(tmp: str) -> dict:
    import shequ_gov as sg

    base = rss_peak_mb()
    out: dict = {}
    with measure(out, "parquet_read"):
        ds = sg.Dataset.read(Path(tmp) / "national.parquet")
    out["parquet_read_peak_mb"] = round(rss_peak_mb(), 1)
    out["parquet_read_baseline_mb"] = round(base, 1)
    out["parquet_read_communities"] = len(ds)
    return out


def io_read_json(tmp: str) -> dict:
    import shequ_gov as sg

    out: dict = {}
    with measure(out, "json_read"):
        ds = sg.Dataset.read(Path(tmp) / "national.json")
    out["json_read_peak_mb"] = round(rss_peak_mb(), 1)
    out["json_read_communities"] = len(ds)
    return out


def io_report_parquet(tmp: str) -> dict:
    import shequ_gov as sg

    ds = sg.Dataset.read(Path(tmp) / "national.parquet")
    report = sg.evaluate(ds, _available_policies(), as_of=AS_OF, mode="what-if")
    report.metadata()  # the dataset's fingerprint: not part of the export's own time
    out: dict = {"error_verdicts": error_verdicts(report)}
    with measure(out, "report_parquet"):
        report.to_parquet(Path(tmp) / "report.parquet")
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
         "row_blocks": row_blocks,
         "columnar_vs_loop": columnar_vs_loop, "numpy_peer": numpy_peer, "openfisca_peer": openfisca_peer,
         "report": report, "spreadsheet": spreadsheet, "service": service, "report_html": report_html, "io": io,
         "scenarios": scenarios}
_IO_CHILDREN = {"io_write": io_write, "io_read_parquet": io_read_parquet, "io_read_json": io_read_json,
                "io_report_parquet": io_report_parquet}

if __name__ == "__main__":
    from shequ_gov import reuse_freed_memory

    reuse_freed_memory()  # as the command line does (see its docstring)
    if sys.argv[1] in _IO_CHILDREN:
        print(json.dumps(_IO_CHILDREN[sys.argv[1]](sys.argv[2])))
    else:
        print(json.dumps(STEPS[sys.argv[1]]()))
