"""Hostile input for every dataset reader: one table per reader, each case a ValidationError that
names the place (file, line and column, element, row or field), never another exception."""

import gzip
import json
import re
import zlib

import pytest

import shequ_gov as sg
from shequ_gov import _jsonread

REGIONS = [{"code": "430000000000", "name": "湖南省"}, {"code": "431300000000", "name": "娄底市"},
           {"code": "431302000000", "name": "娄星区"}, {"code": "431302001000", "name": "乐坪街道"}]
GOOD = json.dumps({"schema": "shequ-gov/1", "regions": REGIONS,
                   "communities": [{"code": "431302001001", "name": "x", "households": 5,
                                    "staff": [{"roles": ["worker"], "monthly_pay": 3000}]}]}, ensure_ascii=False)


def swap(old, new):
    assert old in GOOD
    return GOOD.replace(old, new, 1)


# (id, document text, the place the problem must name, words of the message)
JSON_CASES = [
    ("int beyond float", swap('"households": 5', '"households": 1' + "0" * 400),
     "communities[0] (431302001001).households", "too large"),
    ("int beyond the digit limit", swap('"households": 5', '"households": ' + "7" * 5000),
     "communities[0]", "digits"),
    ("int beyond float in a child", swap('"monthly_pay": 3000', '"monthly_pay": 9' * 1 + "9" * 400),
     "communities[0] (431302001001).staff[0].monthly_pay", "too large"),
    ("float overflow", swap('"households": 5', '"households": 1e400'),
     "communities[0] (431302001001).households", "finite"),
    ("NaN token", swap('"households": 5', '"households": NaN'), ":1:", "NaN is not valid JSON"),
    ("Infinity token", swap('"households": 5', '"households": -Infinity'), ":1:", "not valid JSON"),
    ("deep nesting", swap('"households": 5', '"households": ' + "[" * 100_000 + "]" * 100_000),
     "communities[0]", "nested too deeply"),
    ("lone surrogate", swap('"name": "x"', '"name": "a\\ud800b"'), "communities[0].name", "surrogate"),
    ("lone low surrogate in a key", swap('"households": 5', '"\\udc00": 5'), "communities[0] (key)", "surrogate"),
    ("repeated key", swap('"households": 5', '"households": 5, "households": 6'), "communities[0]",
     "repeated key 'households'"),
    ("repeated top-level key", GOOD[:-1] + ', "schema": "shequ-gov/1"}', "schema", "repeated key"),
    ("trailing data", GOOD + " []", ":1:", "extra data"),
    ("truncated", GOOD[:200], ":1:", "malformed JSON"),
    ("not an object", "[1, 2]", ":1:1", "expected a JSON object"),
    ("empty file", "", ":1:1", "the end of the file"),
    ("regions not a list", swap('"regions": [', '"regions": {"a": [').replace("}], \"communities\"", "}]}, \"communities\"", 1),
     "regions", "expected a list"),
    ("community not an object", swap('"communities": [', '"communities": [7, '), "communities[0]", "expected an object"),
    ("huge int as code", swap('"code": "431302001001"', '"code": ' + "4" * 400), "communities[0].code", "digits"),
    ("bool as count", swap('"households": 5', '"households": true'), "communities[0] (431302001001).households",
     "whole number"),
    ("string with an evil unit", swap('"households": 5', '"households": "5 m**(1/0)"'),
     "communities[0] (431302001001).households", ""),
]


@pytest.mark.parametrize("case", JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_hostile_json_is_a_validation_error_naming_the_place(tmp_path, case):
    _, text, place, words = case
    p = tmp_path / "x.json"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(sg.ValidationError) as info:
        sg.Dataset.read(p)
    problems = info.value.problems
    assert any(place in f"{loc}: {msg}" and words in msg for loc, msg in problems), problems
    assert info.value.source == str(p) and str(p) in str(info.value)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _flip(data: bytes, at: int) -> bytes:
    b = bytearray(data)
    b[at] ^= 0xFF
    return bytes(b)


GOOD_GZ = _gz(GOOD.encode())
GZIP_CASES = [
    ("corrupted deflate stream", "x.json.gz", _flip(GOOD_GZ, 40), "corrupted gzip data"),
    ("corrupted checksum", "x.json.gz", _flip(GOOD_GZ, len(GOOD_GZ) - 6), "corrupted gzip data"),
    ("truncated stream", "x.json.gz", GOOD_GZ[: len(GOOD_GZ) // 2], "ends early"),
    ("not gzip although named .gz", "x.json.gz", GOOD.encode(), "not gzip data"),
    ("garbage after the stream", "x.json.gz", GOOD_GZ + b"garbage!", "after the end"),
    ("gzip bomb", "x.json.gz", None, "gzip bomb"),
    ("upper-case suffix, corrupted", "X.JSON.GZ", _flip(GOOD_GZ, 40), "corrupted gzip data"),
    ("not UTF-8 inside", "x.json.gz", _gz(GOOD.encode().replace(b'"x"', b'"\xff"')), "UTF-8"),
    ("csv: corrupted", "x.csv.gz", _flip(_gz(b"code,name\n430000000000,a\n" * 50), 30), "corrupted gzip data"),
]


def _bomb() -> bytes:
    # 300 MiB of spaces inside a valid start, compressed to a few hundred kilobytes
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [z.compress(b'{"schema": "shequ-gov/1", "regions": [')]
    block = b" " * (1 << 20)
    out += [z.compress(block) for _ in range(300)]
    out.append(z.flush())
    return b"".join(out)


@pytest.mark.parametrize("case", GZIP_CASES, ids=[c[0] for c in GZIP_CASES])
def test_hostile_gzip_is_a_validation_error_naming_the_file(tmp_path, case):
    _, name, data, words = case
    p = tmp_path / name
    p.write_bytes(_bomb() if data is None else data)
    with pytest.raises(sg.ValidationError) as info:
        sg.Dataset.read(p)
    (loc, msg), *_ = info.value.problems
    assert str(p) in loc and words in msg, info.value.problems


def test_upper_case_suffixes_are_read_and_written_compressed(tmp_path):
    """.JSON.GZ is gzip both ways."""
    ds = sg.Dataset.from_dict(json.loads(GOOD))
    p = tmp_path / "X.JSON.GZ"
    ds.write(p)
    assert p.read_bytes()[:2] == b"\x1f\x8b"
    assert sg.Dataset.read(p) == ds


def test_the_inflate_limit_is_documented_and_relative():
    """The bomb limit is a ratio with a floor, both stated in the reader's documentation."""
    doc = _jsonread.__doc__
    assert "MAX_INFLATE_RATIO" in doc and "MIN_INFLATE_BYTES" in doc
    assert _jsonread.MAX_INFLATE_RATIO >= 50 and _jsonread.MIN_INFLATE_BYTES >= 2**27


HEAD = "code,name,level,parent_code\n"
TREE = ("430000000000,湖南省,province,\n431300000000,娄底市,city,430000000000\n"
        "431302000000,娄星区,district,431300000000\n431302001000,乐坪街道,street,431302000000\n")
CSV_CASES = [
    ("13-digit parent code", HEAD + TREE + "431302001001,x,community,4313020010000\n", ":6:parent_code", "12"),
    ("13-digit code", HEAD + TREE + "4313020010011,x,community,431302001000\n", ":6:code", "12"),
    ("full-width digits in a code", HEAD + TREE + "４３１３０２００１００１,x,community,431302001000\n", ":6:code",
     "ASCII digits"),
    ("full-width digits in a parent", HEAD + TREE + "431302001001,x,community,４３１３０２００１０００\n",
     ":6:parent_code", "ASCII digits"),
    ("repeated column", "code,name,households,households\n" + "430000000000,a,,\n", ":1:4", "repeated column"),
    ("the same column by path and alias", "code,name,households,户数\n430000000000,a,,\n", ":1:4", "repeated column"),
    ("column name of spaces", "code,   ,name\n430000000000,,a\n", ":1:2", "no name"),
    ("empty column name", "code,,name\n430000000000,,a\n", ":1:2", "no name"),
    ("name of spaces", HEAD + TREE + "431302001001,   ,community,431302001000\n", ":6:name", "non-empty name"),
    ("unknown column", "code,name,housholds\n430000000000,a,\n", ":1:3", "did you mean 'households'"),
    ("unit of the wrong dimension in a header", "code,name,户数(平方米)\n430000000000,a,\n", ":1:3", "dimension"),
    ("unit on a flag", "code,name,新建社区(户)\n430000000000,a,\n", ":1:3", "takes no unit"),
    ("huge number in a cell", "code,name,households\n" + "430000000000,a,\n431302001001,x," + "9" * 400 + "\n",
     ":3:households", ""),
    ("negative count", HEAD.strip() + ",households\n" + TREE.replace("\n", ",\n") + "431302001001,x,community,431302001000,-4\n",
     ":6:households", "negative"),
    ("ragged row", HEAD + "430000000000,湖南省\n", ":2", "expected 4 cells"),
    ("not UTF-8", None, "x.csv", "UTF-8"),
    ("region field on a community", "code,name,average_annual_wage\n431302001001,x,5\n", ":2:average_annual_wage",
     "region field"),
]


@pytest.mark.parametrize("case", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_hostile_csv_is_a_validation_error_naming_row_and_column(tmp_path, case):
    """A CSV in the division-list layout (a level column) is read by the CSV reader, named
    ``file:row:column``; another table goes to the office-spreadsheet reader, which names the
    cell (``x.csv!D1``)."""
    _, text, place, words = case
    p = tmp_path / "x.csv"
    if text is None:
        p.write_bytes(b"code,name,level\n430000000000,\xff\xfe,province\n")
    else:
        p.write_text(text, encoding="utf-8")
    with pytest.raises(sg.ValidationError) as info:
        sg.Dataset.read(p)
    problems = info.value.problems
    if text is None or "level" in text.split("\n")[0]:
        assert any(str(p) in loc and place in loc and words in msg for loc, msg in problems), problems
    else:
        assert any(re.search(r"x\.csv(![A-Z]+\d+|:\d+)", loc) and msg for loc, msg in problems), problems


def test_csv_headers_may_be_chinese_with_units(tmp_path):
    """户数 and 运转经费(万元/年) are read as households and funding.operating (in yuan/year)."""
    p = tmp_path / "x.csv"
    p.write_text("code,name,户数,运转经费(万元/年),社区类型\n" + "\n".join(
        f"{r['code']},{r['name']},,," for r in REGIONS) + "\n431302001001,x,1500,26,urban\n", encoding="utf-8")
    c = sg.Dataset.read(p).community("431302001001")
    assert c.households == 1500 and c.funding.operating == sg.Quantity(260_000, "yuan/year")
    assert c.area_type is sg.AreaType.URBAN
