"""The dataset fingerprint, hashed from column buffers: the same for the same data whatever its
format, different for any changed value, stable across versions unless the schema changes."""

import copy

import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov import _columns as C
from shequ_gov import _schema as S

from test_schema import full_document, scalar_members  # noqa: E402


@pytest.fixture(scope="module")
def full():
    return full_document()


def test_the_same_data_has_the_same_fingerprint_in_every_format(full, tmp_path):
    """Dict, objects, JSON and gzip JSON give one fingerprint."""
    ds = sg.Dataset.from_dict(full)
    doc = ds.to_dict()
    others = [sg.Dataset.from_dict(doc),
              sg.Dataset.from_objects([sg.Region(**r) for r in doc["regions"]],
                                      [sg.Community(**c) for c in doc["communities"]])]
    for name in ("a.json", "a.json.gz"):
        ds.write(tmp_path / name)
        others.append(sg.Dataset.read(tmp_path / name))
    assert {o.fingerprint() for o in others} == {ds.fingerprint()}
    assert len(ds.fingerprint()) == 64


def test_csv_and_json_of_the_same_division_list_agree(tmp_path):
    """A CSV and the JSON written from it give one fingerprint."""
    p = tmp_path / "d.csv"
    p.write_text("code,name,level,parent_code,urban_rural_code\n430000000000,湖南省,province,,\n"
                 "431300000000,娄底市,city,430000000000,\n431302000000,娄星区,district,431300000000,\n"
                 "431302001000,乐坪街道,street,431302000000,\n431302001001,示例,community,431302001000,111\n",
                 encoding="utf-8")
    ds = sg.Dataset.read(p)
    ds.write(tmp_path / "d.json")
    assert sg.Dataset.read(tmp_path / "d.json").fingerprint() == ds.fingerprint()


@pytest.mark.parametrize("path", [p for p, _ in scalar_members()])
def test_changing_any_field_changes_the_fingerprint(full, path):
    """Every declared field takes part: removing its value (changing a required one) changes the fingerprint."""
    base = sg.Dataset.from_dict(full).fingerprint()
    doc = copy.deepcopy(full)
    table, *parts = path.split(".")
    node = doc[table[:-2]][0 if table == "communities[]" else -1]
    for part in parts[:-1]:
        node = node[part[:-2]][0] if part.endswith("[]") else node[part]
    m = dict(S.walk())[path]
    if m.required:
        node[parts[-1]] = next(k for k in m.vocab if k != node[parts[-1]])
    else:
        del node[parts[-1]]
    assert sg.Dataset.from_dict(doc).fingerprint() != base


def test_a_subtree_equals_the_same_data_built_directly(full):
    """A subtree (whose task-kind table still lists kinds of other communities) has the fingerprint
    of the same records built from scratch: open keys are re-interned."""
    doc = copy.deepcopy(full)
    other = copy.deepcopy(doc["communities"][0])
    other["code"] = "431302001002"
    other["tasks"] = [{"kind": "另一个事项"}]
    doc["communities"].append(other)
    sub = sg.Dataset.from_dict(doc).subtree("431302001001")
    assert sub.fingerprint() == sg.Dataset.from_dict(sub.to_dict()).fingerprint()


def test_a_field_missing_everywhere_is_left_out(full):
    """Data without a field hashes no column for it, so a new field leaves old fingerprints alone."""
    doc = copy.deepcopy(full)
    del doc["communities"][0]["staff"][0]["social_work_allowance"]
    names = [n for n, _ in C._fingerprint_parts(sg.Dataset.from_dict(doc)._st)]
    assert "staff.social_work_allowance" not in names and "staff.monthly_pay" in names


def test_nan_and_negative_zero_do_not_matter():
    """-0.0 and 0.0, and any NaN bit pattern, hash the same."""
    a = C._canonical(np.array([0.0, np.nan]))
    b = C._canonical(np.array([-0.0, np.frombuffer(np.uint64(0x7FF8000000000001).tobytes(), np.float64)[0]]))
    assert a.tobytes() == b.tobytes()


#: The fingerprint of a fixed document. It changes only with the schema (version, a field's path or
#: storage dtype) or the hashing itself; a change here must be a deliberate, documented one.
GOLDEN = "5dfd4aec18425430aab89e2e166cf3b5f9053d209645176fe2cfedaa91f80c8b"


def test_the_fingerprint_is_stable_across_versions(example_doc):
    fp = sg.Dataset.from_dict(example_doc).fingerprint()
    assert fp == GOLDEN
