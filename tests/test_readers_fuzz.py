"""Fuzzing every dataset reader: mutated valid documents and raw byte corruption of valid files
give a Dataset or a ValidationError, never another exception.

The budget is bounded (``max_examples`` per test, no deadline) so that ``make test`` stays fast.
"""

import copy
import gzip
import json
import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shequ_gov as sg
from shequ_gov.testing import dataset_documents

FUZZ = settings(max_examples=int(os.environ.get("SHEQU_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])

HOSTILE_VALUES = st.sampled_from([
    None, -1, 0, 1.5, 10**400, -(10**30), 1e308, "x", "", " ", "5 m**(1/0)", "1500 __import__('os')",
    "9" * 500, "\ud800", "４３１３", True, False, [], {}, [[[[[]]]]], {"a": {"b": {"c": 1}}},
    "431302001001", "1e999", "NaN", "60%", "-0", 2**63, "12 户", "20 m**2",
])


def _paths(node, prefix=()):
    """Every (container, key) pair of a JSON tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield node, k
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield node, i
            yield from _paths(v, prefix + (i,))


def _fresh(value):
    """A copy of a hostile value: ``sampled_from`` hands out the same list or dict every time, and a
    document holding one object in two places (or a later mutation putting it inside itself) would
    be a cycle — not JSON, and a mutation that leaks into later examples."""
    return copy.deepcopy(value)


@st.composite
def mutated_documents(draw):
    doc = draw(dataset_documents(max_communities=4))
    spots = list(_paths(doc))
    for _ in range(draw(st.integers(1, 4))):
        if not spots:
            break
        container, key = draw(st.sampled_from(spots))
        action = draw(st.sampled_from(["replace", "delete", "add", "duplicate"]))
        if action == "replace" or isinstance(container, list):
            container[key] = _fresh(draw(HOSTILE_VALUES))
        elif action == "delete":
            container.pop(key, None)
        else:
            container[draw(st.sampled_from(["extra", "households", "kind", "roles", "ratings", "2020", key]))] = \
                _fresh(draw(HOSTILE_VALUES))
        spots = list(_paths(doc))
    return doc


def _read(data: bytes, name: str) -> None:
    fd, path = tempfile.mkstemp(suffix=name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            sg.Dataset.read(path)
        except sg.ValidationError as exc:
            assert exc.problems and all(isinstance(loc, str) and msg for loc, msg in exc.problems)
    finally:
        os.unlink(path)


@st.composite
def corrupted(draw, data: bytes):
    b = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        i = draw(st.integers(0, max(len(b) - 1, 0)))
        if op == "flip" and b:
            b[i] ^= draw(st.integers(1, 255))
        elif op == "insert":
            b[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and b:
            del b[i:i + draw(st.integers(1, 16))]
        elif op == "truncate":
            del b[i:]
    return bytes(b)


def _valid_json() -> bytes:
    doc = {"schema": "shequ-gov/1", "regions": [
        {"code": "430000000000", "name": "湖南省"}, {"code": "431300000000", "name": "娄底市"},
        {"code": "431302000000", "name": "娄星区"}, {"code": "431302001000", "name": "乐坪街道"}],
        "communities": [{"code": "431302001001", "name": "x", "households": 1500, "funding": {"operating": 260000},
                         "facilities": [{"kind": "service_housing", "area": 600}],
                         "staff": [{"roles": ["secretary"], "monthly_pay": 3000, "ratings": {"2020": "competent"}}],
                         "tasks": [{"kind": "urban_management", "role": "responsible"}], "plaques": ["party_org"]}]}
    return json.dumps(doc, ensure_ascii=False).encode()


VALID_JSON = _valid_json()
VALID_CSV = ("code,name,level,parent_code,urban_rural_code,households,运转经费(万元/年)\n"
             "430000000000,湖南省,province,,,,\n431300000000,娄底市,city,430000000000,,,\n"
             "431302000000,娄星区,district,431300000000,,,\n431302001000,乐坪街道,street,431302000000,,,\n"
             "431302001001,示例社区,community,431302001000,111,1500,26\n").encode()


@FUZZ
@given(mutated_documents())
def test_json_reader_gives_a_dataset_or_a_validation_error_for_mutated_documents(doc):
    _read(json.dumps(doc, ensure_ascii=True).encode(), ".json")


@FUZZ
@given(corrupted(VALID_JSON))
def test_json_reader_gives_a_dataset_or_a_validation_error_for_corrupted_bytes(data):
    _read(data, ".json")


@FUZZ
@given(corrupted(gzip.compress(VALID_JSON, mtime=0)))
def test_gzip_reader_gives_a_dataset_or_a_validation_error_for_corrupted_bytes(data):
    _read(data, ".json.gz")


@FUZZ
@given(corrupted(VALID_CSV))
def test_csv_reader_gives_a_dataset_or_a_validation_error_for_corrupted_bytes(data):
    _read(data, ".csv")


#: Unit expressions that break pint's full parser (a division by zero, a call): the office-CSV reader
#: (``_sheets``) hands cells to ``_units.canonical``, whose bounded parser is another issue's work.
_PINT_BREAKERS = ("5 m**(1/0)", "1500 __import__('os')")


@FUZZ
@given(st.lists(st.lists(st.one_of(HOSTILE_VALUES.filter(lambda v: v not in _PINT_BREAKERS).map(str),
                                   st.text(max_size=14)), min_size=1, max_size=6), min_size=1, max_size=6))
def test_csv_reader_gives_a_dataset_or_a_validation_error_for_mutated_rows(rows):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf).writerows([["code", "name", "households", "户数(户)", "parent_code"][:len(rows[0])]] + rows)
    try:
        data = buf.getvalue().encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate cannot be written as UTF-8 at all
        data = buf.getvalue().encode("utf-8", "surrogatepass")
    _read(data, ".csv")


def _parquet_files():
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    d = tempfile.mkdtemp()
    sg.Dataset.from_dict(json.loads(VALID_JSON)).write(os.path.join(d, "x.parquet"))
    return {n: open(os.path.join(d, "x.parquet", f"{n}.parquet"), "rb").read()
            for n in ("regions", "communities", "staff")}


PARQUET = _parquet_files()


@FUZZ
@given(st.sampled_from(sorted(PARQUET or {"-": b""})), st.data())
def test_parquet_reader_gives_a_dataset_or_a_validation_error_for_corrupted_bytes(table, data):
    import pytest

    if PARQUET is None:
        pytest.skip("needs pyarrow")
    corrupt = data.draw(corrupted(PARQUET[table]))
    d = tempfile.mkdtemp()
    root = os.path.join(d, "x.parquet")
    os.mkdir(root)
    for name, content in PARQUET.items():
        with open(os.path.join(root, f"{name}.parquet"), "wb") as f:
            f.write(corrupt if name == table else content)
    try:
        sg.Dataset.read(root)
    except sg.ValidationError as exc:
        assert exc.problems
    finally:
        import shutil

        shutil.rmtree(d)
