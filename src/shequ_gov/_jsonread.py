"""The lean, guarded reader of the interchange JSON (optionally gzip-compressed).

The document is never built as Python objects at once: the top-level object is scanned by hand
and the ``regions`` and ``communities`` arrays are decoded one element at a time with the standard
library's C decoder (``JSONDecoder.raw_decode``) from a text buffer refilled in chunks; spans of
communities written one a line go to a fast path instead (:class:`_Fast`). Every
:data:`BATCH` communities are turned into columns (``_columns.gather_communities``) and dropped,
so memory holds the columns plus one batch; the garbage collector is paused while reading (the
decoded objects have no cycles and are freed by reference counting).

Guards, each answered with a :class:`~shequ_gov.ValidationError` naming the file and the place:

- a compressed file is read through a streaming decompressor; a corrupted or truncated stream is
  an error, and so is one that inflates beyond :data:`MAX_INFLATE_RATIO` times its size on disk
  (with at least :data:`MIN_INFLATE_BYTES` always allowed): a *gzip bomb* is refused after reading
  that much, never held in memory;
- one record may not exceed :data:`MAX_RECORD_CHARS` characters;
- integers beyond any float are reported by the field that holds them; integers beyond Python's
  digit limit (4,300 digits) by their record; ``NaN`` and ``Infinity`` are not JSON;
- nesting deeper than the interpreter's recursion limit, lone UTF-16 surrogates (``"\\ud800"``)
  and a key repeated in one object are errors;
- a UTF-8 decoding error is reported with its byte offset.

A file is taken as gzip when its first two bytes are the gzip magic number, whatever its suffix.
"""

from __future__ import annotations

import codecs
import gc
import json
import os
import re
import sys
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from . import _columns as C
from . import _jsonarrow, _jsonstruct
from ._errors import Problems, ValidationError

#: Communities turned into columns at a time.
BATCH = 20_000
#: A compressed file may inflate to at most this many times its size on disk …
MAX_INFLATE_RATIO = 200
#: … or this many bytes, whichever is larger.
MIN_INFLATE_BYTES = 256 * 2**20
#: Read communities by a fast path (pyarrow or msgspec, when installed) where it can take them.
USE_FAST = True
#: Bytes of text read at a time by the fast path.
FAST_SPAN = 1 << 25
#: Spans the fast path may hand back to the guarded reader before it is left for the file.
FAST_FAILURES = 4
#: The longest single record (region or community) accepted, in characters.
MAX_RECORD_CHARS = 64 * 2**20

_CHUNK = 1 << 22  # bytes read at a time
_GZIP_MAGIC = b"\x1f\x8b"
_WS = re.compile(r"[ \t\n\r]*")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Stop(Exception):
    """A problem after which the document cannot be read further (syntax, limits): (place, message);
    the place is the file when not given."""

    def __init__(self, message: str, place: str | None = None):
        super().__init__(message)
        self.message, self.place = message, place


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


class _Text:
    """The text of a file in chunks: decompressed (bounded) when it is gzip, decoded as UTF-8."""

    def __init__(self, path: Path, raw: BinaryIO):
        self.path = path
        self.raw = raw
        self.gzip = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not self.gzip and path.suffix.lower() == ".gz":
            raise _Stop("cannot read: not gzip data, although the file is named .gz")
        self.inflate = zlib.decompressobj(wbits=31) if self.gzip else None
        self.limit = max(MIN_INFLATE_BYTES, MAX_INFLATE_RATIO * os.fstat(raw.fileno()).st_size)
        self.out_bytes = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.first = True
        self.eof = False
        self.back = b""  # bytes given back (:meth:`unread`), read again before the file
        self.offset = 0  # the position, in the (decompressed) bytes, of what is read next

    def _bytes(self) -> bytes:
        if self.inflate is None:
            data = self.raw.read(_CHUNK)
            if not data:
                self.eof = True
            return data
        out = b""
        while not out:
            if self.inflate.eof:
                rest = self.inflate.unused_data
                if not rest:
                    rest = self.raw.read(_CHUNK)
                if not rest:
                    self.eof = True
                    return b""
                if rest[:2] != _GZIP_MAGIC:  # trailing garbage after the last member
                    raise _Stop(f"cannot read: corrupted gzip data: {len(rest)} bytes after the end of the compressed stream")
                self.inflate = zlib.decompressobj(wbits=31)
                out = self.inflate.decompress(rest, _CHUNK)
                continue
            data = self.inflate.unconsumed_tail or self.raw.read(_CHUNK)
            if not data:
                raise _Stop("cannot read: corrupted gzip data: the compressed stream ends early (truncated file?)")
            out = self.inflate.decompress(data, _CHUNK)
        self.out_bytes += len(out)
        if self.out_bytes > self.limit:
            raise _Stop(f"the compressed file inflates to more than {self.limit:,} bytes "
                        f"({MAX_INFLATE_RATIO}× its size, at least {MIN_INFLATE_BYTES:,}): refused as a "
                        "possible gzip bomb")
        return out

    def _next(self) -> bytes:
        """The next bytes: those given back first, then the file's ('' at the end)."""
        if self.back:
            data, self.back = self.back, b""
        else:
            try:
                data = self._bytes()
            except zlib.error as exc:
                raise _Stop(f"cannot read: corrupted gzip data: {exc}") from None
        self.offset += len(data)
        return data

    def read(self) -> str:
        """The next piece of text ('' at the end)."""
        while self.back or not self.eof:
            pending = len(self.decoder.getstate()[0])
            data = self._next()
            try:
                text = self.decoder.decode(data, final=self.eof and not self.back)
            except UnicodeDecodeError as exc:
                raise _Stop(f"cannot read as UTF-8 text: {exc.reason} near byte {self.offset - len(data) - pending + exc.start:,}"
                            + (" of the decompressed data" if self.gzip else "")) from None
            if self.first and text:
                self.first = False
                text = text.lstrip("\ufeff")
            if text:
                return text
        return ""

    def take_bytes(self, size: int) -> bytes:
        """At least *size* bytes not yet decoded (fewer at the end), for a reader of bytes; what it
        does not take it gives back with :meth:`unread`."""
        pending = self.decoder.getstate()[0]
        self.decoder.reset()
        parts, n = [pending], len(pending)
        while n < size:
            data = self._next()
            if not data:
                break
            parts.append(data)
            n += len(data)
        return b"".join(parts)

    def unread(self, data: bytes) -> None:
        """Give back *data*: it is read again, before the rest of the file."""
        if data:
            self.back = data + self.back
            self.offset -= len(data)


class _Scanner:
    """The top-level object scanned by hand; array elements decoded one by one."""

    def __init__(self, text: _Text, problems: Problems):
        self.text = text
        self.p = problems
        self.buf = ""
        self.pos = 0
        self.lines = 0  # newlines in the text dropped from the buffer
        self.where = ""  # the element being decoded, for problems found by the hooks
        self.decoder = json.JSONDecoder(object_pairs_hook=self._object, parse_constant=self._constant)

    # --- hooks -----------------------------------------------------------------------------------
    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        d = dict(pairs)
        if len(d) != len(pairs):
            seen: set[str] = set()
            for k, _ in pairs:
                if k in seen:
                    self.p.add(self.where, f"repeated key {k!r} in one object (a JSON object names each key once)")
                seen.add(k)
        return d

    @staticmethod
    def _constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON (numbers must be finite)")

    # --- buffer ----------------------------------------------------------------------------------
    def _fill(self) -> bool:
        more = self.text.read()
        if not more:
            return False
        if self.pos > len(self.buf) // 2:
            self.lines += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += more
        return True

    def place(self, i: int | None = None) -> str:
        i = self.pos if i is None else i
        line = self.lines + self.buf.count("\n", 0, i) + 1
        col = i - self.buf.rfind("\n", 0, i)
        return f"{self.text.path}:{line}:{col}"

    def ws(self) -> str:
        """Skip white space; the next character ('' at the end)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, chars: str, what: str) -> str:
        c = self.ws()
        if not c or c not in chars:
            raise _Stop("malformed JSON: expected " + what + ", got "
                        + (repr(self.buf[self.pos:self.pos + 20]) if c else "the end of the file"), self.place())
        self.pos += 1
        return c

    def value(self, where: str) -> Any:
        """Decode the JSON value at the current position."""
        self.ws()
        self.where = where
        while True:
            try:
                v, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                near_end = exc.pos > len(self.buf) - 64 or exc.msg.startswith("Unterminated string")
                if near_end and len(self.buf) - self.pos <= MAX_RECORD_CHARS and self._fill():
                    continue
                if len(self.buf) - self.pos > MAX_RECORD_CHARS:
                    raise _Stop(f"{where}: a record longer than {MAX_RECORD_CHARS:,} characters",
                                self.place()) from None
                raise _Stop(f"malformed JSON in {where}: {exc.msg}", self.place(exc.pos)) from None
            except RecursionError:
                raise _Stop(f"{where}: nested too deeply (more than {sys.getrecursionlimit():,} levels)",
                            self.place()) from None
            except ValueError as exc:  # NaN / Infinity, or an integer beyond the interpreter's limit
                msg = str(exc)
                if "Exceeds the limit" in msg:
                    msg = f"an integer of more than {sys.get_int_max_str_digits():,} digits (too large for any field)"
                raise _Stop(f"{where}: {msg}", self.place()) from None
            break
        if _SURROGATE_ESCAPE.search(self.buf, self.pos, end):
            for path in _lone_surrogates(v, ""):
                self.p.add(f"{where}{path}", "a lone UTF-16 surrogate escape (such as \\ud800) is not text")
        self.pos = end
        return v


def _lone_surrogates(v: Any, path: str) -> Iterator[str]:
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            yield path
    elif isinstance(v, dict):
        for k, x in v.items():
            yield from _lone_surrogates(k, f"{path} (key)")
            yield from _lone_surrogates(x, f"{path}.{k}")
    elif isinstance(v, list):
        for j, x in enumerate(v):
            yield from _lone_surrogates(x, f"{path}[{j}]")


def text_lines(path: Path, raw: BinaryIO) -> Iterator[str]:
    """The lines of a text file (gzip or not) through the same guards, for the CSV reader.

    Raises :class:`ValidationError` for a corrupted, oversized or non-UTF-8 file."""
    try:
        text = _Text(path, raw)
        rest = ""
        while True:
            chunk = text.read()
            if not chunk:
                break
            *lines, rest = (rest + chunk).split("\n")
            for line in lines:
                yield line + "\n"
        if rest:
            yield rest
    except _Stop as exc:
        raise ValidationError([(exc.place or str(path), exc.message)], source=str(path)) from None


@contextmanager
def _gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_json(path: str | os.PathLike[str], progress: Any = None) -> C.Store:
    """Read an interchange-format JSON file (gzip or not) into a store, validated.

    *progress*, if given, is called with the number of communities read so far.
    """
    p = Path(path)
    source = str(p)
    problems = Problems()
    try:
        with open(p, "rb") as raw, _gc_paused():
            return _read(_Scanner(_Text(p, raw), problems), problems, source, progress)
    except _Stop as exc:
        problems.add(exc.place or source, exc.message)
        raise ValidationError(problems.items, source=source) from None
    except OSError as exc:
        raise ValidationError([(source, f"cannot read: {exc.strerror or exc}")], source=source) from None


class _Fast:
    """The fast path for communities: a span of whole lines, each starting a community, parsed by
    pyarrow into columns (``_jsonarrow``, for spans of at least ``MIN_BYTES``) or decoded by msgspec
    into typed records (``_jsonstruct``) and gathered into columns. A span it cannot take as it is
    (anything the parser refuses, a repeated key, any problem) is left where it is for the guarded
    reader, which reads as many communities; after :data:`FAST_FAILURES` such spans the fast path
    is left for the rest of the file."""

    def __init__(self) -> None:
        self.on = USE_FAST and (_jsonstruct.AVAILABLE or _jsonarrow.available())
        self.failures = 0

    def _fail(self, count: int) -> int:
        self.failures += 1
        if self.failures >= FAST_FAILURES:
            self.on = False
        return max(1, count)

    def span(self, sc: _Scanner, offset: int) -> "C.Gathered | int":
        """The gathered communities of the next span (the scanner moved past it), or the number
        of communities the guarded reader should read.

        The span is read as bytes: the text already decoded in the scanner's buffer and about
        :data:`FAST_SPAN` bytes more, cut after the last whole line that starts a community; the
        rest (all of it when the span is not taken) is given back to be read as text."""
        if sc.ws() != "{":
            return self._fail(1)
        sc.lines += sc.buf.count("\n", 0, sc.pos)
        head = sc.buf[sc.pos:].encode("utf-8")
        sc.buf, sc.pos = "", 0
        data = head + sc.text.take_bytes(FAST_SPAN - len(head))
        del head
        end = data.rfind(b"\n{", 0, FAST_SPAN)
        while end > 0 and data[end - 1] in b" \t\r\n":
            end -= 1
        if end > 0 and data[end - 1] == 44:  # the comma between two communities
            end -= 1
        g = self._gathered(data, end, offset) if end > 0 else None
        if not isinstance(g, C.Gathered):
            sc.text.unread(data)
            return self._fail(g or 1)
        sc.lines += data.count(b"\n", 0, end)
        sc.text.unread(data[end:])
        return g

    def _gathered(self, data: bytes, end: int, offset: int) -> "C.Gathered | int | None":
        """The communities of ``data[:end]`` gathered, or the number of them (None: unknown) for
        the guarded reader."""
        if end >= _jsonarrow.MIN_BYTES and _jsonarrow.available():
            g = _jsonarrow.gather(data, end, offset)
            if g is not None:
                return g
        if not _jsonstruct.AVAILABLE:
            return data.count(b"\n{", 0, end) + 1  # the communities, one a line
        objs = _jsonstruct.decode(data, end)
        if objs is None:
            return None
        if not _jsonstruct.keys_unique(data, end, objs):
            return len(objs)
        scratch = Problems()
        g = C.gather_communities(objs, scratch, offset=offset)
        return len(objs) if scratch.items else g


def _read(sc: _Scanner, problems: Problems, source: str, progress: Any) -> C.Store:
    small: dict[str, Any] = {}
    seen: set[str] = set()
    regions: list[Any] = []
    batches: list[C.Gathered] = []
    n_comm = 0
    fast = _Fast()
    sc.expect("{", "a JSON object with schema, regions and communities")
    if sc.ws() == "}":
        sc.pos += 1
    else:
        while True:
            if sc.ws() != '"':
                sc.expect('"', "a key in double quotes")
            key = sc.value("the document's keys")
            if key in seen:
                problems.add(key, f"repeated key {key!r} in the document")
            seen.add(key)
            sc.expect(":", "':' after a key")
            if key in ("regions", "communities") and sc.ws() == "[":
                sc.pos += 1
                if sc.ws() == "]":
                    sc.pos += 1
                else:
                    batch: list[Any] = []
                    first_problem = len(problems.items)
                    slow = 0  # communities to read by the guarded path before trying the fast one
                    while True:
                        i = (len(regions) if key == "regions" else n_comm + len(batch))
                        if key == "communities" and fast.on and not slow:
                            if batch:
                                batches.append(C.gather_communities(batch, problems, offset=n_comm))
                                n_comm += len(batch)
                                batch = []
                            got = fast.span(sc, n_comm)
                            if isinstance(got, C.Gathered):
                                batches.append(got)
                                n_comm += len(got.code)
                                if progress is not None:
                                    progress(n_comm)
                                if sc.expect(",]", f"',' or ']' after {key}[{n_comm - 1}]") == "]":
                                    break
                                continue
                            slow = got
                        slow = max(0, slow - 1)
                        v = sc.value(f"{key}[{i}]")
                        if key == "regions":
                            regions.append(v)
                        else:
                            batch.append(v)
                            if len(batch) >= BATCH:
                                batches.append(C.gather_communities(batch, problems, offset=n_comm))
                                n_comm += len(batch)
                                batch = []
                                if progress is not None:
                                    progress(n_comm)
                        if sc.expect(",]", f"',' or ']' after {key}[{i}]") == "]":
                            break
                    if batch:
                        batches.append(C.gather_communities(batch, problems, offset=n_comm))
                        n_comm += len(batch)
                        if progress is not None:
                            progress(n_comm)
                    # problems found while decoding (repeated keys …) and gathering, in document
                    # order, whichever way the communities were batched
                    C._in_doc_order(problems, first_problem)
                small.setdefault(key, [])
            else:
                small[key] = sc.value(key)
            if sc.expect(",}", "',' or '}' after a value of the document") == "}":
                break
    if sc.ws():
        raise _Stop("malformed JSON: extra data after the document", sc.place())
    doc_problems = C.check_document(small)
    if doc_problems:
        problems.items[:0] = doc_problems.items
        problems.raise_if_any(source)
    r = C.gather_regions(regions, problems)
    c = C.concat_gathered(batches) if batches else C.gather_communities([], problems)
    del batches
    return C.assemble(r, c, problems, source)
