"""Per-community aggregates of the child tables: every counting path gives what counting the owners gives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ_gov import _columns as C
from shequ_gov import rules


def _table(lengths: list[int]) -> rules.ChildInputs:
    lengths_ = np.asarray(lengths, dtype=np.int64)
    offsets = np.zeros(len(lengths_) + 1, dtype=np.int64)
    np.cumsum(lengths_, out=offsets[1:])
    owner = np.repeat(np.arange(len(lengths_), dtype=np.int32), lengths_)
    return rules.ChildInputs("staff", C.Child(owner, offsets, {}), np.ones(len(lengths_), bool))


def _expected(child: rules.ChildInputs, m: np.ndarray) -> list[int]:
    return np.bincount(child.owner[m], minlength=child._n).tolist()


@st.composite
def tables_and_masks(draw: st.DrawFn) -> tuple[list[int], np.ndarray]:
    lengths = draw(st.lists(st.integers(0, 19), min_size=1, max_size=300))
    size = sum(lengths)
    density = draw(st.sampled_from([0.0, 0.005, 0.03, 0.3, 0.5, 0.9, 0.97, 0.995, 1.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    return lengths, np.random.default_rng(seed).random(size) < density


@settings(max_examples=300, deadline=None)
@given(tables_and_masks())
def test_bit_counts_equal_the_count_of_true_records_per_owner(case: tuple[list[int], np.ndarray]) -> None:
    lengths, m = case
    child = _table(lengths)
    assert child._bit_counts(np.packbits(m), len(m)).tolist() == _expected(child, m)


@settings(max_examples=300, deadline=None)
@given(tables_and_masks())
def test_segment_counts_by_any_path_equal_the_count_of_true_records_per_owner(
        case: tuple[list[int], np.ndarray]) -> None:
    lengths, m = case
    child = _table(lengths)
    assert child._segment_counts(m).tolist() == _expected(child, m)
    frozen = m.copy()
    frozen.setflags(write=False)  # the path that keeps the result for the evaluation
    assert child._segment_counts(frozen).tolist() == _expected(child, m)
    assert child._segment_counts(frozen).tolist() == _expected(child, m)


@pytest.mark.parametrize("size", [64, 65, 71, 72, 1024, 1031])
def test_bit_counts_at_every_alignment_of_the_last_byte(size: int) -> None:
    # one community per record, then the records split unevenly: every offset % 8 occurs, and a
    # table whose length is a multiple of 8 reads the byte past its last one
    rng = np.random.default_rng(size)
    for lengths in ([1] * size, [3, 0, 5] * (size // 8) + [size - 8 * (size // 8)]):
        child = _table(lengths)
        for density in (0.1, 0.5, 0.9):
            m = rng.random(sum(lengths)) < density
            assert child._bit_counts(np.packbits(m), len(m)).tolist() == _expected(child, m)


def test_bit_counts_without_numpys_bit_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # numpy before 2.0 has no bitwise_count: the table of a byte's set bits counts them
    child = _table([5, 0, 17, 8, 3, 1, 0, 12] * 20)
    m = np.random.default_rng(0).random(len(child)) < 0.4
    expected = _expected(child, m)
    monkeypatch.delattr(np, "bitwise_count")
    assert child._bit_counts(np.packbits(m), len(m)).tolist() == expected


def test_a_mask_counted_again_after_it_changed_is_counted_anew() -> None:
    # counts are shared by the mask's bits, never by the array object: a rule that changes its own
    # mask in place between two counts gets the count of what the mask holds each time
    child = _table([3, 7, 0, 12, 5] * 40)
    rng = np.random.default_rng(1)
    m = rng.random(len(child)) < 0.5
    first = child._segment_counts(m)
    assert first.tolist() == _expected(child, m)
    m[::3] = ~m[::3]
    assert child._segment_counts(m).tolist() == _expected(child, m)
    assert first.tolist() != _expected(child, m)
    again = m.copy()  # the same records in another array: the count made for *m* is given back
    assert child._segment_counts(again) is child._segment_counts(m)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=40))
def test_shared_counts_equal_fresh_counts_for_any_sequence_of_masks(seeds: list[int]) -> None:
    # more masks than the table keeps, some repeated: every answer is the count of its own mask
    child = _table([4, 0, 9, 2, 6, 1] * 30)
    pool = [np.random.default_rng(s % 11).random(len(child)) < (s % 7 + 1) / 8 for s in seeds]
    for m in pool:
        assert child._segment_counts(m).tolist() == _expected(child, m)


def test_row_blocks_benchmark_joins_blocks_into_the_whole_columns_verdicts_and_numbers() -> None:
    # the ``row_blocks`` benchmark's alternative to whole columns must compute the same thing, or its
    # timing compares nothing: every community-level rule, run block by block and joined, gives the
    # verdicts and numbers of one run over the whole columns
    import datetime as dt
    import sys
    from pathlib import Path

    import shequ_gov as sg
    from shequ_gov._vocab import Level

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        from benchmarks.row_blocks import block_inputs, joined
    finally:
        sys.path.pop(0)
    ds = sg.synth.generate(3000, seed=4)
    day = dt.date(2024, 6, 30)
    whole = rules.CommunityInputs(ds._st)
    views = block_inputs(ds._st, 700)
    assert [v.n for v in views] == [600] * 5
    ran = 0
    for pol in (sg.policies.load(name) for name in sg.policies.available()):
        for rule in pol.rules:
            if rule.level is not Level.COMMUNITY or not rule.in_force(day):
                continue
            p = pol.params(day).for_rule(rule)
            a, b = rule.function(whole, p), joined([rule.function(v, p) for v in views])
            assert np.array_equal(a.result.value, b.result.value) and np.array_equal(a.result.known, b.result.known)
            for x, y in [(a.measured, b.measured), (a.required, b.required)] + \
                    [(a.inputs[k][0], b.inputs[k][0]) for k in a.inputs]:
                if x is not None:
                    np.testing.assert_array_equal(np.broadcast_to(x, (len(ds),)), np.broadcast_to(y, (len(ds),)))
            for t in a.violations:
                assert np.array_equal(np.asarray(a.violations[t]), b.violations[t])
            ran += 1
    assert ran >= 40


_SPECIAL = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 3.5, 1e300]


@st.composite
def tables_values_masks(draw: st.DrawFn) -> tuple[list[int], np.ndarray, np.ndarray | None, np.ndarray]:
    lengths = draw(st.lists(st.integers(0, 11), min_size=1, max_size=120))
    size = sum(lengths)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    special = np.array(_SPECIAL)[rng.integers(0, len(_SPECIAL), size)]
    values = np.where(rng.random(size) < draw(st.sampled_from([0.0, 0.5, 1.0])), special, rng.normal(size=size))
    mask = None if draw(st.booleans()) else rng.random(size) < draw(st.sampled_from([0.0, 0.6, 1.0]))
    return lengths, values, mask, rng.random(len(lengths)) < 0.9


@settings(max_examples=200, deadline=None)
@given(tables_values_masks(), st.sampled_from([7, 1 << 16]))
def test_min_and_max_equal_the_fold_of_each_communitys_selected_values(
        case: tuple[list[int], np.ndarray, np.ndarray | None, np.ndarray], block: int) -> None:
    # the fold of the selected records' values (NaN if one is NaN or the list is missing, *empty* if
    # none is selected or all are ±inf at the fold's start), at any block size
    lengths, values, mask, known = case
    child = _table(lengths)
    child.known = known
    offsets = np.r_[0, np.cumsum(lengths)].astype(int)
    old = rules._BLOCK
    rules._BLOCK = block
    try:
        for method, fold, start in ((child.min, min, np.inf), (child.max, max, -np.inf)):
            got = method(values, mask, empty=-7.0)
            expected = []
            for c in range(len(lengths)):
                chosen = [values[r] for r in range(offsets[c], offsets[c + 1]) if mask is None or mask[r]]
                if not known[c] or any(np.isnan(x) for x in chosen):
                    expected.append(np.nan)
                    continue
                out = fold([start, *chosen])
                expected.append(-7.0 if out == start else out)
            assert np.array_equal(got, np.array(expected), equal_nan=True)
    finally:
        rules._BLOCK = old


def test_counts_kept_by_content_stay_bounded_when_hashes_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    # the last _COUNTED masks' counts are kept per table, whatever their tags (count of true records,
    # hash of the bits): masks whose tags collide are separate entries, each counted against the bound
    monkeypatch.setattr(rules, "hash", lambda b: 0, raising=False)  # force every tag to collide
    child = _table([5, 3, 0, 9, 7] * 30)
    base = np.zeros(len(child), bool)
    base[: len(child) // 2] = True  # same number of true records in every mask: same k
    rng = np.random.default_rng(0)
    for _ in range(50):
        m = rng.permutation(base)
        assert child._segment_counts(m).tolist() == np.bincount(child.owner[m], minlength=child._n).tolist()
    kept = len(child._cache["counted"])
    assert kept <= rules._COUNTED, f"{kept} masks' counts kept, the bound is {rules._COUNTED}"


def _keyed_table(lengths: list[int], codes: np.ndarray, n_keys: int) -> rules.ChildInputs:
    t = _table(lengths)
    t._child = C.Child(t._child.owner, t._child.offsets, {"key": codes.astype(np.int32)},
                       [f"k{i}" for i in range(n_keys)])
    return t


@pytest.mark.parametrize("n_keys", [5, 90])  # presence bits, and the community × key table beyond 64 keys
def test_key_aggregates_leave_out_records_whose_key_is_missing_and_count_each_listed_key_once(n_keys: int) -> None:
    rng = np.random.default_rng(n_keys)
    lengths = [0, 4, 1, 7, 3] * 12
    size = sum(lengths)
    codes = rng.integers(0, n_keys, size)
    codes[rng.random(size) < 0.2] = -1  # missing keys, the first community's included
    codes[4] = -1
    t = _keyed_table(lengths, codes, n_keys)
    owner = t.owner
    mask = rng.random(size) < 0.7
    for m in (None, mask):
        sel = (codes >= 0) if m is None else (codes >= 0) & m
        expected = [len(set(codes[(owner == c) & sel].tolist())) for c in range(len(lengths))]
        assert t.distinct_count("key", m).tolist() == expected
    listed = ["k1", "k3", "k1", "nope"]
    expected = [len({1, 3} & set(codes[owner == c].tolist())) for c in range(len(lengths))]
    assert t.present_count(listed, "key").tolist() == expected
    values = rng.random(size)
    count, total, nans = t.key_matrix("key", values)
    for c in range(len(lengths)):
        for k in range(n_keys):
            rows = (owner == c) & (codes == k)
            assert count[c, k] == rows.sum() and total[c, k] == pytest.approx(values[rows].sum())
    assert count.sum() == np.count_nonzero(codes >= 0)
