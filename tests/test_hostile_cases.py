"""Hostile case files: each bad input is a ValidationError naming the file, the case and the key,
and pytest shows that one message (not its own internals) when it collects such a file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import shequ_gov as sg
from shequ_gov.testing import load_cases

GOOD = """\
policy: toy
cases:
  - name: a case
    as_of: 2023-01-01
    community: {area_type: urban, households: 10}
    expect: {toy.area: fail}
"""

#: (the good file's text → this text, the place the message must name)
EDITS = [
    ("as_of: 2023-01-01", "as_of: 2024-02-30", "cases[0] (a case).as_of"),
    ("as_of: 2023-01-01", "as_of: 2023-13-01", "cases[0] (a case).as_of"),
    ("as_of: 2023-01-01", "as_of: [2023]", "cases[0] (a case).as_of"),
    ("as_of: 2023-01-01", "as_of: 2023-01-01T08:00:00", "cases[0] (a case).as_of"),
    ("expect: {toy.area: fail}", "expect: {toy.area: fail}\n    measured: {toy.area: lots}", "cases[0] (a case).measured.toy.area"),
    ("expect: {toy.area: fail}", "expect: {toy.area: fail}\n    measured: {toy.area: .nan}", "cases[0] (a case).measured.toy.area"),
    ("expect: {toy.area: fail}", "expect: {toy.area: fail}\n    measured: {toy.area: [1]}", "cases[0] (a case).measured.toy.area"),
    ("expect: {toy.area: fail}", "expect: {toy.area: fail}\n    measured: {toy.area: {'12x': 1}}",
     "cases[0] (a case).measured.toy.area.12x"),
    ("expect: {toy.area: fail}", "expect: {toy.area: fail}\n    regions: {'12x': {}}", "cases[0] (a case).regions.12x"),
    ("expect: {toy.area: fail}", "expect: {toy.area: fail}\n    regions: {'0012': {}}", "cases[0] (a case).regions.0012"),
    ("expect: {toy.area: fail}", "expect: {toy.area: fail}\n    regions: {'4313': [1]}", "cases[0] (a case).regions.4313"),
    ("expect: {toy.area: fail}", "expect: {toy.area: {'abc': fail}}", "cases[0] (a case).expect.toy.area.abc"),
    ("expect: {toy.area: fail}", "expect: {toy.area: fail, toy.area: pass}", "cases[0] (a case).expect.toy.area"),
    ("expect: {toy.area: fail}", "expect:\n      toy.area: fail\n      toy.area: pass", "cases[0] (a case).expect.toy.area"),
    ("expect: {toy.area: fail}", "expect: {toy.area: [fail]}", "cases[0] (a case).expect.toy.area"),
    ("expect: {toy.area: fail}", "expect: {toy.area: fail}\n    as_of: 2023-01-02", "cases[0] (a case).as_of"),
    ("community: {area_type: urban, households: 10}", "community: {code: '12x', area_type: urban}",
     "cases[0] (a case).community[0].code"),
    ("community: {area_type: urban, households: 10}", "community: {area_type: urban, area_type: rural}",
     "cases[0] (a case).community.area_type"),
    ("policy: toy\n", "policy: toy\npolicy: toy\n", "policy"),
]


def _write(tmp_path, text, name="t.cases.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_the_good_file_loads(tmp_path):
    assert len(load_cases(_write(tmp_path, GOOD))) == 1


@pytest.mark.parametrize("old, new, place", EDITS, ids=[f"{p}:{n[-24:]}" for _, n, p in EDITS])
def test_hostile_case_file_is_a_validation_error_naming_file_case_and_key(tmp_path, old, new, place):
    assert old in GOOD
    p = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(sg.ValidationError) as info:
        load_cases(p)
    assert info.value.source == str(p)
    assert any(loc == f"{p}: {place}" or loc.startswith(f"{p}: {place}") for loc, _ in info.value.problems), \
        info.value.problems


@pytest.mark.parametrize("raw, words", [
    (GOOD.encode("utf-16"), "cannot read"),
    (b"cases: [" * 3000, "cannot read"),
    (b"- just\n- a list\n", "expected a mapping"),
    (b"cases: {a: 1}\n", "cases"),
    (b"policy: toy\ncases:\n  - {name: x, as_of: 2023-01-01, community: {}, expect: {toy.area: pass}, "
     b"{a: 1}: 2}\n", "cannot read"),
], ids=["utf-16", "deep", "list", "cases-mapping", "mapping-key"])
def test_hostile_case_file_bytes(tmp_path, raw, words):
    p = tmp_path / "t.cases.yaml"
    p.write_bytes(raw)
    with pytest.raises(sg.ValidationError) as info:
        load_cases(p)
    assert str(p) in str(info.value) and words in str(info.value)


def test_pytest_shows_one_short_message_for_a_bad_case_file(tmp_path):
    """Collected by the plug-in, a bad case file fails with the library's message, no traceback."""
    _write(tmp_path, GOOD.replace("as_of: 2023-01-01", "as_of: 2024-02-30"), "bad.cases.yaml")
    here = Path(__file__).parent
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(here)!r})\nimport shequ_gov as sg\nimport toy_rules\n"
        f"sg.policies.register(sg.Policy.from_toml({str(here / 'data' / 'toy_policy.toml')!r}, [toy_rules]))\n",
        encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                          str(tmp_path)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "bad.cases.yaml" in text and "cases[0] (a case).as_of" in text and "'2024-02-30'" in text
    assert "Traceback" not in text and "site-packages" not in text and "load_cases(" not in text, text
