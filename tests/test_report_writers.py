"""The streamed writers against the frozen reference writer (tests/_old_writer.py), on a city-sized report."""

import datetime as dt

import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov import synth

import _old_writer as old

FIVE = [p for p in ("liaoning", "jiangsu", "loudi", "xigang", "kaizhou") if p in sg.policies.available()]


@pytest.fixture(scope="module", params=["what-if", "jurisdiction"])
def city_report(request):
    ds = synth.generate("city", seed=11)
    return sg.evaluate(ds, FIVE, as_of=dt.date(2024, 6, 30), mode=request.param)


def test_json_is_byte_identical_to_the_reference_writer(city_report):
    """to_json() gives exactly the bytes of the per-verdict writer it replaced."""
    assert city_report.to_json() == old.report_json(city_report)


def test_csv_is_byte_identical_to_the_reference_writer(city_report, tmp_path):
    """to_csv() (text and file) and findings.to_csv() give exactly the reference CSV."""
    ref = old.report_csv(city_report)
    assert city_report.to_csv() == ref
    city_report.to_csv(tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes() == ref.encode("utf-8")
    assert city_report.findings.to_csv() == ref


def test_findings_rows_and_columns_match_the_reference(city_report):
    """Iterating the lazy findings table and its .columns give the reference rows."""
    ref_cols = old.findings_columns(city_report)
    ref = list(old.rows(ref_cols))
    got = list(city_report.findings.rows())
    assert len(got) == len(ref) == len(city_report.findings)
    same = lambda a, b: a == b or (a != a and b != b)  # noqa: E731
    assert all(all(same(g[k], r[k]) for k in r) for g, r in zip(got, ref))
    cols = city_report.findings.columns
    assert list(cols) == list(ref_cols)
    for k in ("code", "status", "rule", "unit"):
        assert list(cols[k]) == list(ref_cols[k])
    np.testing.assert_array_equal(cols["measured"], ref_cols["measured"])


@pytest.mark.parametrize("level", [None, "province", "city", "district", "street"])
def test_summary_matches_the_reference_group_by(city_report, level):
    """summary(level=…) as one group-by per rule gives the rows of the per-region loop it replaced."""
    ref = old.summary_rows(city_report, level)
    got = list(city_report.summary(level=level).rows())
    same = lambda a, b: a == b or (a != a and b != b)  # noqa: E731
    assert len(got) == len(ref)
    assert all(g.keys() == r.keys() and all(same(g[k], r[k]) for k in r) for g, r in zip(got, ref))


def test_explain_many_matches_explain_one_by_one(city_report):
    """explain_many gives, for each code in order, the text explain gives; an unknown code is a KeyError."""
    b = next(b for b in city_report._blocks if b.rule.id.startswith("loudi.") and b.level is sg.Level.COMMUNITY)
    codes = [f"{c:012d}" for c in b.codes[:25].tolist()]
    many = city_report.explain_many(codes, b.rule.id)
    assert list(many) == codes
    assert all(many[c] == city_report.explain(c, b.rule.id) for c in codes)
    with pytest.raises(KeyError, match="999999999999"):
        city_report.explain_many(codes[:1] + ["999999999999"], b.rule.id)


def test_finding_reads_the_same_numbers_as_the_columns(city_report):
    """A finding's measured, required and shortfall are the columns' values at its row (NaN as None)."""
    for b in city_report._blocks:
        m, r, s = b.measured(), b.required(), b.shortfall()
        for row in (0, len(b.codes) // 2, len(b.codes) - 1):
            f = city_report.finding(f"{b.codes[row]:012d}", b.rule.id)
            if not b.included[row]:
                continue
            for got, col in ((f.measured, m), (f.required, r), (f.shortfall, s)):
                want = None if col is None or col[row] != col[row] else float(col[row])
                assert got == want, (b.rule.id, row)


def test_excel_csv_has_bom_names_units_and_no_float_noise(city_report, tmp_path):
    """The spreadsheet CSV: BOM, CRLF, names beside codes, m²/元/月 units, rounded numbers, Chinese statuses."""
    import csv
    import io

    city_report.to_csv(tmp_path / "x.csv", excel=True, zh_status=True)
    raw = (tmp_path / "x.csv").read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8")) and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    head, body = rows[0], rows[1:]
    assert head[0] == "代码 / code" and head[1] == "名称 / name" and len(body) == len(city_report)
    assert {r[11] for r in body} <= {s.zh for s in sg.Status}
    assert "m²" in {r[14] for r in body}
    ds = city_report.dataset
    first = body[0]
    assert first[1] == ds[first[0]].name
    for r in body:
        for cell in (r[12], r[13], r[15]):
            if cell:
                assert len(cell.partition(".")[2]) <= 4, cell
    plain = city_report.to_csv(excel=True)
    assert plain.count("\r\n") == len(body) + 1 and "达标" not in plain.split("\r\n", 2)[1].split(",")[11]


def test_arrow_parquet_and_pandas_have_one_row_per_verdict(city_report, tmp_path):
    """to_arrow/to_pandas/to_parquet: one row per verdict, the same values as the findings table."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    t = city_report.to_arrow()
    assert t.num_rows == len(city_report)
    assert t.column_names == ["policy", "rule", "code", "status", "measured", "required", "shortfall", "unit",
                              "strength", "level"]
    ref = old.findings_columns(city_report)
    assert t.column("code").to_pylist() == list(ref["code"])
    assert t.column("status").to_pylist() == list(ref["status"])
    m = np.array([np.nan if v is None else v for v in t.column("measured").to_pylist()])
    np.testing.assert_array_equal(m, ref["measured"])
    city_report.to_parquet(tmp_path / "r.parquet")
    back = pq.read_table(tmp_path / "r.parquet")
    assert back.num_rows == t.num_rows and back.column("rule").to_pylist() == t.column("rule").to_pylist()
    assert b"shequ_gov_report" in back.schema.metadata
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # atomic: no temporary left
    pd = pytest.importorskip("pandas")
    df = city_report.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == len(city_report)
    assert pa is not None


def test_columnar_exports_name_their_extra_when_missing(city_report, monkeypatch):
    """Without pyarrow, to_arrow raises an ImportError that says which extra to install."""
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name.split(".")[0] == "pyarrow":
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    import importlib

    monkeypatch.setattr(importlib, "import_module", lambda n, *a: fake(n))
    with pytest.raises(ImportError, match=r"shequ-gov\[arrow\]"):
        city_report.to_arrow()


def test_compact_outcomes_are_lossless(monkeypatch):
    """The compact form the report keeps gives the same JSON, CSV and explanations as the rules' own arrays."""
    from shequ_gov import _engine

    ds = synth.generate(300, seed=5)
    kw = dict(as_of=dt.date(2024, 6, 30), mode="what-if")
    compact = sg.evaluate(ds, FIVE, **kw)
    monkeypatch.setattr(_engine, "_compact", lambda outcome, memo, inputs=None: None)
    full = sg.evaluate(ds, FIVE, **kw)
    assert compact.to_json() == full.to_json() and compact.to_csv() == full.to_csv()
    kinds = set()
    for a, b in zip(compact._blocks, full._blocks):  # every kept value, row by row and as a column
        for name in ("measured", "required"):
            kept, own = getattr(a.outcome, name, None), getattr(b.outcome, name, None)
            if own is None:
                continue
            kinds.add(type(kept).__name__ + str(np.ndim(kept)))
            whole = np.broadcast_to(np.asarray(kept, dtype=np.float64), np.shape(own))
            np.testing.assert_array_equal(whole, own)
            rows = range(len(a.codes)) if np.ndim(kept) else []
            np.testing.assert_array_equal([kept[i] for i in rows], [own[i] for i in rows])
        for label, (arr, _u) in b.outcome.inputs.items() if b.outcome else ():
            np.testing.assert_array_equal(np.broadcast_to(a.outcome.inputs[label][0], np.shape(arr)), arr)
    assert {"ViolationCount1", "ndarray0", "ndarray1"} <= kinds  # each compact form is exercised
    for b in full._blocks:
        if b.level is sg.Level.COMMUNITY:
            for c in (f"{x:012d}" for x in b.codes[:5].tolist()):
                assert compact.explain(c, b.rule.id) == full.explain(c, b.rule.id)


def test_finding_and_explain_do_no_work_over_whole_columns(city_report, monkeypatch):
    """finding/explain read one row: they never build a whole value column or a community's full record."""
    from shequ_gov import _engine

    def whole(*_a, **_k):
        raise AssertionError("whole-column work in a one-verdict query")

    for name in ("measured", "required", "shortfall"):
        monkeypatch.setattr(_engine.Block, name, whole)
    monkeypatch.setattr(sg.Dataset, "__getitem__", whole)
    for b in city_report._blocks[:20]:
        c = f"{b.codes[len(b.codes) // 2]:012d}"
        assert city_report.finding(c, b.rule.id).code == c
        assert b.rule.id in city_report.explain(c, b.rule.id)


class TestPrefetched:
    """``_writers.prefetched``: the Parquet export builds the next batch while one is written."""

    def test_items_come_in_order_and_all(self):
        from shequ_gov._writers import prefetched

        assert list(prefetched(iter(range(1000)), depth=2)) == list(range(1000))

    def test_an_error_while_producing_reaches_the_consumer_after_the_items_before_it(self):
        from shequ_gov._writers import prefetched

        def items():
            yield 1
            yield 2
            raise ValueError("broken batch")

        got = []
        with pytest.raises(ValueError, match="broken batch"):
            for x in prefetched(items()):
                got.append(x)
        assert got == [1, 2]

    def test_a_consumer_that_stops_early_stops_the_producer(self):
        import threading

        from shequ_gov._writers import prefetched

        produced = []

        def items():
            for i in range(10_000):
                produced.append(i)
                yield i

        for x in prefetched(items(), depth=2):
            if x == 3:
                break
        assert not any(t.name == "shequ-gov-prefetch" and t.is_alive() for t in threading.enumerate())
        assert len(produced) < 10
