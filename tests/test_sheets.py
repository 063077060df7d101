"""Spreadsheets as offices keep them: workbooks and CSV tables with Chinese headers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import shequ_gov as sg
from shequ_gov import _sheets
from shequ_gov.testing import datasets

openpyxl = pytest.importorskip("openpyxl")

REGIONS = [sg.Region("43", "湖南省"), sg.Region("4313", "娄底市"), sg.Region("431302", "娄星区"),
           sg.Region("431302001", "乐坪街道"), sg.Region("431302002", "花山街道"),
           sg.Region("5001", "重庆市辖区"), sg.Region("50", "重庆市"), sg.Region("500154", "开州区"),
           sg.Region("500154001", "汉丰街道")]
SKELETON_COMMUNITIES = [sg.Community("431302001001", "街心社区", area_type="central_urban"),
                        sg.Community("431302001002", "贤童社区", area_type="urban"),
                        sg.Community("431302002001", "街心社区", area_type="urban"),
                        sg.Community("500154001001", "东街社区", area_type="urban")]


@pytest.fixture(scope="module")
def skeleton():
    return sg.Dataset.from_objects(REGIONS, SKELETON_COMMUNITIES)


def write_csv(path, rows, encoding="utf-8"):
    path.write_bytes("\n".join(",".join(r) for r in rows).encode(encoding) + b"\n")
    return path


def workbook(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def problems(call):
    with pytest.raises(sg.ValidationError) as info:
        call()
    return info.value.problems


# --- values as offices write them -----------------------------------------------------------------

def test_gbk_csv_with_chinese_headers_and_office_values_reads_exactly(tmp_path, skeleton):
    """GBK, Chinese headers with units, 1,500, full-width digits, 26万元, 是/否, labels, blank rows, spaces."""
    p = write_csv(tmp_path / "c.csv", [
        ["区划代码", "社区名称", "社区类型", "户数", "常住人口", "服务用房面积(平方米)", "运转经费(万元/年)", "新建社区",
         "步行至便民服务时间(分钟)"],
        ["431302001001", " 街心社区 ", "中心城区社区", '"1,500"', "４３００", "620", "26", "否", "10"],
        ["", "", "", "", "", "", "", "", ""],
        ["431302001002", "贤童社区", "城市社区", "1.2万", "2000", '"1,000平方米"', "26万元", "是", ""],
    ], encoding="gbk")
    ds = sg.Dataset.read(p, skeleton=skeleton)
    a, b = ds.community("431302001001"), ds.community("431302001002")
    assert (a.households, a.population, a.area_type, a.new_build) == (1500, 4300, sg.AreaType.CENTRAL_URBAN, False)
    assert a.facility_area("service_housing").m == 620
    assert a.funding.operating.m == 260_000 and b.funding.operating.m == 260_000
    assert a.convenience_minutes.m == 10 and b.convenience_minutes is None
    assert (b.households, b.new_build, b.facility_area("service_housing").m) == (12_000, True, 1000)
    assert [r.name for r in ds.ancestors(a.code)] == ["乐坪街道", "娄星区", "娄底市", "湖南省"]
    assert ds.level_counts()[sg.Level.STREET] == 1  # only the regions above the communities


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_are_detected(tmp_path, skeleton, encoding):
    """UTF-8 with or without BOM and GB18030 need no encoding= argument."""
    p = write_csv(tmp_path / "c.csv", [["区划代码", "户数"], ["431302001001", "800"]], encoding=encoding)
    assert sg.Dataset.read(p, skeleton=skeleton).community("431302001001").households == 800


def test_explicit_encoding_wins_and_a_wrong_one_is_a_problem(tmp_path, skeleton):
    p = write_csv(tmp_path / "c.csv", [["区划代码", "户数"], ["431302001001", "800"]], encoding="gbk")
    (loc, msg), = problems(lambda: sg.Dataset.read(p, skeleton=skeleton, encoding="utf-8"))
    assert loc == str(p) and "utf-8" in msg


def test_every_problem_is_named_by_sheet_cell_and_header_at_once(tmp_path, skeleton):
    p = write_csv(tmp_path / "c.csv", [
        ["区划代码", "户数", "社区类型", "新建社区", "居民人数"],
        ["431302001001", "一千", "镇", "也许", "3"],
    ])
    got = dict(problems(lambda: sg.Dataset.read(p, skeleton=skeleton)))
    assert got.keys() == {"c.csv!B2 户数", "c.csv!C2 社区类型", "c.csv!D2 新建社区", "c.csv!E1"}
    assert got["c.csv!B2 户数"] == "expected a whole number ≥ 0 (of household), got '一千'"
    assert "乡镇社区" in got["c.csv!C2 社区类型"]
    assert "是/否" in got["c.csv!D2 新建社区"]
    assert "did you mean" in got["c.csv!E1"] and "常住人口" in got["c.csv!E1"]


def test_a_wrong_unit_in_a_header_is_named(tmp_path, skeleton):
    p = write_csv(tmp_path / "c.csv", [["区划代码", "户数", "服务用房面积(万元)"], ["431302001001", "1", "3"]])
    (loc, msg), = problems(lambda: sg.Dataset.read(p, skeleton=skeleton))
    assert loc == "c.csv!C1" and "万元" in msg


def test_repeated_and_nameless_columns_are_refused(tmp_path, skeleton):
    p = write_csv(tmp_path / "c.csv", [["区划代码", "户数", "households", ""], ["431302001001", "1", "2", "3"]])
    got = dict(problems(lambda: sg.Dataset.read(p, skeleton=skeleton)))
    assert set(got) == {"c.csv!C1", "c.csv!D1"}
    assert "repeated" in got["c.csv!C1"]


def test_full_width_digits_in_a_code_are_refused_not_coerced(tmp_path, skeleton):
    p = write_csv(tmp_path / "c.csv", [["区划代码", "户数"], ["４３１３０２００１００１", "1"]])
    (loc, msg), = problems(lambda: sg.Dataset.read(p, skeleton=skeleton))
    assert loc == "c.csv!A2 区划代码" and "ASCII" in msg


def test_a_mapping_file_names_other_headers_with_their_unit(tmp_path, skeleton):
    m = tmp_path / "map.toml"
    m.write_text('[columns]\n"本社区户数" = "households"\n"办公经费" = {field = "funding.operating", unit = "万元/年"}\n',
                 encoding="utf-8")
    p = write_csv(tmp_path / "c.csv", [["区划代码", "本社区户数", "办公经费"], ["431302001001", "900", "12"]])
    c = sg.Dataset.read(p, skeleton=skeleton, mapping=m).community("431302001001")
    assert (c.households, c.funding.operating.m) == (900, 120_000)
    bad = {"本社区户数": "houshold", "办公经费": "funding.operating"}
    (loc, msg), = problems(lambda: sg.Dataset.read(p, skeleton=skeleton, mapping=bad))
    assert loc == "c.csv!B1" and "households" in msg


# --- counts become records, and only what they say ---------------------------------------------------

def test_counts_become_records_with_nothing_invented(tmp_path, skeleton):
    p = write_csv(tmp_path / "c.csv", [
        ["区划代码", "工作人员数", "持证社工人数", "党群活动室", "调解室", "警务室"],
        ["431302001001", "4", "1", "有", "无", ""],
        ["431302001002", "", "", "", "", ""],
    ])
    ds = sg.Dataset.read(p, skeleton=skeleton)
    a, b = ds.community("431302001001"), ds.community("431302001002")
    assert [s.certified_social_worker for s in a.staff] == [True, False, False, False]
    assert all(s.monthly_pay is None and not s.roles for s in a.staff)
    assert [(f.kind, f.area) for f in a.facilities] == [("party_mass_room", None)]
    assert b.staff is None and b.facilities is None  # empty cells are missing, not zero


def test_a_count_of_certified_workers_is_enough_for_kaizhou_and_pay_rules_stay_unknown(tmp_path, skeleton):
    p = write_csv(tmp_path / "c.csv", [["区划代码", "社区类型", "工作人员数", "持证社工人数"],
                                       ["500154001001", "城市社区", "9", "3"]])
    r = sg.evaluate(sg.Dataset.read(p, skeleton=skeleton), "kaizhou")
    assert r.status("500154001001", "kaizhou.staffing.social_workers") is sg.Status.PASS
    pay = [rid for rid in r.rule_ids if "pay" in rid]
    assert all(r.status("500154001001", rid) in (sg.Status.UNKNOWN, sg.Status.NOT_APPLICABLE) for rid in pay)


def test_certified_count_above_staff_count_is_a_problem(tmp_path, skeleton):
    p = write_csv(tmp_path / "c.csv", [["区划代码", "工作人员数", "持证社工人数"], ["431302001001", "2", "3"]])
    (loc, msg), = problems(lambda: sg.Dataset.read(p, skeleton=skeleton))
    assert loc == "c.csv!2" and "3 certified" in msg


# --- workbooks with child sheets ----------------------------------------------------------------------

def test_workbook_child_sheets_keyed_by_community_code(tmp_path, skeleton):
    p = workbook(tmp_path / "w.xlsx", {
        "社区": [["区划代码", "社区名称", "户数"], [431302001001, "街心社区", 1500], ["431302001002", "贤童社区", 900]],
        "设施": [["社区代码", "设施类型", "面积(平方米)"], ["431302001001", "社区综合服务设施/公共服务用房", 620],
               ["431302001001", "党群活动室", None]],
        "工作人员": [["序号", "社区代码", "姓名", "职务", "月报酬(元/月)", "持证社会工作者", "2016年考核等次"],
                 [1, "431302001001", "张三", "书记、主任", "3,000", "是", "称职"]],
        "工作事项": [["社区代码", "事项", "社区角色", "经费随事转"], ["431302001002", "城市管理", "责任主体", "否"]],
    })
    ds = sg.Dataset.read(p, skeleton=skeleton)
    a, b = ds.community("431302001001"), ds.community("431302001002")
    assert [(f.kind, f.area and f.area.m) for f in a.facilities] == [("service_housing", 620), ("party_mass_room", None)]
    assert b.facilities == ()  # a facilities sheet lists every facility: none for this one
    (s,) = a.staff
    assert (set(s.roles), s.monthly_pay.m, s.certified_social_worker, s.rating(2016)) == \
        ({"secretary", "director"}, 3000, True, "competent")
    assert [(t.kind, t.role, t.funded) for t in b.tasks] == [("urban_management", "responsible", False)]


def test_workbook_problems_name_the_sheet(tmp_path, skeleton):
    p = workbook(tmp_path / "w.xlsx", {
        "社区": [["区划代码", "户数"], ["431302001001", "多"]],
        "设施": [["社区代码", "设施类型"], ["431302009009", "党群活动室"], ["431302001001", "游泳池"]],
        "杂项": [["a"], [1]],
    })
    got = dict(problems(lambda: sg.Dataset.read(p, skeleton=skeleton)))
    assert "杂项" in got and "unknown sheet" in got["杂项"]
    p2 = workbook(tmp_path / "w2.xlsx", {
        "社区": [["区划代码", "户数"], ["431302001001", "多"]],
        "设施": [["社区代码", "设施类型"], ["431302009009", "党群活动室"], ["431302001001", "游泳池"]],
    })
    got = dict(problems(lambda: sg.Dataset.read(p2, skeleton=skeleton)))
    assert set(got) == {"社区!B2 户数", "设施!B3 设施类型", "设施"}
    assert "431302009009" in got["设施"]


def test_staff_both_as_sheet_and_counts_is_refused(tmp_path, skeleton):
    p = workbook(tmp_path / "w.xlsx", {"社区": [["区划代码", "工作人员数"], ["431302001001", 3]],
                                        "工作人员": [["社区代码", "职务"], ["431302001001", "书记"]]})
    got = dict(problems(lambda: sg.Dataset.read(p, skeleton=skeleton)))
    assert "工作人员" in got and "one or the other" in got["工作人员"]


def test_a_corrupt_workbook_is_a_validation_error(tmp_path):
    p = tmp_path / "w.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    (loc, msg), = problems(lambda: sg.Dataset.read(p))
    assert loc == str(p) and "Excel" in msg


# --- the skeleton ------------------------------------------------------------------------------------------

def test_rows_without_a_code_are_found_by_street_and_district_names(tmp_path, skeleton):
    p = write_csv(tmp_path / "c.csv", [["社区名称", "街道", "区县", "户数"],
                                       ["贤童社区", "乐坪街道", "", "10"], ["街心社区", "花山街道", "娄星区", "20"]])
    ds = sg.Dataset.read(p, skeleton=skeleton)
    assert ds.community("431302001002").households == 10
    assert ds.community("431302002001").households == 20
    assert ds.community("431302001002").area_type is sg.AreaType.URBAN  # from the skeleton


def test_ambiguous_and_unknown_names_are_problems_naming_the_row(tmp_path):
    sk = sg.Dataset.from_objects(REGIONS[:5] + [sg.Region("431302003", "乐坪街道")],
                                 [sg.Community("431302001001", "街心社区"), sg.Community("431302003001", "街心社区")])
    p = write_csv(tmp_path / "c.csv", [["社区名称", "街道", "户数"], ["街心社区", "乐坪街道", "1"],
                                       ["无名社区", "乐坪街道", "2"]])
    got = dict(problems(lambda: sg.Dataset.read(p, skeleton=sk)))
    assert set(got) == {"c.csv!2", "c.csv!3"}
    assert "ambiguous" in got["c.csv!2"] and "431302001001" in got["c.csv!2"]
    assert "no community" in got["c.csv!3"]


def test_a_street_missing_from_the_skeleton_is_a_problem(tmp_path, skeleton):
    p = write_csv(tmp_path / "c.csv", [["区划代码", "户数"], ["431302099001", "1"]])
    (loc, msg), = problems(lambda: sg.Dataset.read(p, skeleton=skeleton))
    assert loc == "c.csv!2" and "431302099000" in msg


def test_without_a_skeleton_a_missing_parent_is_named_by_row(tmp_path):
    p = write_csv(tmp_path / "c.csv", [["区划代码", "户数"], ["431302001001", "1"]])
    got = problems(lambda: sg.Dataset.read(p))
    assert got and all(loc.startswith("c.csv!2") for loc, _ in got)


@pytest.mark.slow
def test_a_table_of_communities_attaches_to_the_real_division_list(tmp_path, china):
    p = write_csv(tmp_path / "c.csv", [["区划代码", "户数"], ["431302001001", "1500"], ["441900003001", "800"]])
    ds = sg.Dataset.read(p, skeleton=china)
    assert [r.name for r in ds.ancestors("431302001001")] == ["乐坪街道", "娄星区", "娄底市", "湖南省"]
    assert [r.level for r in ds.ancestors("441900003001")][-1] is sg.Level.PROVINCE  # a city without districts


# --- round trip ----------------------------------------------------------------------------------------------

def test_the_example_dataset_round_trips_through_a_workbook(tmp_path):
    from importlib import resources

    ds = sg.Dataset.read(resources.files("shequ_gov") / "examples" / "example.json")
    ds.write(tmp_path / "x.xlsx")
    assert sg.Dataset.read(tmp_path / "x.xlsx").to_dict() == ds.to_dict()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(datasets())
def test_any_dataset_written_as_a_workbook_reads_back_equal(tmp_path, ds):
    p = tmp_path / "d.xlsx"
    ds.write(p)
    assert sg.Dataset.read(p).to_dict() == ds.to_dict()


def test_workbook_layout_is_derived_from_the_schema():
    """Every community column of the schema has a column in the workbook's community sheet."""
    from shequ_gov import _schema as S

    heads = [h for h, _ in _sheets.layout()["社区"]]
    for path, _ in S.COMMUNITY_COLUMNS:
        assert any(h.endswith(f" / {path}") for h in heads), path


# --- the template ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def loudi_template(tmp_path_factory):
    p = tmp_path_factory.mktemp("tpl") / "loudi.xlsx"
    sg.template(p, policies=["loudi"])
    return p


def test_the_template_has_the_columns_loudi_reads_with_units_drop_downs_and_notes(loudi_template):
    wb = openpyxl.load_workbook(loudi_template)
    assert wb.sheetnames[:2] == ["说明", "社区"]
    heads = [c.value for c in wb["社区"][1]]
    assert "运转经费(万元/年) / funding.operating" in heads and "户数(户) / households" in heads
    assert "社区类型 / area_type" in heads
    assert not any("burden" in h for h in heads)  # Loudi reads no burden counts
    staff = [c.value for c in wb["工作人员"][1]]
    assert any("monthly_pay" in h for h in staff) and any("ratings" in h for h in staff)
    lists = {str(dv.sqref).split(":")[0].rstrip("0123456789") for dv in wb["社区"].data_validations.dataValidation}
    assert "D" in lists  # area type has a drop-down
    notes = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "loudi.funding.operating" in notes and "loudi.staffing.incompetent_dismissed" in notes


def test_the_filled_template_reads_back_without_problems(loudi_template):
    sk = sg.Dataset.from_objects([sg.Region("43", "湖南省"), sg.Region("4313", "娄底市"),
                                  sg.Region("431302", "娄星区"), sg.Region("431302001", "乐坪街道")],
                                 [sg.Community("431302001001", "示例社区")])
    ds = sg.Dataset.read(loudi_template, skeleton=sk)
    c = ds.community("431302001001")
    assert c.funding.operating.m == 260_000 and c.area_type is sg.AreaType.CENTRAL_URBAN
    report = sg.evaluate(ds, "loudi")
    assert report.status("431302001001", "loudi.funding.operating") is sg.Status.PASS


def test_template_cli_refuses_another_suffix(tmp_path):
    from shequ_gov.cli import main

    assert main(["template", str(tmp_path / "t.csv"), "--policy", "loudi"]) == 2
    assert not (tmp_path / "t.csv").exists()
