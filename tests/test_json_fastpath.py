"""The JSON reader's fast path (msgspec typed records) reads exactly what the guarded reader reads:
the same dataset (fingerprint) or the same problems, whichever path took which community."""

import gzip
import json
import subprocess
import sys

import pytest

import shequ_gov as sg
from shequ_gov import _jsonread, _jsonstruct, synth

pytestmark = pytest.mark.skipif(not _jsonstruct.AVAILABLE, reason="msgspec (the [json] extra) is not installed")

HEAD = ('{"schema":"shequ-gov/1",\n"regions":[\n'
        '{"code":"430000000000","name":"湖南省","level":"province"},\n'
        '{"code":"431300000000","name":"娄底市","level":"city","parent":"430000000000"},\n'
        '{"code":"431302000000","name":"娄星区","level":"district","parent":"431300000000"},\n'
        '{"code":"431302001000","name":"乐坪街道","level":"street","parent":"431302000000"}],\n'
        '"communities":[\n')


def community(i: int, **extra) -> dict:
    c = {"code": f"431302001{i + 1:03d}", "name": f"社区{i}", "parent": "431302001000", "households": 100 + i,
         "population": 300 + 3 * i, "facilities": [{"kind": "service_housing", "area": 350 + i}],
         "staff": [{"roles": ["worker"], "monthly_pay": 3000 + i, "ratings": {"2022": "competent"}}],
         "funding": {"operating": 200000}, "plaques": []}
    c.update(extra)
    return c


def document(lines: list[str]) -> str:
    return HEAD + ",\n".join(lines) + "\n]}\n"


def lines_of(comms: list[dict]) -> list[str]:
    return [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in comms]


def read_both(path, monkeypatch) -> tuple:
    """(fingerprint or problems, communities the fast path decoded) with the fast path, then the same
    with the fast path off."""
    decoded = []
    real = _jsonstruct.decode

    def spy(body):
        got = real(body)
        decoded.append(0 if got is None else len(got[0]))
        return got

    out = []
    for fast in (True, False):
        monkeypatch.setattr(_jsonread, "USE_FAST", fast)
        monkeypatch.setattr(_jsonstruct, "decode", spy)
        try:
            out.append(sg.Dataset.read(path).fingerprint())
        except sg.ValidationError as exc:
            out.append(exc.problems)
    assert out[0] == out[1]
    return out[0], sum(decoded)


@pytest.fixture
def small_spans(monkeypatch):
    monkeypatch.setattr(_jsonread, "FAST_SPAN", 1500)  # a few communities per span
    monkeypatch.setattr(_jsonread, "FAST_FAILURES", 1000)


def test_generated_dataset_is_identical_on_both_paths(tmp_path, monkeypatch):
    ds = synth.generate(2_000, seed=3)
    for name in ("d.json", "d.json.gz"):
        ds.write(tmp_path / name)
        fp, fast = read_both(tmp_path / name, monkeypatch)
        assert fp == ds.fingerprint()
        assert fast > 1_900  # the fast path took (nearly) every community


# (id, the community in the middle of the document, as text)
EDGE = [
    ("repeated key", lines_of([community(5)])[0].replace('"households":105', '"households":105,"households":7')),
    ("repeated key in a child", lines_of([community(5)])[0].replace('"area":355', '"area":355,"area":1')),
    ("repeated year", lines_of([community(5)])[0].replace('{"2022":"competent"}', '{"2022":"competent","2022":"basic"}')),
    ("repeated key, spaced", lines_of([community(5)])[0].replace('"households":105', '"households":105,"households" :7')),
    ("unit string", lines_of([community(5, population="1,200 人")])[0]),
    ("quantity with unit", lines_of([community(5, facilities=[{"kind": "office", "area": "120 m²"}])])[0]),
    ("null", lines_of([community(5, households=None, funding=None)])[0]),
    ("unknown field", lines_of([community(5, househlds=3)])[0]),
    ("bad vocabulary key", lines_of([community(5, plaques=["no such plaque"])])[0]),
    ("name starting with a colon", lines_of([community(5, name=":冒号")])[0]),
    ("name with a quote and escapes", lines_of([community(5, name='a"b\\c\u00e9')])[0]),
    ("escaped colon in a name", lines_of([community(5)])[0].replace('"社区5"', '"\\u003a社区5"')),
    ("lone surrogate", lines_of([community(5)])[0].replace('"社区5"', '"\\ud800"')),
    ("NaN", lines_of([community(5)])[0].replace('"households":105', '"households":NaN')),
    ("huge int", lines_of([community(5)])[0].replace('"households":105', '"households":1' + "0" * 400)),
    ("float as small int", lines_of([community(5)])[0].replace('"households":105', '"households":105.0')),
    ("bool as count", lines_of([community(5)])[0].replace('"households":105', '"households":true')),
    ("year out of range", lines_of([community(5)])[0].replace('"2022"', '"1800"')),
    ("syntax error", lines_of([community(5)])[0][:-1] + "]"),
    ("pretty printed", json.dumps(community(5), ensure_ascii=False, indent=2)),
    ("spaced separators", json.dumps(community(5), ensure_ascii=False)),
]


FATAL = {"NaN", "syntax error"}  # reading stops at these


@pytest.mark.parametrize("case", EDGE, ids=[c[0] for c in EDGE])
def test_edge_cases_read_the_same_on_both_paths(case, tmp_path, monkeypatch, small_spans):
    lines = lines_of([community(i) for i in range(5)]) + [case[1]] + lines_of([community(i) for i in range(6, 40)])
    for name, data in (("e.json", document(lines).encode()), ("e.json.gz", gzip.compress(document(lines).encode()))):
        (tmp_path / name).write_bytes(data)
        _, fast = read_both(tmp_path / name, monkeypatch)
        # the fast path read the spans before the edge case, and after it unless reading stopped there
        assert fast >= (5 if case[0] in FATAL else 20)


def test_repeated_key_is_reported_from_a_fast_span(tmp_path, monkeypatch, small_spans):
    lines = lines_of([community(i) for i in range(30)])
    lines[12] = lines[12].replace('"area":362', '"area":362,"area":1')
    (tmp_path / "r.json").write_text(document(lines), encoding="utf-8")
    problems, _ = read_both(tmp_path / "r.json", monkeypatch)
    assert any("communities[12]" in place and "repeated key 'area'" in msg for place, msg in problems)


def test_reads_without_msgspec(tmp_path):
    """The core reads JSON with the standard library alone (msgspec hidden from the import)."""
    ds = synth.generate(200, seed=1)
    ds.write(tmp_path / "d.json")
    code = ("import sys; sys.modules['msgspec'] = None\n"
            "import shequ_gov as sg\nfrom shequ_gov import _jsonstruct\n"
            "assert not _jsonstruct.AVAILABLE\n"
            f"print(sg.Dataset.read({str(tmp_path / 'd.json')!r}).fingerprint())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ds.fingerprint()
