"""The one atomic writer: permissions as open() gives them, errors naming the user's path, stale
temporaries of killed writers removed, and a writer killed mid-write leaves the old file intact."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from shequ_gov import _io
from shequ_gov._atomic import atomic_write


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_old_name_in_io_is_the_same_writer():
    assert _io.atomic_write is atomic_write


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_open_would_give(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write(tmp_path / "new.txt", lambda f: f.write(b"x"))
        with open(tmp_path / "plain.txt", "w") as f:
            f.write("x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.txt") == _mode(tmp_path / "plain.txt") == 0o666 & ~umask


def test_an_existing_file_keeps_its_mode(tmp_path):
    p = tmp_path / "kept.json"
    p.write_text("old")
    os.chmod(p, 0o640)
    atomic_write(p, lambda f: f.write(b"new"))
    assert p.read_text() == "new" and _mode(p) == 0o640


def test_a_failing_write_leaves_the_old_file_and_no_temporary(tmp_path):
    p = tmp_path / "out.json"
    p.write_text("old")

    def boom(f):
        f.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(p, boom)
    assert p.read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.json"]


@pytest.mark.parametrize("kind", ["directory", "parent is a file"])
def test_errors_name_the_users_path_not_the_temporary(tmp_path, kind):
    if kind == "directory":
        target = tmp_path / "adir"
        target.mkdir()
    else:
        (tmp_path / "afile").write_text("x")
        target = tmp_path / "afile" / "out.json"
    with pytest.raises(OSError) as info:
        atomic_write(target, lambda f: f.write(b"x"))
    assert str(target) in str(info.value) and ".tmp" not in str(info.value)


def test_gzip_by_suffix_in_any_case(tmp_path):
    import gzip

    for name in ("a.json.gz", "b.JSON.GZ"):
        atomic_write(tmp_path / name, lambda f: f.write(b"{}"))
        assert gzip.decompress((tmp_path / name).read_bytes()) == b"{}"


def test_text_mode_writes_utf8(tmp_path):
    atomic_write(tmp_path / "t.txt", lambda f: f.write("社区\n"), binary=False)
    assert (tmp_path / "t.txt").read_bytes() == "社区\n".encode()


_WRITER = textwrap.dedent("""
    import sys, time
    from shequ_gov._atomic import atomic_write

    def slow(f):
        for i in range(10_000):
            f.write(b"new data " * 1000)
            if i == 3:
                f.flush()
                print("writing", flush=True)
            time.sleep(0.01)

    atomic_write(sys.argv[1], slow)
""")


def test_a_writer_killed_mid_write_leaves_the_old_file_and_the_next_write_cleans_up(tmp_path):
    """SIGKILL during the write: the old file is intact; the next write removes the dead writer's temporary."""
    p = tmp_path / "report.json"
    p.write_text("old report")
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(p)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        stale = [x for x in tmp_path.iterdir() if x.name != "report.json"]
        assert len(stale) == 1 and stale[0].name.startswith(".report.json.shequ-") and stale[0].stat().st_size > 0
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert p.read_text() == "old report"
    assert stale[0].exists()  # a killed process cannot clean up: the next write does
    atomic_write(p, lambda f: f.write(b"new report"))
    assert p.read_text() == "new report"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["report.json"]


def test_a_live_writers_temporary_is_not_removed(tmp_path):
    """Only temporaries of processes that no longer run are stale."""
    live = tmp_path / f".out.json.shequ-{os.getppid()}-0123abcd.tmp"
    live.write_text("someone is writing")
    time.sleep(0.01)
    atomic_write(tmp_path / "out.json", lambda f: f.write(b"x"))
    assert live.exists()


@pytest.mark.parametrize("name", ["d.JSON.GZ", "d.Json.Gz"])
def test_an_upper_case_gz_suffix_is_written_and_read_compressed(tmp_path, example_doc, name):
    import shequ_gov as sg

    p = tmp_path / name
    sg.Dataset.from_dict(example_doc).write(p)
    assert p.read_bytes()[:2] == b"\x1f\x8b"
    assert len(sg.Dataset.read(p)) == 2
