"""The JSON reader's fast paths (pyarrow's JSON parser over spans of lines, ``_jsonarrow``; msgspec
typed records, ``_jsonstruct``) read exactly what the guarded reader reads: the same dataset
(fingerprint) or the same problems, whichever path took which community."""

import gzip
import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_readers_fuzz import mutated_documents

import shequ_gov as sg
from shequ_gov import _jsonarrow, _jsonread, _jsonstruct, synth
from shequ_gov.testing import dataset_documents

ENGINES = [pytest.param("arrow", marks=pytest.mark.skipif(not _jsonarrow.available(),
                                                          reason="pyarrow (the [arrow] extra) is not installed")),
           pytest.param("msgspec", marks=pytest.mark.skipif(not _jsonstruct.AVAILABLE,
                                                            reason="msgspec (the [json] extra) is not installed"))]

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


def read_both(path, monkeypatch, engine: str) -> tuple:
    """(fingerprint or problems, communities the fast path *engine* took) with the fast path, then
    the same with the fast path off."""
    took = []
    arrow_gather, msgspec_decode = _jsonarrow.gather, _jsonstruct.decode

    def arrow_spy(data, end, offset):
        got = arrow_gather(data, end, offset)
        took.append(0 if got is None else len(got.code))
        return got

    def msgspec_spy(data, end):
        got = msgspec_decode(data, end)
        took.append(0 if got is None else len(got))
        return got

    monkeypatch.setattr(_jsonarrow, "MIN_BYTES", 0 if engine == "arrow" else 1 << 62)
    monkeypatch.setattr(_jsonarrow, "gather", arrow_spy)
    if engine == "arrow":  # counted by the arrow path alone
        monkeypatch.setattr(_jsonstruct, "AVAILABLE", False)
    else:
        monkeypatch.setattr(_jsonstruct, "decode", msgspec_spy)
    out = []
    for fast in (True, False):
        monkeypatch.setattr(_jsonread, "USE_FAST", fast)
        try:
            out.append(sg.Dataset.read(path).fingerprint())
        except sg.ValidationError as exc:
            out.append(exc.problems)
    assert out[0] == out[1]
    return out[0], sum(took)


@pytest.fixture
def small_spans(monkeypatch):
    monkeypatch.setattr(_jsonread, "FAST_SPAN", 1500)  # a few communities per span
    monkeypatch.setattr(_jsonread, "FAST_FAILURES", 1000)


@pytest.mark.parametrize("engine", ENGINES)
def test_generated_dataset_is_identical_on_both_paths(engine, tmp_path, monkeypatch):
    ds = synth.generate(2_000, seed=3)
    for name in ("d.json", "d.json.gz"):
        ds.write(tmp_path / name)
        fp, fast = read_both(tmp_path / name, monkeypatch, engine)
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
    # what pyarrow's parser reads but JSON does not have, or the guarded reader refuses
    ("Infinity", lines_of([community(5)])[0].replace('"area":355', '"area":Infinity')),
    ("minus Infinity", lines_of([community(5)])[0].replace('"area":355', '"area":-Infinity')),
    ("Inf", lines_of([community(5)])[0].replace('"households":105', '"households":Inf')),
    ("minus NaN", lines_of([community(5)])[0].replace('"households":105', '"households":-NaN')),
    ("two objects on a line", lines_of([community(5)])[0] + lines_of([community(50)])[0]),
    ("null record", lines_of([community(5, facilities=[None, {"kind": "office", "area": 20}])])[0]),
    ("null staff member", lines_of([community(5, staff=[None])])[0]),
    ("null tag", lines_of([community(5, plaques=[None])])[0]),
    ("null role", lines_of([community(5, staff=[{"roles": [None]}])])[0]),
    ("null rating", lines_of([community(5, staff=[{"roles": ["worker"], "ratings": {"2022": None}}])])[0]),
    ("empty ratings", lines_of([community(5, staff=[{"roles": ["worker"], "ratings": {}}])])[0]),
    ("ratings out of order", lines_of([community(5, staff=[{"ratings": {"2023": "excellent", "2021": "competent"}}])])[0]),
    ("rating not a year", lines_of([community(5, staff=[{"ratings": {"last": "competent"}}])])[0]),
    ("rating as a number", lines_of([community(5, staff=[{"ratings": {"2022": 3}}])])[0]),
    ("ratings not an object", lines_of([community(5, staff=[{"ratings": ["2022"]}])])[0]),
    ("unknown field in a child", lines_of([community(5, staff=[{"roles": ["worker"], "wage": 3}])])[0]),
    ("unknown field in a group", lines_of([community(5, funding={"operating": 1, "other": 2})])[0]),
    ("whole number as float in an int", lines_of([community(5, staff=[{"post": 2.0, "grade": 3}])])[0]),
    ("post and grade out of step", lines_of([community(5, staff=[{"post": 0, "grade": 3}])])[0]),
    ("big integer in a quantity", lines_of([community(5)])[0].replace('"area":355', '"area":99999999999999999999999')),
    ("minus zero", lines_of([community(5)])[0].replace('"area":355', '"area":-0')),
    ("share above one", lines_of([community(5, burden={"admin_work_share": 1.5})])[0]),
    ("facility without kind", lines_of([community(5, facilities=[{"area": 12}])])[0]),
    ("unknown task kind", lines_of([community(5, tasks=[{"kind": "新事项", "role": "self"}])])[0]),
    ("empty task kind", lines_of([community(5, tasks=[{"kind": " ", "role": "self"}])])[0]),
    ("repeated unified key", lines_of([community(5, unified=["signage", "signage"])])[0]),
    ("community code of a street", lines_of([community(5)])[0].replace('"431302001006"', '"431302001000"')),
    ("code as a number", lines_of([community(5)])[0].replace('"431302001006"', '431302001006')),
    ("unknown parent", lines_of([community(5)])[0].replace('"parent":"431302001000"', '"parent":"431302009000"')),
    ("blank name", lines_of([community(5, name="  ")])[0]),
    ("CRLF line", lines_of([community(5)])[0] + "\r"),
    ("control character escaped", lines_of([community(5, name="a\u0001b")])[0]),
]


FATAL = {"NaN", "syntax error", "Infinity", "minus Infinity", "Inf", "minus NaN", "two objects on a line"}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", EDGE, ids=[c[0] for c in EDGE])
def test_edge_cases_read_the_same_on_both_paths(case, engine, tmp_path, monkeypatch, small_spans):
    lines = lines_of([community(i) for i in range(5)]) + [case[1]] + lines_of([community(i) for i in range(6, 40)])
    for name, data in (("e.json", document(lines).encode()), ("e.json.gz", gzip.compress(document(lines).encode()))):
        (tmp_path / name).write_bytes(data)
        _, fast = read_both(tmp_path / name, monkeypatch, engine)
        # the fast path read the spans before the edge case, and after it unless reading stopped there
        assert fast >= (5 if case[0] in FATAL else 20)


@pytest.mark.parametrize("engine", ENGINES)
def test_repeated_key_is_reported_from_a_fast_span(engine, tmp_path, monkeypatch, small_spans):
    lines = lines_of([community(i) for i in range(30)])
    lines[12] = lines[12].replace('"area":362', '"area":362,"area":1')
    (tmp_path / "r.json").write_text(document(lines), encoding="utf-8")
    problems, _ = read_both(tmp_path / "r.json", monkeypatch, engine)
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


def _one_a_line(doc: dict, ascii_only: bool) -> bytes:
    """*doc* written as :meth:`Dataset.write` lays it out: one community a line."""
    comms = doc.get("communities")
    if not isinstance(comms, list) or not comms:
        return json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    rest = {k: v for k, v in doc.items() if k != "communities"}
    head = json.dumps(rest, ensure_ascii=ascii_only)[:-1] + (',' if rest else '') + '"communities":[\n'
    text = head + ",\n".join(json.dumps(c, ensure_ascii=ascii_only) for c in comms) + "\n]}\n"
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate as (invalid) UTF-8 bytes


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=int(os.environ.get("SHEQU_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(doc=mutated_documents(), ascii_only=st.booleans())
def test_fast_path_reads_any_mutated_document_exactly_as_the_guarded_reader(engine, doc, ascii_only, tmp_path,
                                                                             monkeypatch):
    monkeypatch.setattr(_jsonread, "FAST_SPAN", 1500)  # one to three communities per span
    monkeypatch.setattr(_jsonread, "FAST_FAILURES", 1000)
    path = tmp_path / "m.json"
    path.write_bytes(_one_a_line(doc, ascii_only))
    read_both(path, monkeypatch, engine)  # asserts that both give the same dataset or the same problems


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=int(os.environ.get("SHEQU_FUZZ_EXAMPLES", "60")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(doc=dataset_documents(max_communities=6), ascii_only=st.booleans())
def test_fast_path_takes_every_community_of_a_valid_document_but_the_last(engine, doc, ascii_only, tmp_path,
                                                                          monkeypatch):
    """The last community has no line after it to cut the span at: the guarded reader reads it."""
    path = tmp_path / "v.json"
    path.write_bytes(_one_a_line(doc, ascii_only))
    fingerprint, took = read_both(path, monkeypatch, engine)
    assert isinstance(fingerprint, str)
    assert took == max(len(doc["communities"]) - 1, 0)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("at", [3, 20, 33])
def test_invalid_utf8_is_named_by_its_byte_whichever_path_met_it(engine, at, tmp_path, monkeypatch, small_spans):
    lines = lines_of([community(i) for i in range(40)])
    text = document(lines).encode()
    pos = text.index(lines[at].encode()) + lines[at].encode().index("社区".encode())
    bad = text[:pos] + b"\xff" + text[pos + 1:]
    (tmp_path / "u.json").write_bytes(bad)
    problems, _ = read_both(tmp_path / "u.json", monkeypatch, engine)
    assert len(problems) == 1 and f"near byte {pos:,}" in problems[0][1]


def test_reads_and_writes_without_pyarrow(tmp_path):
    """Without pyarrow (hidden from the import) the fast paths that would use it step aside: the
    writer joins Python lists, the reader takes msgspec or the guarded path; same bytes, same dataset."""
    ds = synth.generate(300, seed=4)
    ds.write(tmp_path / "ref.json")
    code = ("import sys; sys.modules['pyarrow'] = None\n"
            "import shequ_gov as sg\nfrom shequ_gov import _jsonarrow, _jsonfast, _jsonread, synth\n"
            "_jsonfast.ARROW_MIN_COMMUNITIES = 0; _jsonarrow.MIN_BYTES = 0; _jsonread.FAST_SPAN = 20000\n"
            "assert not _jsonarrow.available()\n"
            f"ds = synth.generate(300, seed=4); ds.write({str(tmp_path / 'd.json')!r})\n"
            f"print(sg.Dataset.read({str(tmp_path / 'd.json')!r}).fingerprint())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ds.fingerprint()
    assert (tmp_path / "d.json").read_bytes() == (tmp_path / "ref.json").read_bytes()
