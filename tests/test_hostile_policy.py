"""Hostile policy files: every bad input is a PolicyError naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shequ_gov as sg
import toy_rules

TOY = Path(__file__).parent / "data" / "toy_policy.toml"
TEXT = TOY.read_text(encoding="utf-8")

#: (what the line said, what it says now, the key the error must name)
EDITS = [
    ('unit = "m**2"', 'unit = "zorkmid**2"', "parameters.min_area.unit"),
    ('unit = "m**2"', 'unit = "m**(1/0)"', "parameters.min_area.unit"),
    ('unit = "m**2"', 'unit = "__import__(\'os\')"', "parameters.min_area.unit"),
    ('unit = "m**2"', 'unit = "' + "m*" * 100 + 'm"', "parameters.min_area.unit"),
    ('unit = "m**2"', 'unit = ["m**2"]', "parameters.min_area.unit"),
    ('value = "400 m**2"', 'value = "400 m**(1/0)"', "parameters.min_area.values[0].value"),
    ('value = "400 m**2"', 'value = "400 ' + "(" * 40 + 'm' + ")" * 40 + '"', "parameters.min_area.values[0].value"),
    ('value = "400 m**2"', 'value = "400 __import__(\'os\')"', "parameters.min_area.values[0].value"),
    ('value = "400 m**2"', 'value = { a = 1 }', "parameters.min_area.values[0].value"),
    ('value = "400 m**2"', 'value = 2020-01-01', "parameters.min_area.values[0].value"),
    ('value = "400 m**2"', 'value = "inf m**2"', "parameters.min_area.values[0].value"),
    ('value = 0.5', 'value = nan', "parameters.share_target.values[0].value"),
    ('value = 0.5', 'value = 1' + "0" * 400, "parameters.share_target.values[0].value"),
    ('value = ["urban_management", "demolition"]', 'value = [1, 2]', "parameters.banned.values[0].value"),
    ('from = 2020-01-01\nvalue = "400', 'from = 2020-01-01T08:00:00\nvalue = "400', "parameters.min_area.values[0].from"),
    ('issuer = "测试局"', 'issuer = 5', "sources.doc.issuer"),
    ('number = "测〔2020〕1号"', 'number = [1]', "sources.doc.number"),
    ('title = "测试文件"', 'title = 5', "sources.doc.title"),
    ('date = 2020-01-01', 'date = 2020-01-01T00:00:00', "sources.doc.date"),
    ('date = 2020-01-01', 'date = 08:00:00', "sources.doc.date"),
    ('date = 2020-01-01', 'date = "2020-01-01"', "sources.doc.date"),
    ('[sources.doc]\n', '[sources.doc]\ncited_in = [1]\n', "sources.doc.cited_in"),
    ('[sources.doc]\n', '[sources.doc]\nfile = { a = 1 }\n', "sources.doc.file"),
    ('jurisdiction = ["4313"]', 'jurisdiction = "4313"', "policy.jurisdiction"),
    ('jurisdiction = ["4313"]', 'jurisdiction = [[4313]]', "policy.jurisdiction[0]"),
    ('id = "toy"', 'id = ["toy"]', "policy.id"),
    ('name = { zh = "测试政策", en = "Toy policy" }', 'name = ["测试政策"]', "policy.name"),
    ('level = "community"\nkind = "requirement"\nstrength = "standard"',
     'level = ["community"]\nkind = "requirement"\nstrength = "standard"', 'rules.toy.area.level'),
    ('area_types = ["central_urban", "urban"]', 'area_types = "urban"', "rules.toy.area.area_types"),
    ('area_types = ["central_urban", "urban"]', 'area_types = [["urban"]]', "rules.toy.area.area_types"),
    ('parameters = ["min_area"]', 'parameters = [["min_area"]]', "rules.toy.area.parameters"),
    ('parameters = ["min_area"]', 'parameters = "min_area"', "rules.toy.area.parameters"),
    ('citation = { source = "doc", quote = "面积不低于400平方米" }', 'citation = ["doc"]', "rules.toy.area.citation"),
    ('citation = { source = "doc", quote = "面积不低于400平方米" }',
     'citation = { source = ["doc"], quote = 5 }', "rules.toy.area.citation.source"),
    ('strength = "standard"\nfrom = 2020-01-01\narea_types',
     'strength = "standard"\nfrom = 2020-01-01T00:00:00Z\narea_types', "rules.toy.area.from"),
    ('# A small policy', 'sources = 5\nparameters = [1]\n# A small policy', "sources"),
    ('# A small policy', 'parameters = [1]\n# A small policy', "parameters"),
]


def _load(path):
    return sg.Policy.from_toml(path, [toy_rules])


def test_the_unedited_toy_policy_loads(tmp_path):
    (tmp_path / "p.toml").write_text(TEXT, encoding="utf-8")
    assert _load(tmp_path / "p.toml").id == "toy"


@pytest.mark.parametrize("old, new, key", EDITS, ids=[f"{k}:{n[:25]}" for _, n, k in EDITS])
def test_hostile_policy_file_is_a_policy_error_naming_file_and_key(tmp_path, old, new, key):
    assert old in TEXT
    text = TEXT.replace(old, new, 1)
    if new.startswith(("sources = 5", "parameters = [1]")):  # the tables become other keys
        text = text.replace("[sources.doc]", "[sourcesx.doc]").replace("[parameters.", "[parametersx.")
        text = text.replace("[[parameters.", "[[parametersx.")
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(sg.PolicyError) as info:
        _load(path)
    err = info.value
    assert err.source == str(path) and str(path) in str(err)
    assert any(loc == key or loc.startswith(key + ".") or loc.startswith(key + "[") for loc, _ in err.problems), \
        err.problems


@pytest.mark.parametrize("raw, words", [
    (TEXT.encode("gbk"), "not UTF-8"),
    (b"\xff\xfe" + TEXT.encode("utf-16-le"), "not UTF-8"),
    (b"a = " + b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b"[policy\n", "malformed TOML"),
    (b"", "policy"),
    (b"policy = 5\nsources = []\nrules = 7\n", "policy"),
], ids=["gbk", "utf-16", "deep-arrays", "malformed", "empty", "wrong-types"])
def test_hostile_policy_bytes(tmp_path, raw, words):
    path = tmp_path / "policy.toml"
    path.write_bytes(raw)
    with pytest.raises(sg.PolicyError) as info:
        _load(path)
    assert str(path) in str(info.value) and words in str(info.value)


def test_a_policy_that_loads_explains_and_exports(tmp_path):
    """Nothing the loader accepts later breaks to_json or explain (issuer/number were the example)."""
    from conftest import EXAMPLE

    pol = _load(TOY)
    ds = sg.Dataset.from_dict(EXAMPLE)
    r = sg.evaluate(ds, pol, as_of="2024-01-01")
    assert r.to_json()
    assert "测〔2020〕1号" in r.explain("431302001001", "toy.area")


_LINES = TEXT.splitlines()
_TOKENS = st.sampled_from(['"', "[", "]", "{", "}", "=", ",", "\n", "1e999", "nan", "2020-02-30", "T08:00:00",
                           "\\u0000", "\\ud800", "m**(1/0)", "__import__('os')", "[[x]]", "'", "#", "\xff", " ",
                           "zorkmid", "-", "0x10", "1_000", "true"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_LINES) - 1), st.integers(0, 80), st.lists(_TOKENS, max_size=4),
                          st.integers(0, 6)), min_size=1, max_size=4))
def test_fuzz_policy_loader_gives_a_policy_or_a_policy_error(tmp_path_factory, edits):
    """Law: a mutated policy file loads, or raises PolicyError naming the file — nothing else."""
    lines = list(_LINES)
    for line, col, tokens, cut in edits:
        s = lines[line]
        col = min(col, len(s))
        lines[line] = s[:col] + "".join(tokens) + s[col + cut:]
    path = tmp_path_factory.mktemp("fuzz") / "policy.toml"
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
    try:
        pol = _load(path)
    except sg.PolicyError as exc:
        assert str(path) in str(exc)
    else:
        assert pol.id and pol.rules
