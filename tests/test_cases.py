"""Case files: loading, errors that name every misspelled key, and running a case by hand."""

import pytest

import shequ_gov as sg
from shequ_gov.testing import load_cases, run_case


def write(tmp_path, text):
    p = tmp_path / "t.cases.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_every_misspelled_key_of_a_file_is_reported_at_once(tmp_path):
    """Unknown keys and statuses anywhere in the file are all named, with their case."""
    p = write(tmp_path, """
policy: toy
defualts: {as_of: 2023-01-01}
cases:
  - name: first
    as_of: 2023-01-01
    comunity: {households: 1}
    expect: {toy.area: pass}
  - name: second
    as_of: 2023-01-01
    community: {households: 1}
    expect: {toy.area: passs}
""")
    with pytest.raises(sg.ValidationError) as info:
        load_cases(p)
    text = str(info.value)
    assert "defualts" in text and "did you mean 'defaults'" in text
    assert "cases[0] (first).comunity" in text and "did you mean 'community'" in text
    assert "cases[1] (second).expect.toy.area" in text and "did you mean 'pass'" in text


def test_a_failing_case_lists_every_mismatch(tmp_path, toy_policy):
    """run_case returns one line per expectation that does not hold, with the verdict's message."""
    p = write(tmp_path, """
policy: toy
cases:
  - name: wrong twice
    as_of: 2023-01-01
    community: {area_type: urban, facilities: [{kind: service_housing, area: 10}], tasks: []}
    expect: {toy.area: pass, toy.banned_tasks: fail}
""")
    (case,) = load_cases(p)
    problems = run_case(case)
    assert len(problems) == 2
    assert problems[0].startswith("toy.area on 431301001001: expected pass, got fail") and "needs 440 m² more" in problems[0]


def test_unknown_policy_in_a_case(tmp_path):
    """A case naming a policy that is not installed says so."""
    p = write(tmp_path, "policy: nowhere\ncases:\n  - {name: x, as_of: 2023-01-01, community: {}, expect: {a.b: pass}}\n")
    (case,) = load_cases(p)
    with pytest.raises(KeyError, match="no policy 'nowhere'"):
        run_case(case)


def test_document_builds_codes_and_the_region_chain():
    """document() numbers communities in a street under the given code and adds every region above."""
    from shequ_gov.testing import document

    doc = document([{}, {"code": "431302002001"}], regions={"4313": {"average_annual_wage": 60000}}, under="4313")
    assert [c["code"] for c in doc["communities"]] == ["431301001001", "431302002001"]
    ds = sg.Dataset.from_dict(doc)
    assert ds.n_regions == 6 and ds.region("4313").average_annual_wage.magnitude == 60000
