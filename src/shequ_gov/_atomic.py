"""Writing a file atomically: into a temporary file beside the target, then renamed into place.

Every file the library writes goes through :func:`atomic_write`, so a reader never sees half a
file and a failed or killed writer leaves the previous file as it was. The temporary file is
``.NAME.shequ-PID-XXXXXXXX.tmp`` in the target's directory; a writer killed before the rename
(SIGKILL, power loss) leaves it behind, and the next write of the same target removes every such
file whose process no longer runs (on POSIX systems; elsewhere they stay for you to delete). The file gets the permissions a plain ``open(path, "w")``
would give: an existing file keeps its mode, a new one gets ``0o666`` less the umask.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any, Callable

__all__ = ["atomic_write", "is_gzip_path"]


def is_gzip_path(path: str | os.PathLike[str]) -> bool:
    """Whether *path* names a gzip-compressed file (suffix ``.gz``, in any case)."""
    return Path(path).name.lower().endswith(".gz")


def _stale_pattern(name: str) -> re.Pattern[str]:
    return re.compile(re.escape(f".{name}.shequ-") + r"(\d+)-[0-9a-f]{8}\.tmp")


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name != "posix":  # on Windows os.kill would end the process: keep the file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone else's live process
        return True
    return True


def _remove_stale(directory: Path, name: str) -> None:
    """Remove temporaries of earlier writes of *name* whose writer no longer runs."""
    pattern = _stale_pattern(name)
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for e in entries:
        m = pattern.fullmatch(e.name)
        if m and not _alive(int(m.group(1))):
            try:
                os.unlink(e.path)
            except OSError:
                pass


def _user_error(exc: OSError, path: Path) -> OSError:
    """The same error, about the user's *path* rather than the hidden temporary file."""
    new = type(exc)(exc.errno, exc.strerror or str(exc), str(path))
    return new


def atomic_write(path: str | os.PathLike[str], write: Callable[[Any], None], *, binary: bool = True) -> None:
    """Write a file through *write(f)* into a temporary file beside *path*, then rename it into place.

    *write* gets a binary file (or a UTF-8 text file if not *binary*); a path ending in ``.gz``
    (any case) is gzip-compressed, reproducibly (no time stamp, no file name). If *write* raises,
    or the process dies, *path* is unchanged. An ``OSError`` names *path*, never the temporary.
    """
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(p))
        _remove_stale(p.parent, p.name)
        try:
            mode = stat.S_IMODE(os.stat(p).st_mode)  # an existing file keeps its permissions
        except FileNotFoundError:
            mode = None
        while True:
            tmp = p.parent / f".{p.name}.shequ-{os.getpid()}-{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
                break
            except FileExistsError:
                continue
    except OSError as exc:
        raise _user_error(exc, p) from None
    try:
        if mode is not None:
            os.chmod(fd, mode) if os.chmod in os.supports_fd else os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as raw:
            if is_gzip_path(p):
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
                    _call(write, gz, binary)
            else:
                _call(write, raw, binary)
        os.replace(tmp, p)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and exc.filename is not None and str(exc.filename) == str(tmp):
            raise _user_error(exc, p) from None
        raise


def _call(write: Callable[[Any], None], f: Any, binary: bool) -> None:
    if binary:
        write(f)
        return
    text = io.TextIOWrapper(f, encoding="utf-8", newline="")
    write(text)
    text.flush()
    text.detach()
