"""The shequ-gov command line: outputs and exit codes."""

import json

import pytest

import shequ_gov as sg
from shequ_gov.cli import main


@pytest.fixture
def data(tmp_path, example_doc):
    p = tmp_path / "d.json"
    sg.Dataset.from_dict(example_doc).write(p)
    return str(p)


def test_policies_lists_installed_and_registered(capsys, toy_policy):
    """`policies` prints a table with the toy policy and its number of rules."""
    assert main(["policies"]) == 0
    out = capsys.readouterr().out
    assert "toy" in out and "431300000000" in out


def test_evaluate_table_json_csv(data, capsys, tmp_path):
    """`evaluate` prints a summary table, or writes JSON / CSV."""
    assert main(["evaluate", data, "--policy", "toy", "--as-of", "2023-01-01"]) == 0
    assert "toy.area" in capsys.readouterr().out
    out = tmp_path / "r.json"
    assert main(["evaluate", data, "--policy", "toy", "--as-of", "2023-01-01", "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["metadata"]["as_of"] == "2023-01-01"
    assert main(["evaluate", data, "--policy", "toy", "--as-of", "2023-01-01", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("code,level,policy,rule")


def test_fail_on_exit_code(data, capsys):
    """--fail-on makes FAIL verdicts of that strength or stronger exit 1."""
    assert main(["evaluate", data, "--policy", "toy", "--as-of", "2023-01-01", "--fail-on", "mandatory"]) == 1
    assert "toy.banned_tasks" in capsys.readouterr().err
    assert main(["evaluate", data, "--policy", "toy", "--as-of", "2019-06-01", "--fail-on", "any"]) == 0


def test_explain(data, capsys):
    """`explain` prints the explanation of one verdict."""
    assert main(["explain", data, "431302001001", "toy.banned_tasks", "--policy", "toy", "--as-of", "2023-01-01"]) == 0
    assert "城市管理" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["evaluate", "missing.json"], "no such file"),
    (["evaluate", "{data}", "--policy", "nope"], "no policy 'nope'"),
    (["evaluate", "{data}", "--as-of", "yesterday"], "ISO date"),
    (["explain", "{data}", "431302001001", "toy.nothing", "--policy", "toy"], "no rule"),
    (["evaluate"], "required"),
])
def test_bad_input_exits_2_with_a_message_and_no_traceback(data, capsys, argv, words):
    """Bad input exits 2 with a message naming the problem, never a traceback."""
    argv = [a.replace("{data}", data) for a in argv]
    with pytest.raises(SystemExit) if argv == ["evaluate"] else _nullcontext() as exc:
        code = main(argv)
    if argv == ["evaluate"]:
        code = exc.value.code
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


def test_malformed_data_file(tmp_path, capsys):
    """A malformed file is named with line and column."""
    p = tmp_path / "bad.json"
    p.write_text("{")
    assert main(["evaluate", str(p), "--policy", "toy"]) == 2
    assert "malformed JSON" in capsys.readouterr().err


def test_synth_writes_a_deterministic_dataset(tmp_path, capsys):
    """`synth` writes the interchange format (gzip by suffix); the same seed gives the same bytes."""
    a, b = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    assert main(["synth", "--scale", "tiny", "--seed", "1", "-o", str(a), "--no-progress"]) == 0
    assert main(["synth", "--scale", "40", "--seed", "1", "-o", str(b), "--no-progress"]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert len(sg.Dataset.read(a)) == 40
    assert "wrote 40 communities" in capsys.readouterr().err


def test_synth_on_a_skeleton(tmp_path, example_doc):
    """`synth --skeleton` keeps the skeleton's codes and names."""
    skel = tmp_path / "skel.json"
    sg.Dataset.from_dict(example_doc).write(skel)
    out = tmp_path / "s.json"
    assert main(["synth", "--scale", "national", "--skeleton", str(skel), "-o", str(out), "--no-progress"]) == 0
    ds = sg.Dataset.read(out)
    assert [c.name for c in ds.communities] == ["示例社区", "空白社区"]


def test_synth_bad_scale(tmp_path, capsys):
    """An unknown scale is bad input: exit 2 with the choices."""
    assert main(["synth", "--scale", "county", "-o", str(tmp_path / "x.json")]) == 2
    assert "tiny, city, province, national" in capsys.readouterr().err
