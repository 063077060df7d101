"""The record declarations: walked, and every declared field round-tripped through every format.

A new field of the interchange format is one declaration in ``_schema`` (and test data made here
from the declaration itself): nothing in these tests names a field.
"""

import csv
import json

import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov import _schema as S

STREET = "431302001000"
REGIONS = [{"code": "430000000000", "name": "湖南省"}, {"code": "431300000000", "name": "娄底市"},
           {"code": "431302000000", "name": "娄星区"}, {"code": STREET, "name": "乐坪街道"}]


def sample(m):
    """A valid, non-missing value of a declared member (not its default or a boundary of 0)."""
    if isinstance(m, S.Field):
        k = m.kind
        if k == "count":
            return 7
        if k == "quantity":
            return 12.5
        if k == "share":
            return 0.25
        if k == "bool":
            return True
        if k == "enum":
            return list(m.vocab)[-1]
        if k == "int":
            return m.high
        if k == "key":
            return "自定义事项"
        if k == "keyset":
            return list(m.vocab)[:2]
        raise AssertionError(k)
    if isinstance(m, S.YearMap):
        return {"2022": sample(m.field)}
    if isinstance(m, S.Tags):
        return list(m.vocab)[:2]
    if isinstance(m, S.Group):
        return record(m.record)
    if isinstance(m, S.Children):
        return [record(m.record)]
    raise AssertionError(m)


def record(rec):
    return {m.name: sample(m) for m in rec.members if not (isinstance(m, S.Field) and m.kind in ("code", "text", "level"))}


def full_document():
    comm = {"code": "431302001001", "name": "全字段社区", **record(S.COMMUNITY)}
    regions = [dict(r) for r in REGIONS]
    for r in regions:
        r.update(record(S.REGION))
    return {"schema": "shequ-gov/1", "regions": regions, "communities": [comm]}


def scalar_members():
    return [(path, m) for path, m in S.walk() if isinstance(m, S.Field) and m.kind in S.SCALAR_KINDS]


def get_path(doc, path):
    """The value at an interchange path (``communities[].staff[].monthly_pay``) in the first records."""
    table, *rest = path.split(".")
    node = doc[table[:-2]][0 if table == "communities[]" else -1]
    for part in rest:
        node = node[part[:-2]][0] if part.endswith("[]") else node.get(part)
        if node is None:
            return None
    return node


def test_every_member_is_declared_once_with_labels_and_a_storage_type():
    """Every path is unique; every field has Chinese and English labels and a numpy dtype."""
    paths = [p for p, _ in S.walk()]
    assert len(paths) == len(set(paths))
    for path, m in S.walk():
        if isinstance(m, S.Field):
            assert m.zh and m.en, path
            np.dtype(m.dtype)
            if m.kind in ("enum", "key", "keyset"):
                assert m.vocab is not None, path
            if m.kind == "quantity":
                assert m.unit, path


def test_aliases_name_one_column_each():
    """No header (name, Chinese label or alias) stands for two different columns of a table."""
    for rec in (S.COMMUNITY, S.REGION):
        seen = {}
        for path, f in rec.columns():
            for h in (f.name, f.zh, *f.aliases):
                assert seen.setdefault(h, path) == path, (h, path, seen[h])


@pytest.mark.parametrize("header, path", [("户数", "households"), ("常住人口", "population"),
                                          ("社区类型", "area_type"), ("运转经费(万元/年)", "funding.operating"),
                                          ("职业津贴", None)])
def test_chinese_headers_resolve_to_columns(header, path):
    """Chinese spreadsheet headers map to flat column paths (staff fields are not community columns)."""
    assert S.community_headers().get(header) == path
    if path is None:
        assert "职业津贴" in S.STAFF.member("social_work_allowance").aliases + (S.STAFF.member("social_work_allowance").zh,)


def test_split_header_reads_a_unit_in_brackets():
    """``name(unit)`` headers give the unit; full-width brackets too; no brackets, no unit."""
    assert S.split_header("服务用房面积(平方米)") == ("服务用房面积", "平方米")
    assert S.split_header("运转经费（万元/年）") == ("运转经费", "万元/年")
    assert S.split_header(" 户数 ") == ("户数", None)
    assert S.facility_area_headers()["服务用房面积"] == "service_housing"


def test_every_field_round_trips_through_the_dict_format():
    """A document with every declared field set reads and writes back unchanged."""
    doc = full_document()
    ds = sg.Dataset.from_dict(doc)
    back = ds.to_dict()
    for path, m in scalar_members():
        want = get_path(doc, path)
        assert want is not None, path
        assert get_path(back, path) == want, path


def test_every_field_round_trips_through_json_files(tmp_path):
    """.json and .json.gz files keep every field, byte-identically on a second write."""
    ds = sg.Dataset.from_dict(full_document())
    for name in ("x.json", "x.json.gz"):
        ds.write(tmp_path / name)
        again = sg.Dataset.read(tmp_path / name)
        assert again.to_dict() == ds.to_dict()
        again.write(tmp_path / ("2" + name))
        assert (tmp_path / name).read_bytes() == (tmp_path / ("2" + name)).read_bytes()


def test_every_field_round_trips_through_attrs_objects():
    """Community(**d).to_dict() and Region(**d).to_dict() give d back for every field."""
    doc = sg.Dataset.from_dict(full_document()).to_dict()
    c = doc["communities"][0]
    assert sg.Community(**c).to_dict() == c
    for r in doc["regions"]:
        assert sg.Region(**r).to_dict() == r
    assert sg.Dataset.from_objects([sg.Region(**r) for r in doc["regions"]],
                                   [sg.Community(**c)]).to_dict() == doc


@pytest.mark.parametrize("by", ["path", "chinese"])
def test_every_scalar_column_round_trips_through_csv(tmp_path, by):
    """Every community and region scalar reads from a CSV column named by its path or its Chinese label."""
    doc = full_document()
    comm_cols = list(S.COMMUNITY.columns())
    region_cols = [(f.name, f) for f in S.REGION_FIELDS]
    header = ["code", "name"] + [(p if by == "path" else f.zh) for p, f in comm_cols + region_cols]

    def cell(v):
        return "true" if v is True else "false" if v is False else str(v)

    rows = []
    for r in doc["regions"]:
        rows.append([r["code"], r["name"]] + [""] * len(comm_cols) + [cell(r[p]) for p, _ in region_cols])
    c = doc["communities"][0]
    rows.append([c["code"], c["name"]] + [cell(get_path(doc, "communities[]." + p)) for p, _ in comm_cols]
                + [""] * len(region_cols))
    with open(tmp_path / "x.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header] + rows)
    back = sg.Dataset.read(tmp_path / "x.csv").to_dict()
    for p, _ in comm_cols:
        assert get_path(back, "communities[]." + p) == get_path(doc, "communities[]." + p), p
    for p, _ in region_cols:
        assert back["regions"][-1][p] == doc["regions"][-1][p], p


@pytest.mark.parametrize("path", [p for p, _ in scalar_members() if p.startswith("communities[]")])
def test_each_field_alone_is_stored_and_missing_stays_missing(path):
    """Setting one field leaves every other one missing (None), and the one set reads back."""
    doc = {"schema": "shequ-gov/1", "regions": REGIONS, "communities": [{"code": "431302001001", "name": "x"}]}
    node = doc["communities"][0]
    parts = path.split(".")[1:]
    m = dict(S.walk())[path]
    for part in parts[:-1]:
        if part.endswith("[]"):
            child = S.COMMUNITY.member(part[:-2]) if node is doc["communities"][0] else None
            first = {mm.name: sample(mm) for mm in (child.record.members if child else ())
                     if isinstance(mm, S.Field) and mm.required}
            node[part[:-2]] = [first]
            node = first
        else:
            node = node.setdefault(part, {})
    node[parts[-1]] = sample(m)
    back = sg.Dataset.from_dict(doc).to_dict()
    assert get_path(back, path) == sample(m)
    c = back["communities"][0]
    assert set(c) == {"code", "name", "parent", parts[0].rstrip("[]")}


class TestSocialWorkAllowance:
    def test_read_in_any_unit_and_written_in_yuan_per_month(self):
        """staff[].social_work_allowance accepts units and is stored in yuan/month."""
        doc = {"schema": "shequ-gov/1", "regions": REGIONS, "communities": [
            {"code": "431302001001", "name": "x", "staff": [
                {"roles": ["worker"], "certified_social_worker": True, "social_work_allowance": "3600 元/年"},
                {"roles": ["worker"], "certified_social_worker": True}]}]}
        ds = sg.Dataset.from_dict(doc)
        staff = ds.to_dict()["communities"][0]["staff"]
        assert staff[0]["social_work_allowance"] == 300
        assert "social_work_allowance" not in staff[1]  # missing stays missing
        m = ds.community("431302001001").staff[0]
        assert m.social_work_allowance == sg.Quantity(300, "yuan/month")

    def test_a_negative_allowance_is_rejected_with_its_place(self):
        doc = {"schema": "shequ-gov/1", "regions": REGIONS, "communities": [
            {"code": "431302001001", "name": "x", "staff": [{"roles": [], "social_work_allowance": -5}]}]}
        with pytest.raises(sg.ValidationError) as e:
            sg.Dataset.from_dict(doc)
        assert e.value.problems[0][0] == "communities[0] (431302001001).staff[0].social_work_allowance"


def test_offending_records_are_described_from_the_declaration():
    """Explanations name a task by its kind, role and flags, a staff member by roles and pay."""
    doc = {"schema": "shequ-gov/1", "regions": REGIONS, "communities": [
        {"code": "431302001001", "name": "x",
         "staff": [{"roles": ["secretary"], "monthly_pay": 3000}],
         "tasks": [{"kind": "law_enforcement", "role": "responsible", "funded": False}]}]}
    st = sg.Dataset.from_dict(doc)._st
    assert S.describe_child("staff", st.staff.cols, None, 0, 0) == "staff member #1 (书记, 3,000 yuan/month)"
    text = S.describe_child("tasks", st.tasks.cols, st.tasks.strings, 0, 0)
    assert text.startswith("task “行政执法”") and text.endswith("; funded=no, on_access_list=?, legal_basis=?)")


def test_empty_tables_take_their_dtypes_from_the_declaration():
    """Child tables of an empty dataset have the declared columns and dtypes."""
    st = sg.Dataset.from_dict({"schema": "shequ-gov/1", "regions": [], "communities": []})._st
    for name, ch in S.CHILDREN.items():
        cols = getattr(st, name).cols
        assert {k: str(v.dtype) for k, v in cols.items()} == {k: f.dtype for k, f in ch.record.child_columns().items()}


def test_the_json_document_is_plain_json():
    """The written document parses with the standard library and has the declared key order."""
    ds = sg.Dataset.from_dict(full_document())
    from shequ_gov import _io

    doc = json.loads(b"".join(_io.json_chunks(ds._st)))
    keys = [k for k in doc["communities"][0] if k not in ("code", "name", "parent")]
    order = [k for k in S.COMMUNITY.keys if k in keys]
    assert keys == order
