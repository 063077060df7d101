"""The paths taken for a few subjects (a single-community request) give what the array paths give."""

from __future__ import annotations

import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov import _engine, _writers
from shequ_gov._verdict import Outcome, Tri


@pytest.mark.parametrize("indicator", [False, True])
@pytest.mark.parametrize("with_area", [False, True])
def test_few_statuses_match_the_array_path(indicator: bool, with_area: bool) -> None:
    rng = np.random.default_rng(7)
    n = 400
    result = Tri(rng.random(n) < 0.5, rng.random(n) < 0.7)
    applicable = rng.random(n) < 0.8
    area = Tri(rng.random(n) < 0.6, rng.random(n) < 0.7) if with_area else None
    outcome = Outcome(result, indicator=indicator)
    whole = _engine._statuses(outcome, applicable, area)  # n > _FEW_SUBJECTS: the array path
    step = _engine._FEW_SUBJECTS
    parts = []
    for a in range(0, n, step):
        sl = slice(a, a + step)
        part = Outcome(Tri(result.value[sl], result.known[sl]), indicator=indicator)
        parts.append(_engine._statuses(part, applicable[sl], None if area is None else Tri(area.value[sl], area.known[sl])))
    assert np.concatenate(parts).tobytes() == whole.tobytes()
    assert whole.dtype == np.int8 and parts[0].dtype == np.int8


@pytest.mark.parametrize("communities,seed", [(1, 0), (1, 3), (4, 1)])
@pytest.mark.parametrize("mode", ["what-if", "jurisdiction"])
def test_few_findings_written_as_the_array_path_writes_them(communities: int, seed: int, mode: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ds = sg.synth.generate(communities, seed=seed)
    report = sg.evaluate(ds, None, as_of="2024-06-30", mode=mode)
    few = report.to_json()
    monkeypatch.setattr(_writers, "_FEW", 0)  # every block through the column path
    assert report.to_json() == few


def test_parameter_hash_is_memoised_per_date_and_policy() -> None:
    p = sg.policies.load("loudi")
    first = p.parameter_hash("2024-06-30")
    assert p.parameter_hash("2024-06-30") == first
    reform = p.with_parameters({"grid_households": "250 household"}, reason="test")
    assert reform.parameter_hash("2024-06-30") != first  # a reform is a new policy with its own hash
    assert p.parameter_hash("2024-06-30") == first


@pytest.mark.parametrize("value", [409, 409.0, 0, -3, 2.5, True, None, 1e308, 10**400, float("nan"), "409 household",
                                   "many", [1], 2**63 + 1])
def test_few_numbers_read_as_the_column_path_reads_them(value, monkeypatch: pytest.MonkeyPatch) -> None:
    from shequ_gov import _columns

    doc = sg.synth.generate(1, seed=0).to_dict()
    doc["communities"][0]["households"] = value
    doc["communities"][0]["convenience_distance"] = value

    def read() -> object:
        try:
            return sg.Dataset.from_dict(doc).fingerprint()
        except sg.ValidationError as exc:
            return exc.problems

    few = read()
    monkeypatch.setattr(_columns, "_FEW_VALUES", 0)  # every column through the whole-column path
    assert read() == few


def _stripped(communities: int, seed: int) -> dict:
    """A synthetic document with some fields and list items left out at random (unknown inputs)."""
    import random

    rng = random.Random(seed)
    doc = sg.synth.generate(communities, seed=seed).to_dict()
    keep = {"code", "name", "level", "parent", "schema", "regions", "communities", "kind", "roles", "key"}

    def strip(obj: object) -> None:
        if isinstance(obj, dict):
            for k in list(obj):
                if k not in keep and rng.random() < 0.2:
                    del obj[k]
                else:
                    strip(obj[k])
        elif isinstance(obj, list):
            for x in obj:
                strip(x)

    strip(doc)
    return doc


_SMALL_DOCS = [(1, 0), (1, 5), (3, 2), (9, 4)]


@pytest.mark.parametrize("communities,seed", _SMALL_DOCS)
@pytest.mark.parametrize("stripped", [False, True])
@pytest.mark.parametrize("mode", ["what-if", "jurisdiction"])
def test_few_records_aggregated_as_the_array_path_aggregates_them(communities: int, seed: int, stripped: bool,
                                                                  mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from shequ_gov import rules

    doc = _stripped(communities, seed) if stripped else sg.synth.generate(communities, seed=seed).to_dict()

    def written() -> str:
        report = sg.evaluate(sg.Dataset.from_dict(doc), None, as_of="2024-06-30", mode=mode)
        return report.to_json() + report.to_csv()

    few = written()
    monkeypatch.setattr(rules, "_FEW_RECORDS", -1)  # every aggregate through the array paths
    assert written() == few


@pytest.mark.parametrize("seed", range(6))
def test_few_segment_counts_match_the_running_sum(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from shequ_gov import rules

    rng = np.random.default_rng(seed)
    c = rules.CommunityInputs(sg.synth.generate(5, seed=seed)._st)
    for child in (c.facilities, c.staff, c.tasks, c.plaques):
        masks = [rng.random(len(child)) < p for p in (0.0, 0.03, 0.5, 0.97, 1.0)]
        few = [child._segment_counts(m) for m in masks]
        monkeypatch.setattr(rules, "_FEW_RECORDS", -1)
        whole = [child._segment_counts(m) for m in masks]
        monkeypatch.undo()
        for a, b in zip(few, whole):
            assert a.tolist() == b.tolist()
    sel = rng.random(c.n) < 0.5
    for level in ("province", "city", "district", "street"):
        r = c.regions(level)
        few = r.count(sel)
        monkeypatch.setattr(rules, "_FEW_RECORDS", -1)
        assert r.count(sel).tobytes() == few.tobytes()
        monkeypatch.undo()


def test_views_are_shallow_copies() -> None:
    import copy

    from shequ_gov import rules

    c = rules.CommunityInputs(sg.synth.generate(2, seed=1)._st)
    view = c.with_selection(Tri.false(c.n))
    assert type(view) is type(c) and view is not c
    assert view.__dict__.keys() == copy.copy(c).__dict__.keys()
    assert all(view.__dict__[k] is c.__dict__[k] for k in c.__dict__ if k != "_selected")
    assert c._selected is None and view.selected.states() == ["false", "false"]
    regions = view.regions("district")
    assert regions._inputs is view and c.regions("district")._inputs is c


def test_area_codes_memo_gives_the_parsed_types() -> None:
    from shequ_gov import rules

    c = rules.CommunityInputs(sg.synth.generate(9, seed=4)._st)
    for types in (("urban", "central_urban"), (sg.AreaType.RURAL,), ("township", "rural", "urban")):
        t = c.area_is(*types)
        fresh = rules.CommunityInputs(c._st)
        rules._AREA_CODES.clear()
        u = fresh.area_is(*types)
        assert t.states() == u.states()
    with pytest.raises(ValueError):
        c.area_is("suburb")
    with pytest.raises(ValueError):
        c.area_is(["urban"])  # unhashable: still the parser's error


@pytest.mark.parametrize("op", [">=", "<="])
def test_few_comparisons_match_the_array_path(op: str) -> None:
    from shequ_gov import rules

    rng = np.random.default_rng(11)
    special = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, 1e300, -1e300, 5e-324, 2.0**53]
    n = 400
    measured = np.where(rng.random(n) < 0.3, rng.choice(special, n), rng.integers(-3, 4, n) * 1.0)
    required = np.where(rng.random(n) < 0.3, rng.choice(special, n), rng.integers(-3, 4, n) * 1.0)
    measured[::7] = required[::7] * (1 - 1e-10)  # within the tolerance of the threshold
    measured[3::7] = required[3::7] * (1 - 1e-8)  # just outside it
    step = rules._FEW_SUBJECTS
    for threshold in [required, *special, 3]:
        whole = rules.compare(measured, threshold, op)  # n > _FEW_SUBJECTS: the array paths
        for a in range(0, n, step):
            sl = slice(a, a + step)
            part = rules.compare(measured[sl], threshold[sl] if isinstance(threshold, np.ndarray) else threshold, op)
            assert part.value.tolist() == whole.value[sl].tolist()
            assert part.known.tolist() == whole.known[sl].tolist()
            assert part.value.dtype == part.known.dtype == np.dtype(bool) and part.value.shape == (len(part.known),)


def test_table_rows_written_as_the_json_encoder_writes_them() -> None:
    import json

    from shequ_gov._table import Table

    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    tables = [
        Table({"policy": ["loudi", "loudi"], "rule": ["loudi.a", "loudi.b"], "pass": np.array([1, 0]),
               "fail": [0, 2], "pass_rate": np.array([1.0, np.nan])}),
        Table({"a": [-0.0, 0.1, 1e-300, 5e-324], "b": [1e22, 2.0**53 + 2, float("nan"), None],
               "社区": ["", 'quote " back \\ nl \n 社区 \u2028 \x00', "x", "x"], "c": [True, False, 10**30, -7],
               "d": [[1, 2.5, None], {"z": 1}, np.float64(0.25), np.float64("nan")]}),
        Table({"empty": []}),
        Table({}),
    ]
    for table in tables:
        assert list(_writers._table_json(table, enc)) == [enc(_writers._clean(r)) for r in table.rows()]
    for bad in (float("inf"), -float("inf")):
        with pytest.raises(ValueError):
            enc(_writers._clean({"r": bad}))
        with pytest.raises(ValueError):
            list(_writers._table_json(Table({"r": [1.0, bad]}), enc))


@pytest.mark.parametrize("op", [">=", "<="])
def test_few_range_comparisons_match_the_array_path(op: str) -> None:
    from shequ_gov import rules

    rng = np.random.default_rng(12)
    n = 400

    def numbers() -> np.ndarray:
        x = rng.integers(0, 6, n) * 1.0
        x[rng.random(n) < 0.15] = np.nan
        return x

    def ranged() -> rules.Range:
        lo = numbers()
        return rules.Range(lo, lo + rng.integers(0, 3, n))

    step = rules._FEW_SUBJECTS
    for measured, required in [(numbers(), ranged()), (ranged(), numbers()), (ranged(), ranged()),
                               (ranged(), 3.0), (rules.Range(2.0, 4.0), numbers()), (ranged(), rules.Range(1.0, 3.0))]:
        whole = rules.compare(measured, required, op)

        def part(x: object, sl: slice) -> object:
            if isinstance(x, rules.Range):
                return rules.Range(x.low[sl] if x.low.ndim else x.low, x.high[sl] if x.high.ndim else x.high)
            return x[sl] if isinstance(x, np.ndarray) else x

        for a in range(0, n, step):
            sl = slice(a, a + step)
            t = rules.compare(part(measured, sl), part(required, sl), op)
            assert t.value.tolist() == whole.value[sl].tolist() and t.known.tolist() == whole.known[sl].tolist()


@pytest.mark.parametrize("communities,seed", _SMALL_DOCS)
def test_few_values_fingerprinted_as_the_column_path_does(communities: int, seed: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from shequ_gov import _columns

    for doc in (sg.synth.generate(communities, seed=seed).to_dict(), _stripped(communities, seed)):
        doc["communities"][0]["households"] = -0.0  # stored as given, fingerprinted as 0.0
        st = sg.Dataset.from_dict(doc)._st
        few = _columns.fingerprint(st)
        monkeypatch.setattr(_columns, "_FEW_VALUES", 0)  # every column through the array tests
        assert _columns.fingerprint(st) == few
        monkeypatch.undo()
        doc["communities"][0]["households"] = 0.0
        assert sg.Dataset.from_dict(doc).fingerprint() == few


def test_few_contiguous_runs_match_the_array_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from shequ_gov import rules

    rng = np.random.default_rng(13)
    cases = [np.array([], np.int64), np.array([-1, -1]), np.array([0, 0, 1, 2, 2]), np.array([0, -1, 0]),
             np.array([1, 0]), np.array([-1, 0, 0, -1, 2, -1])]
    for _ in range(300):
        n = int(rng.integers(1, 6))
        of = np.sort(rng.integers(-1, n, int(rng.integers(0, 9))))
        if rng.random() < 0.5:
            of[rng.random(len(of)) < 0.3] = -1
        if rng.random() < 0.2:
            rng.shuffle(of)
        cases.append(of.astype(np.int64))
    for of in cases:
        n = int(of.max()) + 1 + int(rng.integers(0, 2)) if len(of) else 2
        few = rules._contiguous(of, n)
        monkeypatch.setattr(rules, "_FEW_RECORDS", -1)
        whole = rules._contiguous(of, n)
        monkeypatch.undo()
        assert (few is None) == (whole is None), of
        if few is not None:
            assert few[0].tolist() == whole[0].tolist() and few[1].tolist() == whole[1].tolist(), of
            assert few[0].dtype == whole[0].dtype == np.int64


@pytest.mark.parametrize("field,value", [("new_build", "yes"), ("new_build", 1), ("new_build", None), ("new_build", False),
                                         ("area_type", "suburb"), ("area_type", 3), ("area_type", "urban"),
                                         ("post", 3), ("post", 99), ("post", "1"), ("grade", -5), ("grade", 2.0),
                                         ("role", "boss"), ("role", None), ("funded", "no")])
def test_few_coded_values_read_as_the_column_path_reads_them(field: str, value: object,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from shequ_gov import _columns

    doc = sg.synth.generate(2, seed=3).to_dict()
    for c in doc["communities"]:
        if field in ("new_build", "area_type"):
            c[field] = value
        else:
            for r in c.get("staff" if field in ("post", "grade") else "tasks") or []:
                r[field] = value

    def read() -> object:
        try:
            ds = sg.Dataset.from_dict(doc)
            return ds.fingerprint(), [len(getattr(ds._st, t)) for t in ("facilities", "staff", "tasks")]
        except sg.ValidationError as exc:
            return exc.problems

    few = read()
    monkeypatch.setattr(_columns, "_FEW_VALUES", 0)  # every column through the whole-column path
    monkeypatch.setattr(_columns, "_FEW_RECORDS", -1)  # and every child table's offsets by a running sum
    assert read() == few
