"""The command line under hostile input, run as a user runs it (a subprocess): every failure is
one line on standard error naming the input, exit code 2, never a traceback."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest

import shequ_gov as sg

CLI = [sys.executable, "-m", "shequ_gov.cli"]
ENV = {**os.environ, "PYTHONWARNINGS": "ignore", "SHEQU_GOV_DEBUG": ""}


def _run(args, cwd, **kw):
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=ENV,
                          timeout=300, **kw)


@pytest.fixture(scope="module")
def files(tmp_path_factory, ):
    """A valid dataset and a set of hostile files, by name."""
    from conftest import EXAMPLE

    d = tmp_path_factory.mktemp("cli")
    good = d / "good.json"
    sg.Dataset.from_dict(EXAMPLE).write(good)
    text = good.read_text(encoding="utf-8")
    (d / "corrupt.json.gz").write_bytes(gzip.compress(text.encode())[:40] + b"\x00garbage" * 20)
    (d / "huge-int.json").write_text(text.replace('"households":1500', '"households":1' + "0" * 400))
    (d / "nested.json").write_text('{"schema":"shequ-gov/1","regions":' + "[" * 100_000 + "]" * 100_000 + "}")
    (d / "gbk.json").write_bytes(text.encode("utf-8").replace("示例社区".encode(), "示例社区".encode("gbk")))
    (d / "invalid.json").write_text(text.replace('"households":1500', '"households":"many"')
                                    .replace('"population":4300', '"population":-5'))
    (d / "unit.json").write_text(text.replace('"area":620', '"area":"620 m**(1/0)"'))
    (d / "not-json.json").write_text("{ this is not json")
    (d / "empty.csv").write_text("")
    (d / "adir").mkdir()
    return d


#: (arguments, the name the one line must contain); {d} is the directory of the files
CASES = [
    (["evaluate", "missing.json"], "missing.json"),
    (["evaluate", "corrupt.json.gz"], "corrupt.json.gz"),
    (["evaluate", "huge-int.json"], "huge-int.json"),
    (["evaluate", "nested.json"], "nested.json"),
    (["evaluate", "gbk.json"], "gbk.json"),
    (["evaluate", "invalid.json"], "invalid.json"),
    (["evaluate", "unit.json"], "unit.json"),
    (["evaluate", "not-json.json"], "not-json.json"),
    (["evaluate", "empty.csv"], "empty.csv"),
    (["evaluate", "adir"], "adir"),
    (["evaluate", "good.json", "--as-of", "2024-02-30"], "2024-02-30"),
    (["evaluate", "good.json", "--policy", "nowhere"], "nowhere"),
    (["evaluate", "good.json", "--as-of", "2024-01-01", "-o", "adir"], "adir"),
    (["evaluate", "good.json", "--as-of", "2024-01-01", "--format", "json", "-o", "good.json/out.json"], "good.json/out.json"),
    (["explain", "good.json", "999999999999", "loudi.staffing.ratio", "--as-of", "2024-01-01"], "999999999999"),
    (["explain", "good.json", "431302001001", "no.such.rule", "--as-of", "2024-01-01"], "no.such.rule"),
    (["synth", "--scale", "0", "-o", "s.json", "--no-progress"], "0"),
    (["synth", "--scale", "galaxy", "-o", "s.json", "--no-progress"], "galaxy"),
    (["synth", "--scale", "5", "-o", "s.txt", "--no-progress"], "s.txt"),
    (["synth", "--scale", "5", "--skeleton", "corrupt.json.gz", "-o", "s.json", "--no-progress"], "corrupt.json.gz"),
]


@pytest.mark.parametrize("args, name", CASES, ids=[" ".join(a)[:40] for a, _ in CASES])
def test_every_failure_is_one_line_naming_the_input_and_exit_2(files, args, name):
    out = _run(args, files)
    lines = [x for x in out.stderr.splitlines() if x.strip()]
    assert out.returncode == 2, out.stderr
    assert len(lines) == 1 and lines[0].startswith("shequ-gov: "), out.stderr
    assert name in lines[0]
    assert "Traceback" not in out.stderr and ".tmp" not in out.stderr


def test_a_usage_error_is_exit_2(files):
    out = _run(["synth", "--seed", "-1", "-o", "s.json"], files)
    assert out.returncode == 2 and "--seed" in out.stderr and "Traceback" not in out.stderr


def test_table_output_is_written_atomically_with_the_usual_mode(files):
    old = os.umask(0o022)
    try:
        out = _run(["evaluate", "good.json", "--as-of", "2024-01-01", "-o", "table.txt"], files)
    finally:
        os.umask(old)
    assert out.returncode == 0, out.stderr
    assert "loudi" in (files / "table.txt").read_text(encoding="utf-8")
    assert (files / "table.txt").stat().st_mode & 0o777 == 0o644
    assert not [p for p in os.listdir(files) if p.endswith(".tmp")]


def test_explain_into_a_closed_pipe_says_nothing(files):
    """`shequ-gov explain … | head -1`: no broken-pipe message; exit 141 as for SIGPIPE."""
    proc = subprocess.Popen(CLI + ["explain", "good.json", "431302001001", "loudi.staffing.ratio", "--as-of",
                                   "2024-01-01"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=files, env=ENV)
    proc.stdout.read(1)
    proc.stdout.close()  # the reader goes away after one byte
    err = proc.stderr.read().decode()
    proc.wait(timeout=300)
    assert err == "" and proc.returncode in (0, 141)


def test_evaluate_json_of_good_data_still_works(files):
    out = _run(["evaluate", "good.json", "--as-of", "2024-01-01", "--format", "json"], files)
    assert out.returncode == 0 and json.loads(out.stdout)["schema"]
