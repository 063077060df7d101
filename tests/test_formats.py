"""Every format is lossless: Parquet (plain and partitioned), Arrow tables, pandas frames, JSON and
gzip JSON give the same dataset back, and evaluating it gives byte-identical report JSON.
Hostile and foreign Parquet is a ValidationError naming table, row and column."""

import json
import os
import sys

import pytest

import shequ_gov as sg
from shequ_gov import synth

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")

from test_schema import full_document  # noqa: E402


@pytest.fixture(scope="module")
def tiny():
    return synth.generate("tiny", seed=3)


def _via(ds, how, tmp_path):
    if how == "arrow":
        return sg.Dataset.from_arrow(ds.to_arrow())
    if how == "frames":
        return sg.Dataset.from_frames(**ds.to_frames())
    if how == "parquet-partitioned":
        ds.write(tmp_path / "p.parquet", partition_by="province")
        return sg.Dataset.read(tmp_path / "p.parquet")
    p = tmp_path / f"x.{how}"
    ds.write(p)
    return sg.Dataset.read(p)


FORMATS = ["json", "json.gz", "parquet", "parquet-partitioned", "arrow", "frames"]


@pytest.mark.parametrize("how", FORMATS)
def test_every_format_gives_the_same_dataset_and_byte_identical_reports(tiny, tmp_path, how):
    back = _via(tiny, how, tmp_path)
    assert back.fingerprint() == tiny.fingerprint()
    assert back.to_dict() == tiny.to_dict()
    a = sg.evaluate(tiny, mode="what-if", as_of="2024-06-30").to_json()
    b = sg.evaluate(back, mode="what-if", as_of="2024-06-30").to_json()
    assert a == b


@pytest.mark.parametrize("how", FORMATS)
def test_every_declared_field_survives_every_format(tmp_path, how):
    ds = sg.Dataset.from_dict(full_document())
    assert _via(ds, how, tmp_path).to_dict() == ds.to_dict()


def test_parquet_layout_and_metadata(tiny, tmp_path):
    """Five tables; the schema version and fingerprint in each table's metadata; hive partitions."""
    tiny.write(tmp_path / "x.parquet")
    assert sorted(os.listdir(tmp_path / "x.parquet")) == sorted(
        f"{t}.parquet" for t in ("regions", "communities", "facilities", "staff", "tasks"))
    meta = pq.read_schema(tmp_path / "x.parquet" / "communities.parquet").metadata
    assert meta[b"shequ_gov.schema"] == b"shequ-gov/1"
    assert meta[b"shequ_gov.fingerprint"].decode() == tiny.fingerprint()
    tiny.write(tmp_path / "p.parquet", partition_by="province")
    parts = sorted(os.listdir(tmp_path / "p.parquet" / "communities"))
    assert parts and all(p.startswith("province=") for p in parts)
    # readable by pyarrow's own dataset reader, the way Dask and DuckDB read it
    t = pq.read_table(tmp_path / "p.parquet" / "communities", partitioning="hive")
    assert t.num_rows == len(tiny)


def test_writing_parquet_replaces_atomically(tiny, tmp_path):
    """A second write replaces the directory whole and leaves no temporary directory behind."""
    p = tmp_path / "x.parquet"
    tiny.write(p)
    small = tiny.subtree("431302")
    small.write(p)
    assert sg.Dataset.read(p) == small
    assert [x for x in os.listdir(tmp_path) if x.startswith(".")] == []


def test_frames_have_friendly_types(tiny):
    f = tiny.to_frames()
    assert set(f) == {"regions", "communities", "facilities", "staff", "tasks"}
    assert str(f["communities"]["households"].dtype) == "Int64"
    assert str(f["communities"]["new_build"].dtype) == "boolean"
    assert isinstance(f["communities"]["area_type"].dtype, pd.CategoricalDtype)


def test_without_the_extra_the_error_names_it(monkeypatch, tiny):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"shequ-gov\[arrow\]"):
        tiny.to_arrow()


# --- hostile Parquet ---------------------------------------------------------------------------

def _tamper(ds, tmp_path, table, change):
    ds.write(tmp_path / "t.parquet")
    f = tmp_path / "t.parquet" / f"{table}.parquet"
    t = pq.read_table(f)
    pq.write_table(change(t), f)
    return tmp_path / "t.parquet"


def _set(column, row, value, type_=None):
    def change(t):
        values = t.column(column).to_pylist()
        values[row] = value
        i = t.column_names.index(column)
        typ = type_ or t.schema.field(column).type
        if pa.types.is_dictionary(typ):
            typ = typ.value_type
        return t.set_column(i, column, pa.array(values, typ))
    return change


def _drop(column):
    return lambda t: t.drop_columns([column])


def _add(column, value):
    return lambda t: t.append_column(column, pa.array([value] * t.num_rows))


def _retype(column, typ):
    def change(t):
        i = t.column_names.index(column)
        return t.set_column(i, column, pa.array([str(v) for v in t.column(column).to_pylist()], typ))
    return change


PARQUET_CASES = [
    ("negative count", "communities", _set("households", 2, -5), "communities[2]", "households"),
    ("fraction above one", "communities", _set("burden.admin_work_share", 1, 1.5), "communities[1]",
     "burden.admin_work_share"),
    ("unknown vocabulary key", "communities", _set("area_type", 0, "metropolis"), "communities[0]", "area_type"),
    ("infinite quantity", "facilities", _set("area", 3, float("inf")), "facilities[3]", "area"),
    ("post out of range", "staff", _set("post", 0, 9), "staff[0]", "post"),
    ("unknown role", "staff", _set("roles", 1, ["chief"]), "staff[1]", "roles"),
    ("rating year out of range", "staff", _set("ratings", 2, [("1800", "competent")]), "staff[2]", "ratings"),
    ("unknown rating", "staff", _set("ratings", 2, [("2020", "heroic")]), "staff[2]", "ratings.2020"),
    ("task without a kind", "tasks", _set("kind", 0, None), "tasks[0]", "kind"),
    ("record of no community", "staff", _set("community", 0, "431302009999"), "staff[0]", "community"),
    ("count that does not match", "communities", _set("n_staff", 4, 99), "communities[4]", "n_staff"),
    ("13-digit code", "communities", _set("code", 1, "4313020010011"), "communities[1]", "code"),
    ("full-width digits", "communities", _set("code", 1, "４３１３０２００１００１"), "communities[1]", "code"),
    ("empty name", "regions", _set("name", 0, "  "), "regions[0]", "name"),
    ("unknown column", "communities", _add("housholds", 1), "communities", "housholds"),
    ("missing required column", "facilities", _drop("kind"), "facilities", "kind"),
    ("numbers as text", "communities", _retype("households", pa.string()), "communities[", "households"),
    ("level against the code", "regions", _set("level", 0, "street"), "regions[0]", "level"),
]


@pytest.mark.parametrize("case", PARQUET_CASES, ids=[c[0] for c in PARQUET_CASES])
def test_tampered_parquet_is_a_validation_error_naming_table_row_and_column(tiny, tmp_path, case):
    _, table, change, row, column = case
    path = _tamper(tiny, tmp_path, table, change)
    with pytest.raises(sg.ValidationError) as info:
        sg.Dataset.read(path)
    problems = info.value.problems
    assert any(loc.startswith(row) and column in loc for loc, _ in problems), problems
    assert info.value.source == str(path)


def test_foreign_and_damaged_parquet(tiny, tmp_path):
    """A foreign Parquet file, a missing table and a truncated file are named, not tracebacks."""
    d = tmp_path / "f.parquet"
    d.mkdir()
    pq.write_table(pa.table({"x": [1, 2]}), d / "communities.parquet")
    with pytest.raises(sg.ValidationError) as info:
        sg.Dataset.read(d)
    locs = [loc for loc, _ in info.value.problems]
    assert "regions" in locs and "communities.x" in locs and "communities.code" in locs
    tiny.write(tmp_path / "t.parquet")
    f = tmp_path / "t.parquet" / "staff.parquet"
    f.write_bytes(f.read_bytes()[:200])
    with pytest.raises(sg.ValidationError, match="staff"):
        sg.Dataset.read(tmp_path / "t.parquet")
    (tmp_path / "plain.parquet").write_text("not parquet")
    with pytest.raises(sg.ValidationError, match="directory"):
        sg.Dataset.read(tmp_path / "plain.parquet")


def test_a_table_of_another_schema_version_is_refused(tiny):
    tables = tiny.to_arrow()
    t = tables["regions"]
    tables["regions"] = t.replace_schema_metadata({**t.schema.metadata, b"shequ_gov.schema": b"shequ-gov/9"})
    with pytest.raises(sg.ValidationError, match="shequ-gov/9"):
        sg.Dataset.from_arrow(tables)


def test_frames_with_wrong_types_are_named(tiny):
    f = tiny.to_frames()
    f["communities"].loc[0, "households"] = -1
    with pytest.raises(sg.ValidationError) as info:
        sg.Dataset.from_frames(**f)
    assert any(loc.startswith("communities[0]") and loc.endswith("households") for loc, _ in info.value.problems)
    with pytest.raises(sg.ValidationError, match="DataFrame"):
        sg.Dataset.from_frames(regions=json.dumps({}), communities=f["communities"])


def test_the_white_space_of_names_is_pythons():
    """Names are checked for white space in Arrow with the characters ``str.strip`` removes."""
    from shequ_gov._arrow import _SPACE

    assert _SPACE == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
