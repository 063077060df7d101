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
    density = draw(st.sampled_from([0.0, 0.005, 0.03, 0.3, 0.5, 0.97, 0.995, 1.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    return lengths, np.random.default_rng(seed).random(size) < density


@settings(max_examples=300, deadline=None)
@given(tables_and_masks())
def test_bit_counts_equal_the_count_of_true_records_per_owner(case: tuple[list[int], np.ndarray]) -> None:
    lengths, m = case
    child = _table(lengths)
    assert child._bit_counts(m).tolist() == _expected(child, m)


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
            assert child._bit_counts(m).tolist() == _expected(child, m)


def test_bit_counts_without_numpys_bit_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # numpy before 2.0 has no bitwise_count: the table of a byte's set bits counts them
    child = _table([5, 0, 17, 8, 3, 1, 0, 12] * 20)
    m = np.random.default_rng(0).random(len(child)) < 0.4
    expected = _expected(child, m)
    monkeypatch.delattr(np, "bitwise_count")
    assert child._bit_counts(m).tolist() == expected
