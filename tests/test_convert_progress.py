"""`shequ-gov convert`, Parquet on the command line, and progress (on a terminal only)."""

import io
import time

import pytest

import shequ_gov as sg
from shequ_gov import synth
from shequ_gov._progress import Progress
from shequ_gov.cli import main

pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def tiny_json(tmp_path_factory):
    p = tmp_path_factory.mktemp("conv") / "tiny.json.gz"
    synth.generate("tiny", seed=5).write(p)
    return p


def test_convert_between_every_format_keeps_the_bytes(tiny_json, tmp_path, capsys):
    """json.gz → parquet → partitioned parquet → json gives the bytes Dataset.write gives."""
    ds = sg.Dataset.read(tiny_json)
    assert main(["convert", str(tiny_json), str(tmp_path / "a.parquet")]) == 0
    assert main(["convert", str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet"), "--partition-by",
                 "province"]) == 0
    assert main(["convert", str(tmp_path / "b.parquet"), str(tmp_path / "c.json")]) == 0
    ds.write(tmp_path / "d.json")
    assert (tmp_path / "c.json").read_bytes() == (tmp_path / "d.json").read_bytes()
    err = capsys.readouterr().err
    assert "wrote 40 communities" in err and "\r" not in err  # no progress on a pipe


def test_evaluate_explain_and_synth_accept_parquet(tiny_json, tmp_path, capsys):
    assert main(["synth", "--scale", "tiny", "--seed", "5", "-o", str(tmp_path / "s.parquet")]) == 0
    assert sg.Dataset.read(tmp_path / "s.parquet") == sg.Dataset.read(tiny_json)
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "s.parquet"), "--format", "json", "--mode", "what-if",
                 "--as-of", "2024-06-30"]) == 0
    via_parquet = capsys.readouterr().out
    assert main(["evaluate", str(tiny_json), "--format", "json", "--mode", "what-if", "--as-of", "2024-06-30"]) == 0
    assert capsys.readouterr().out == via_parquet
    ds = sg.Dataset.read(tiny_json)
    rule = next(r for p in sg.evaluate(ds, mode="what-if").policies for r in p.rules if r.level.value == "community")
    capsys.readouterr()
    assert main(["explain", str(tmp_path / "s.parquet"), ds.communities[0].code, rule.id, "--mode", "what-if"]) == 0
    assert "Source / 依据" in capsys.readouterr().out


def test_convert_reports_bad_input_in_one_line(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{")
    assert main(["convert", str(tmp_path / "bad.json"), str(tmp_path / "x.parquet")]) == 2
    assert "malformed JSON" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()
    assert main(["convert", str(tmp_path / "bad.json"), str(tmp_path / "x.txt")]) == 2


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_redraws_a_long_step_on_a_terminal_and_is_silent_on_a_pipe():
    term = _Terminal()
    with Progress(stream=term, interval=0.05) as prog:
        with prog.step("reading x.json", total=100, unit="communities"):
            prog.update(40)
            time.sleep(0.35)
    text = term.getvalue()
    assert text.count("\r") >= 4 and "40/100 communities (40%)" in text and text.endswith("\n")
    assert "100/100" in text  # the finished step shows its total
    pipe = io.StringIO()
    with Progress(stream=pipe, interval=0.05) as prog:
        with prog.step("reading x.json"):
            time.sleep(0.1)
    assert pipe.getvalue() == ""
