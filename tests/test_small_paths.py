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
